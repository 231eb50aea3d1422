//go:build integration

// The CLI against a running stack (the gateway at STRATA_URL, partner clients in STRATA_CLIENT_ID /
// STRATA_CLIENT_SECRET and STRATA_OTHER_CLIENT_ID / STRATA_OTHER_CLIENT_SECRET). npm test runs it
// from clients/go/test/go.int.spec.ts, which registers the clients.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

func env(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run this through npm test (clients/go/test/go.int.spec.ts)", name)
	}
	return v
}

// runner runs the CLI with its own config folder (its own login).
type runner struct {
	t      *testing.T
	config string
}

// cli builds the strata binary once and gives a runner with its own config folder.
func cli(t *testing.T) *runner {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "strata-cli-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "strata")
		out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
		if err != nil {
			buildErr = err
			t.Logf("%s", out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return &runner{t: t, config: t.TempDir()}
}

func (r *runner) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), "STRATA_CONFIG_DIR="+r.config, "STRATA_CLIENT_SECRET=", "STRATA_PASSWORD=")
	return cmd
}

// run runs one command to its end: stdout, stderr and the exit code.
func (r *runner) run(stdin string, args ...string) (string, string, int) {
	cmd := r.command(context.Background(), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		r.t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

func login(t *testing.T, r *runner, idVar, secretVar string) {
	t.Helper()
	out, errOut, code := r.run(env(t, secretVar)+"\n", "login", "--url", env(t, "STRATA_URL"), "--client-id", env(t, idVar))
	if code != 0 || !strings.Contains(out, "signed in to") {
		t.Fatalf("login: %d %s %s", code, out, errOut)
	}
}

func sum(t *testing.T, path string) string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func randomFile(t *testing.T, dir, name string, size int64) string {
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	seed := [32]byte{byte(size), byte(size >> 8), byte(len(name))}
	if _, err := io.CopyN(f, rand.NewChaCha8(seed), size); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestLoginRefusesAWrongSecretAndKeepsNothing(t *testing.T) {
	r := cli(t)
	_, errOut, code := r.run("not-the-secret\n", "login", "--url", env(t, "STRATA_URL"), "--client-id", env(t, "STRATA_CLIENT_ID"))
	if code != 3 || !strings.Contains(errOut, "401") {
		t.Fatalf("a wrong secret: exit %d, %s", code, errOut)
	}
	if _, errOut, code := r.run("", "ls"); code != 1 || !strings.Contains(errOut, "not signed in") {
		t.Fatalf("ls after a refused login: exit %d, %s", code, errOut)
	}
	if _, errOut, code := r.run("", "frobnicate"); code != 1 || !strings.Contains(errOut, "not signed in") && !strings.Contains(errOut, "unknown command") {
		t.Fatalf("an unknown command: exit %d, %s", code, errOut)
	}
}

func TestPutLsGetRm(t *testing.T) {
	r := cli(t)
	login(t, r, "STRATA_CLIENT_ID", "STRATA_CLIENT_SECRET")
	dir := t.TempDir()
	path := randomFile(t, dir, "notes.bin", 3<<20+17)

	out, errOut, code := r.run("", "put", path, "--chunk-mib", "1", "--name", "cli notes.bin")
	id := strings.TrimSpace(out)
	if code != 0 || !uuidRe.MatchString(id) {
		t.Fatalf("put: %d %q %s", code, out, errOut)
	}
	if out, _, code := r.run("", "ls", "--limit", "1"); code != 0 || !strings.Contains(out, id+"\t"+strconv.Itoa(3<<20+17)+"\tcli notes.bin") {
		t.Fatalf("ls (one a page, so paging is followed): %d %s", code, out)
	}
	copyPath := filepath.Join(dir, "copy.bin")
	if _, errOut, code := r.run("", "get", id, "-o", copyPath); code != 0 || !strings.Contains(errOut, "sha256 "+sum(t, path)) {
		t.Fatalf("get: %d %s", code, errOut)
	}
	if sum(t, copyPath) != sum(t, path) {
		t.Fatal("the downloaded copy differs")
	}

	// another partner sees nothing of it
	other := cli(t)
	login(t, other, "STRATA_OTHER_CLIENT_ID", "STRATA_OTHER_CLIENT_SECRET")
	if out, _, _ := other.run("", "ls"); strings.Contains(out, id) {
		t.Fatalf("another partner lists it: %s", out)
	}
	if _, errOut, code := other.run("", "get", id, "-o", filepath.Join(dir, "x")); code == 0 || !strings.Contains(errOut, "404") {
		t.Fatalf("another partner downloads it: %d %s", code, errOut)
	}
	if _, errOut, code := other.run("", "rm", id); code == 0 || !strings.Contains(errOut, "404") {
		t.Fatalf("another partner deletes it: %d %s", code, errOut)
	}
	// odd input is refused before any call
	for _, bad := range []string{"../" + id, strings.ToUpper(id), id + "%00", ""} {
		if _, errOut, code := r.run("", "rm", bad); code == 0 {
			t.Fatalf("rm %q: %s", bad, errOut)
		}
	}

	if _, errOut, code := r.run("", "rm", id); code != 0 {
		t.Fatalf("rm: %d %s", code, errOut)
	}
	if out, _, _ := r.run("", "ls"); strings.Contains(out, id) {
		t.Fatalf("ls after rm: %s", out)
	}
	if _, errOut, code := r.run("", "get", id, "-o", filepath.Join(dir, "gone")); code == 0 || !strings.Contains(errOut, "404") {
		t.Fatalf("get after rm: %d %s", code, errOut)
	}
}

func TestSearch(t *testing.T) {
	r := cli(t)
	login(t, r, "STRATA_CLIENT_ID", "STRATA_CLIENT_SECRET")
	out, errOut, code := r.run("", "search", "quarterly", "figures")
	// a partner's search: its own answer (results, or the API's refusal as a problem), never a crash
	if code != 0 && !regexp.MustCompile(`strata: \d{3} `).MatchString(errOut) {
		t.Fatalf("search: %d %s %s", code, out, errOut)
	}
	t.Logf("search: exit %d %s%s", code, out, errOut)
	if _, errOut, code := r.run("", "search"); code != 1 || !strings.Contains(errOut, "usage") {
		t.Fatalf("search without words: %d %s", code, errOut)
	}
}

func userLogin(t *testing.T, r *runner) {
	t.Helper()
	out, errOut, code := r.run(env(t, "STRATA_PASSWORD")+"\n", "login", "--url", env(t, "STRATA_URL"), "--email", env(t, "STRATA_EMAIL"))
	if code != 0 || !strings.Contains(out, "signed in to") {
		t.Fatalf("user login: %d %s %s", code, out, errOut)
	}
}

func refreshTokenOf(t *testing.T, r *runner) string {
	b, err := os.ReadFile(filepath.Join(r.config, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c.RefreshToken
}

func TestUserLoginRotatesItsRefreshTokenEachRun(t *testing.T) {
	r := cli(t)
	if _, errOut, code := r.run("wrong password\n", "login", "--url", env(t, "STRATA_URL"), "--email", env(t, "STRATA_EMAIL")); code != 3 {
		t.Fatalf("a wrong password: exit %d %s", code, errOut)
	}
	userLogin(t, r)
	first := refreshTokenOf(t, r)
	if _, errOut, code := r.run("", "ls"); code != 0 {
		t.Fatalf("ls as a user: %d %s", code, errOut)
	}
	second := refreshTokenOf(t, r)
	if first == "" || second == "" || first == second {
		t.Fatalf("the refresh token did not rotate: %q then %q", first, second)
	}
	// the rotated-away token is spent: a copy of the old config cannot sign in again (reuse
	// detection ends the whole session, so the current one stops working too)
	stale := cli(t)
	b, _ := json.Marshal(Config{URL: env(t, "STRATA_URL"), Email: env(t, "STRATA_EMAIL"), RefreshToken: first})
	if err := os.WriteFile(filepath.Join(stale.config, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := stale.run("", "ls"); code != 3 || !strings.Contains(errOut, "login again") {
		t.Fatalf("a spent refresh token: exit %d %s", code, errOut)
	}
}

func TestEventsArePerUser(t *testing.T) {
	partner := cli(t)
	login(t, partner, "STRATA_CLIENT_ID", "STRATA_CLIENT_SECRET")
	if _, errOut, code := partner.run("", "events"); code == 0 || !strings.Contains(errOut, "403") {
		t.Fatalf("a partner's events: %d %s", code, errOut)
	}
}

func TestEventsFollow(t *testing.T) {
	r := cli(t)
	userLogin(t, r)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := r.command(ctx, "events", "--follow")
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	time.Sleep(3 * time.Second)
	path := randomFile(t, t.TempDir(), "live.bin", 1000)
	out, errOut, code := r.run("", "put", path, "--quiet")
	id := strings.TrimSpace(out)
	if code != 0 {
		t.Fatalf("put: %s", errOut)
	}
	lines := bufio.NewScanner(stdout)
	var seen []string
	for lines.Scan() {
		seen = append(seen, lines.Text())
		var ev map[string]string
		if err := json.Unmarshal(lines.Bytes(), &ev); err != nil {
			t.Fatalf("not a JSON line: %s", lines.Text())
		}
		if strings.Contains(ev["data"], id) {
			return
		}
	}
	t.Fatalf("no event of %s before the stream ended (%d lines: %s): %s", id, len(seen), strings.Join(seen, "\n"), stderr.String())
}

// The check: a 256 MiB upload killed midway resumes where it stopped, to the same bytes.
func TestPutResumesAfterAKill(t *testing.T) {
	r := cli(t)
	login(t, r, "STRATA_CLIENT_ID", "STRATA_CLIENT_SECRET")
	mib := int64(256)
	if v := os.Getenv("STRATA_BIG_MIB"); v != "" {
		mib, _ = strconv.ParseInt(v, 10, 64)
	}
	dir := t.TempDir()
	path := randomFile(t, dir, "big.bin", mib<<20)
	config := r.config

	cmd := r.command(context.Background(), "put", path, "--chunk-mib", "8")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	progress := regexp.MustCompile(`^uploaded (\d+) of (\d+) bytes`)
	killedAt := int64(-1)
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		if m := progress.FindStringSubmatch(lines.Text()); m != nil {
			done, _ := strconv.ParseInt(m[1], 10, 64)
			if done >= (mib<<20)/4 {
				_ = cmd.Process.Kill() // SIGKILL: no chance to tidy up
				killedAt = done
				break
			}
		}
	}
	_ = cmd.Wait()
	if killedAt < 0 {
		t.Fatal("the first put finished or failed before a quarter was sent")
	}
	if state, err := os.ReadFile(filepath.Join(config, "uploads.json")); err != nil || !strings.Contains(string(state), "/api/v1/uploads/") {
		t.Fatalf("no unfinished upload kept: %v %s", err, state)
	}
	started := time.Now()
	out, errOut, code := r.run("", "put", path, "--chunk-mib", "8", "--quiet")
	if code != 0 {
		t.Fatalf("the second put: %d %s", code, errOut)
	}
	m := regexp.MustCompile(`resumed from byte (\d+)`).FindStringSubmatch(errOut)
	if m == nil {
		t.Fatalf("the second put started again instead of resuming: %s", errOut)
	}
	from, _ := strconv.ParseInt(m[1], 10, 64)
	if from < killedAt || from >= mib<<20 {
		t.Fatalf("resumed from %d after a kill at %d of %d", from, killedAt, mib<<20)
	}
	t.Logf("killed at %d, resumed from %d, the rest in %s", killedAt, from, time.Since(started).Round(time.Millisecond))
	id := strings.TrimSpace(out)
	got := filepath.Join(dir, "back.bin")
	if _, errOut, code := r.run("", "get", id, "-o", got); code != 0 {
		t.Fatalf("get: %s", errOut)
	}
	if sum(t, got) != sum(t, path) {
		t.Fatal("the resumed upload's bytes differ from the file's")
	}
	if state, _ := os.ReadFile(filepath.Join(config, "uploads.json")); strings.Contains(string(state), "/api/v1/uploads/") {
		t.Fatalf("the finished upload is still kept: %s", state)
	}
	if _, _, code := r.run("", "rm", id); code != 0 {
		t.Fatal("rm")
	}
}
