package strata

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// ClientCredentials gets a partner's tokens by the OAuth 2.0 client-credentials grant
// (POST /api/v1/auth/token, the secret in HTTP Basic, each half form-encoded as RFC 6749 2.3.1
// says). A token is kept until 30 s before it expires; callers at the same moment share one request.
type ClientCredentials struct {
	BaseURL      string
	ClientID     string
	ClientSecret string
	// Scope, space-separated, asks for part of the client's scopes; all of them when empty.
	Scope string
	HTTP  *http.Client
	// Now is the clock (tests give their own).
	Now func() time.Time

	mu      sync.Mutex
	token   string
	scope   string
	expires time.Time
}

// Token gives the current access token, fetching a new one when none is held or it nearly expired.
func (c *ClientCredentials) Token(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.now().Add(30*time.Second).Before(c.expires) {
		return c.token, nil
	}
	return c.fetch(ctx)
}

// Renew drops the held token and fetches another.
func (c *ClientCredentials) Renew(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token = ""
	_, err := c.fetch(ctx)
	return err
}

// Scope granted by the last token.
func (c *ClientCredentials) Granted() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.scope
}

func (c *ClientCredentials) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *ClientCredentials) fetch(ctx context.Context) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if c.Scope != "" {
		form.Set("scope", c.Scope)
	}
	endpoint, err := url.JoinPath(c.BaseURL, "/api/v1/auth/token")
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	basic := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(c.ClientID) + ":" + url.QueryEscape(c.ClientSecret)))
	req.Header.Set("Authorization", "Basic "+basic)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	client := c.HTTP
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body := readAll(res.Body, 1<<20)
	if err := Check(res, body); err != nil {
		return "", err
	}
	var answer TokenResponse
	if err := json.Unmarshal(body, &answer); err != nil || answer.AccessToken == "" {
		return "", fmt.Errorf("strata: the token endpoint answered no token")
	}
	c.token, c.scope = answer.AccessToken, answer.Scope
	c.expires = c.now().Add(time.Duration(answer.ExpiresIn) * time.Second)
	return c.token, nil
}

// StaticToken is a token given by someone else (a user's, a test's); it cannot be renewed.
type StaticToken string

func (s StaticToken) Token(context.Context) (string, error) { return string(s), nil }
func (s StaticToken) Renew(context.Context) error {
	return fmt.Errorf("strata: a static token cannot be renewed")
}
