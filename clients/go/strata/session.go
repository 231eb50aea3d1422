package strata

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

const refreshCookie = "strata_refresh"

// UserSession holds a signed-in user's tokens: a short-lived access token, and the refresh token
// the API sets as the strata_refresh cookie. Renewing (POST /api/v1/auth/refresh) rotates the
// refresh token; renewals are serialised, because presenting a rotated token again ends the
// session (reuse detection). OnRefreshToken is told every rotation, to keep the newest for a
// later run (ResumeSession).
type UserSession struct {
	BaseURL        string
	HTTP           *http.Client
	OnRefreshToken func(refreshToken string) error
	Now            func() time.Time

	mu      sync.Mutex
	access  string
	expires time.Time
	refresh string
}

// Login signs in with an email and password (POST /api/v1/auth/login).
func Login(ctx context.Context, s *UserSession, email, password string) error {
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.post(ctx, "/api/v1/auth/login", body)
}

// ResumeSession goes on from a refresh token kept by an earlier run; it renews at once.
func ResumeSession(ctx context.Context, s *UserSession, refreshToken string) error {
	s.mu.Lock()
	s.refresh = refreshToken
	s.mu.Unlock()
	return s.Renew(ctx)
}

func (s *UserSession) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Token gives the current access token, renewing it when it nearly expired.
func (s *UserSession) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.access != "" && s.now().Add(30*time.Second).Before(s.expires) {
		return s.access, nil
	}
	if s.refresh == "" {
		return "", fmt.Errorf("strata: not signed in")
	}
	if err := s.post(ctx, "/api/v1/auth/refresh", []byte("{}")); err != nil {
		return "", err
	}
	return s.access, nil
}

// Renew takes a new access token from the refresh token, which rotates.
func (s *UserSession) Renew(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refresh == "" {
		return fmt.Errorf("strata: not signed in")
	}
	return s.post(ctx, "/api/v1/auth/refresh", []byte("{}"))
}

// Logout ends the session on the server and forgets its tokens.
func (s *UserSession) Logout(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.post(ctx, "/api/v1/auth/logout", []byte("{}"))
	s.access, s.refresh = "", ""
	return err
}

// post sends one auth request with the session's cookie (and token), keeping what it answers.
func (s *UserSession) post(ctx context.Context, path string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(s.BaseURL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if s.refresh != "" {
		req.AddCookie(&http.Cookie{Name: refreshCookie, Value: s.refresh})
	}
	if s.access != "" {
		req.Header.Set("Authorization", "Bearer "+s.access)
	}
	client := s.HTTP
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	for _, c := range res.Cookies() {
		if c.Name == refreshCookie {
			s.refresh = c.Value
			if c.MaxAge < 0 || c.Value == "" {
				s.refresh = ""
			}
			if s.OnRefreshToken != nil {
				if err := s.OnRefreshToken(s.refresh); err != nil {
					return err
				}
			}
		}
	}
	answer := readAll(res.Body, 1<<20)
	if err := Check(res, answer); err != nil {
		return err
	}
	if path == "/api/v1/auth/logout" {
		return nil
	}
	var token AccessToken
	if err := json.Unmarshal(answer, &token); err != nil || token.AccessToken == "" {
		return fmt.Errorf("strata: %s answered no access token", path)
	}
	s.access = token.AccessToken
	s.expires = s.now().Add(time.Duration(token.ExpiresIn) * time.Second)
	return nil
}
