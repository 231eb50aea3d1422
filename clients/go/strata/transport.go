package strata

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// TokenSource gives access tokens: Token the current one (fetched or renewed when needed), Renew
// a new one after the API refused the last with a 401.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
	Renew(ctx context.Context) error
}

// RetryPolicy says how 429 and 503 answers are tried again. Only requests that are safe to send
// twice are: GET, HEAD, OPTIONS, PUT, DELETE, and a POST or PATCH with an Idempotency-Key, whose
// body can be sent again (GetBody set, as http.NewRequest does for bytes and strings).
type RetryPolicy struct {
	// Attempts in all, the first included (4 when zero; 1 turns retries off).
	Attempts int
	// BaseDelay is the first backoff step without Retry-After, doubled each time (250 ms when zero).
	BaseDelay time.Duration
	// MaxDelay bounds one wait (30 s when zero); a longer Retry-After gives the answer back at once.
	MaxDelay time.Duration
	// Sleep waits (tests give their own).
	Sleep func(ctx context.Context, d time.Duration) error
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts == 0 {
		p.Attempts = 4
	}
	if p.BaseDelay == 0 {
		p.BaseDelay = 250 * time.Millisecond
	}
	if p.MaxDelay == 0 {
		p.MaxDelay = 30 * time.Second
	}
	if p.Sleep == nil {
		p.Sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	return p
}

// Retryable says whether a request may be sent twice.
func Retryable(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return false
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return req.Header.Get("Idempotency-Key") != ""
}

func rewind(req *http.Request) (*http.Request, error) {
	again := req.Clone(req.Context())
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		again.Body = body
	}
	return again, nil
}

// Transport sends each request with a current token (renewed once after a 401) and tries 429 and
// 503 answers again as its policy says.
type Transport struct {
	Base   http.RoundTripper
	Tokens TokenSource
	Retry  RetryPolicy
	// APIHost is the host (and port) the tokens are for; a request to any other host (a redirect
	// to Blob Storage, say) goes without one. Empty: every request gets the token.
	APIHost string
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	policy := t.Retry.withDefaults()
	attempts := policy.Attempts
	if !Retryable(req) {
		attempts = 1
	}
	for attempt := 1; ; attempt++ {
		sent := req
		if attempt > 1 {
			var err error
			if sent, err = rewind(req); err != nil {
				return nil, err
			}
		}
		res, err := t.authorized(sent)
		last := attempt >= attempts
		if err != nil {
			if last || req.Context().Err() != nil {
				return nil, err
			}
		} else if last || (res.StatusCode != http.StatusTooManyRequests && res.StatusCode != http.StatusServiceUnavailable) {
			return res, nil
		}
		delay := time.Duration(rand.Float64() * float64(min(policy.MaxDelay, policy.BaseDelay<<(attempt-1))))
		if res != nil {
			if asked, ok := RetryAfter(res.Header.Get("Retry-After"), time.Now()); ok {
				if asked > policy.MaxDelay {
					return res, nil
				}
				delay = asked
			}
			_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
			_ = res.Body.Close()
		}
		if err := policy.Sleep(req.Context(), delay); err != nil {
			return nil, err
		}
	}
}

func (t *Transport) authorized(req *http.Request) (*http.Response, error) {
	// the token is added here, below http.Client's redirect rules, so it is kept to its own host here too
	if t.Tokens == nil || req.Header.Get("Authorization") != "" || (t.APIHost != "" && !strings.EqualFold(req.URL.Host, t.APIHost)) {
		return t.base().RoundTrip(req)
	}
	token, err := t.Tokens.Token(req.Context())
	if err != nil {
		return nil, err
	}
	first := req.Clone(req.Context())
	first.Header.Set("Authorization", "Bearer "+token)
	res, err := t.base().RoundTrip(first)
	if err != nil || res.StatusCode != http.StatusUnauthorized || (req.Body != nil && req.Body != http.NoBody && req.GetBody == nil) {
		return res, err
	}
	if err := t.Tokens.Renew(req.Context()); err != nil {
		return res, nil
	}
	renewed, err := t.Tokens.Token(req.Context())
	if err != nil {
		return res, nil
	}
	again, err := rewind(req)
	if err != nil {
		return res, nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	_ = res.Body.Close()
	again.Header.Set("Authorization", "Bearer "+renewed)
	return t.base().RoundTrip(again)
}

// readAll reads a body up to a bound (problem details are small).
func readAll(r io.Reader, limit int64) []byte {
	var buf bytes.Buffer
	_, _ = io.Copy(&buf, io.LimitReader(r, limit))
	return buf.Bytes()
}
