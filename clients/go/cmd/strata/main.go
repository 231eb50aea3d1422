// Command strata is the Strata CLI for partners: sign in with a client's credentials, then list,
// upload (resumable), download, delete and search files and follow the live events.
//
//	strata login --url https://strata.example.com --client-id ID   (the secret from STRATA_CLIENT_SECRET or stdin)
//	strata ls | put FILE | get ID [-o PATH] | rm ID | search WORDS | events [--follow]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"strata.dev/clients/go/strata"
)

// Config is what login keeps (0600, in the user's config folder or STRATA_CONFIG_DIR): a partner
// client's credentials, or a user's refresh token (rotated, and kept again, at every run).
type Config struct {
	URL          string `json:"url"`
	ClientID     string `json:"clientId,omitempty"`
	ClientSecret string `json:"clientSecret,omitempty"`
	Scope        string `json:"scope,omitempty"`
	Email        string `json:"email,omitempty"`
	RefreshToken string `json:"refreshToken,omitempty"`
}

func saveConfig(c Config) error {
	dir, err := configDir()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	tmp := filepath.Join(dir, fmt.Sprintf("config.json.%d", os.Getpid()))
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "config.json"))
}

func configDir() (string, error) {
	if dir := os.Getenv("STRATA_CONFIG_DIR"); dir != "" {
		return dir, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "strata"), nil
}

func loadConfig() (Config, string, error) {
	dir, err := configDir()
	if err != nil {
		return Config{}, "", err
	}
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if errors.Is(err, os.ErrNotExist) {
		return Config{}, dir, fmt.Errorf("not signed in: run strata login first")
	}
	if err != nil {
		return Config{}, dir, err
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return Config{}, dir, fmt.Errorf("%s: %w", filepath.Join(dir, "config.json"), err)
	}
	return c, dir, nil
}

func sdkOf(c Config) (*strata.SDK, *strata.ClientCredentials, error) {
	tokens := &strata.ClientCredentials{BaseURL: c.URL, ClientID: c.ClientID, ClientSecret: c.ClientSecret, Scope: c.Scope}
	sdk, err := strata.New(strata.Options{BaseURL: c.URL, Tokens: tokens, UserAgent: "strata-cli"})
	return sdk, tokens, err
}

// userSession goes on from a kept refresh token, keeping each rotation in the config.
func userSession(ctx context.Context, c Config) (*strata.SDK, error) {
	session := &strata.UserSession{BaseURL: c.URL, OnRefreshToken: func(token string) error {
		c.RefreshToken = token
		return saveConfig(c)
	}}
	if err := strata.ResumeSession(ctx, session, c.RefreshToken); err != nil {
		return nil, fmt.Errorf("the session has ended (%w): run strata login again", err)
	}
	return strata.New(strata.Options{BaseURL: c.URL, Tokens: session, UserAgent: "strata-cli"})
}

