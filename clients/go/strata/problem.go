package strata

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// APIError is an answer that was not a success, read as RFC 9457 problem details.
type APIError struct {
	Status int
	Type   string
	Title  string
	Detail string
	// Members holds the whole problem as sent, extra members (error, limitBytes...) included.
	Members map[string]any
	// RetryAfter is the answer's Retry-After (429, 503), zero when it had none.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("%d %s: %s", e.Status, e.Title, e.Detail)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Title)
}

// ProblemOf reads the problem of a failed answer from its status, headers and body; a body that
// is not a problem keeps the status and the status text.
func ProblemOf(res *http.Response, body []byte) *APIError {
	e := &APIError{Status: res.StatusCode, Type: "about:blank", Title: http.StatusText(res.StatusCode), Members: map[string]any{}}
	if err := json.Unmarshal(body, &e.Members); err == nil {
		if s, ok := e.Members["type"].(string); ok {
			e.Type = s
		}
		if s, ok := e.Members["title"].(string); ok {
			e.Title = s
		}
		if s, ok := e.Members["detail"].(string); ok {
			e.Detail = s
		}
	}
	if d, ok := RetryAfter(res.Header.Get("Retry-After"), time.Now()); ok {
		e.RetryAfter = d
	}
	return e
}

// Check gives nil for a 2xx answer and the answer's problem otherwise: `if err := strata.Check(res.HTTPResponse, res.Body)`.
func Check(res *http.Response, body []byte) error {
	if res == nil {
		return fmt.Errorf("strata: no answer")
	}
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return nil
	}
	return ProblemOf(res, body)
}

// RetryAfter reads a Retry-After header (RFC 9110 10.2.3): delta-seconds or an HTTP date.
func RetryAfter(value string, now time.Time) (time.Duration, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if n, err := strconv.ParseUint(value, 10, 31); err == nil {
		return time.Duration(n) * time.Second, true
	}
	if at, err := http.ParseTime(value); err == nil {
		if d := at.Sub(now); d > 0 {
			return d, true
		}
		return 0, true
	}
	return 0, false
}