const usage = `usage: strata <command> [flags]

  login --url URL --client-id ID [--scope S]   sign in with a partner client's credentials
                                               (the secret from STRATA_CLIENT_SECRET, else stdin)
  login --url URL --email EMAIL                sign in as a user (the password from
                                               STRATA_PASSWORD, else stdin)
  ls [--limit N]                               list files: id, size, name
  put FILE [--name N] [--folder ID] [--chunk-mib M]
                                               upload resumably; a killed put resumes when run again
  get ID [-o PATH]                             download (to PATH, or stdout); prints the sha256
  rm ID                                        move a file to the trash
  search WORDS... [--limit N]                  full-text search
  events [--follow]                            the live events, one JSON line each
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "strata:", err)
		var problem *strata.APIError
		if errors.As(err, &problem) && problem.Status == 401 {
			os.Exit(3)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	command, rest := args[0], args[1:]
	flags := flag.NewFlagSet("strata "+command, flag.ContinueOnError)
	flags.SetOutput(stderr)
	switch command {
	case "login":
		url := flags.String("url", os.Getenv("STRATA_URL"), "the gateway's origin")
		clientID := flags.String("client-id", os.Getenv("STRATA_CLIENT_ID"), "the partner client's id")
		scope := flags.String("scope", "", "scopes to ask for (space-separated); all of the client's when empty")
		email := flags.String("email", "", "sign in as this user instead of a partner client")
		if err := flags.Parse(rest); err != nil {
			return err
		}
		if *email != "" {
			if *url == "" {
				return fmt.Errorf("login needs --url")
			}
			password := os.Getenv("STRATA_PASSWORD")
			if password == "" {
				line, err := bufio.NewReader(stdin).ReadString('\n')
				if err != nil && line == "" {
					return fmt.Errorf("no password: set STRATA_PASSWORD or give it on stdin")
				}
				password = strings.TrimRight(line, "\r\n")
			}
			c := Config{URL: strings.TrimRight(*url, "/"), Email: *email}
			session := &strata.UserSession{BaseURL: c.URL, OnRefreshToken: func(token string) error { c.RefreshToken = token; return nil }}
			if err := strata.Login(ctx, session, *email, password); err != nil {
				return fmt.Errorf("login refused: %w", err)
			}
			if err := saveConfig(c); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "signed in to %s as %s\n", c.URL, c.Email)
			return nil
		}
		secret := os.Getenv("STRATA_CLIENT_SECRET")
		if secret == "" {
			line, err := bufio.NewReader(stdin).ReadString('\n')
			if err != nil && line == "" {
				return fmt.Errorf("no client secret: set STRATA_CLIENT_SECRET or give it on stdin")
			}
			secret = strings.TrimSpace(line)
		}
		if *url == "" || *clientID == "" {
			return fmt.Errorf("login needs --url and --client-id")
		}
		c := Config{URL: strings.TrimRight(*url, "/"), ClientID: *clientID, ClientSecret: secret, Scope: *scope}
		_, tokens, err := sdkOf(c)
		if err != nil {
			return err
		}
		if _, err := tokens.Token(ctx); err != nil {
			return fmt.Errorf("login refused: %w", err)
		}
		if err := saveConfig(c); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "signed in to %s as %s (scope: %s)\n", c.URL, c.ClientID, tokens.Granted())
		return nil
	}

	switch command {
	case "ls", "put", "get", "rm", "search", "events":
	default:
		return fmt.Errorf("unknown command %q\n%s", command, usage)
	}
	c, dir, err := loadConfig()
	if err != nil {
		return err
	}
	var sdk *strata.SDK
	if c.RefreshToken != "" {
		sdk, err = userSession(ctx, c)
	} else {
		sdk, _, err = sdkOf(c)
	}
	if err != nil {
		return err
	}
	switch command {
	case "ls":
		limit := flags.Int("limit", 100, "files per page")
		if err := flags.Parse(rest); err != nil {
			return err
		}
		for file, err := range strata.All(ctx, sdk.ListFiles(*limit)) {
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s\t%d\t%s\n", file.Id, file.Size, file.Name)
		}
		return nil
	case "put":
		name := flags.String("name", "", "the name in Strata (the file's own by default)")
		folder := flags.String("folder", "", "a folder id")
		chunk := flags.Int64("chunk-mib", 8, "MiB per request")
		quiet := flags.Bool("quiet", false, "no progress")
		path, err := parseWithArg(flags, rest, "put FILE")
		if err != nil {
			return err
		}
		started := time.Now()
		last := time.Time{}
		put, err := sdk.PutFile(ctx, path, strata.PutOptions{
			Name: *name, FolderID: *folder, Chunk: *chunk << 20,
			Resume: strata.ResumeState{Path: filepath.Join(dir, "uploads.json")},
			Progress: func(done, total int64) {
				if !*quiet && (time.Since(last) > 500*time.Millisecond || done == total) {
					last = time.Now()
					fmt.Fprintf(stderr, "uploaded %d of %d bytes (%d%%)\n", done, total, done*100/max(total, 1))
				}
			},
		})
		if err != nil {
			return err
		}
		if put.ResumedFrom > 0 {
			fmt.Fprintf(stderr, "resumed from byte %d\n", put.ResumedFrom)
		}
		fmt.Fprintf(stderr, "%d bytes in %s\n", put.Bytes, time.Since(started).Round(time.Millisecond))
		fmt.Fprintln(stdout, put.FileID)
		return nil
	case "get":
		out := flags.String("o", "", "write to this path (stdout when empty)")
		id, err := parseWithArg(flags, rest, "get ID")
		if err != nil {
			return err
		}
		var w io.Writer = stdout
		var f *os.File
		if *out != "" {
			if f, err = os.Create(*out); err != nil {
				return err
			}
			w = f
		}
		got, err := sdk.Download(ctx, id, w, nil)
		if f != nil {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%d bytes, sha256 %s\n", got.Bytes, got.SHA256)
		return nil
	case "rm":
		id, err := parseWithArg(flags, rest, "rm ID")
		if err != nil {
			return err
		}
		return sdk.Delete(ctx, id)
	case "search":
		limit := flags.Int("limit", 20, "results")
		if err := flags.Parse(rest); err != nil {
			return err
		}
		q := strings.Join(flags.Args(), " ")
		if q == "" {
			return fmt.Errorf("usage: strata search WORDS")
		}
		res, err := sdk.GetApiV1SearchWithResponse(ctx, &strata.GetApiV1SearchParams{Q: q, Limit: limit})
		if err != nil {
			return err
		}
		if err := strata.Check(res.HTTPResponse, res.Body); err != nil {
			return err
		}
		for _, item := range res.JSON200.Items {
			fmt.Fprintf(stdout, "%s\t%.3f\t%s\n", item.FileId, item.Score, item.Name)
		}
		return nil
	case "events":
		follow := flags.Bool("follow", false, "keep reading, reconnecting with Last-Event-ID")
		if err := flags.Parse(rest); err != nil {
			return err
		}
		print := func(ev strata.Event) error {
			b, _ := json.Marshal(map[string]string{"id": ev.ID, "event": ev.Event, "data": ev.Data})
			_, err := fmt.Fprintln(stdout, string(b))
			return err
		}
		if *follow {
			err := sdk.Follow(ctx, print)
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}
		return sdk.Events(ctx, "", print)
	}
	return fmt.Errorf("unknown command %q\n%s", command, usage)
}

// parseWithArg parses flags that may come before or after the one argument a command takes.
func parseWithArg(flags *flag.FlagSet, args []string, what string) (string, error) {
	if err := flags.Parse(args); err != nil {
		return "", err
	}
	positional := flags.Args()
	if len(positional) == 0 {
		return "", fmt.Errorf("usage: strata %s", what)
	}
	if err := flags.Parse(positional[1:]); err != nil {
		return "", err
	}
	if len(flags.Args()) > 0 {
		return "", fmt.Errorf("usage: strata %s (one argument)", what)
	}
	return positional[0], nil
}
