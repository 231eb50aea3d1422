package strata

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Event is one Server-Sent Event of GET /api/v1/events.
type Event struct {
	ID    string
	Event string
	Data  string
}

// ReadEvents parses a text/event-stream (the WHATWG rules: fields, comments, multi-line data, a
// blank line ends an event) and gives each event to fn until the stream ends or fn fails.
func ReadEvents(r io.Reader, fn func(Event) error) error {
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 64<<10), 1<<20)
	var ev Event
	var data []string
	for scanner.Scan() {
		line := strings.TrimSuffix(scanner.Text(), "\r")
		if line == "" {
			if len(data) > 0 || ev.Event != "" {
				ev.Data = strings.Join(data, "\n")
				if ev.Event == "" {
					ev.Event = "message"
				}
				if err := fn(ev); err != nil {
					return err
				}
			}
			ev, data = Event{ID: ev.ID}, nil
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			ev.ID = value
		case "event":
			ev.Event = value
		case "data":
			data = append(data, value)
		}
	}
	return scanner.Err()
}

// ErrStreamEnded is what Follow gives when the server ended the stream for good.
type ErrStreamEnded struct{ Reason string }

func (e *ErrStreamEnded) Error() string { return "strata: the event stream ended: " + e.Reason }

// Events reads the caller's live events once (GET /api/v1/events) from lastEventID ("" for now
// on), until the stream ends.
func (s *SDK) Events(ctx context.Context, lastEventID string, fn func(Event) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.BaseURL+"/api/v1/events", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	res, err := s.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	// the body is the stream itself: read it for a problem only when the answer is not a success
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return ProblemOf(res, readAll(res.Body, 1<<20))
	}
	return ReadEvents(res.Body, fn)
}

// Follow reads the live events and reconnects when the stream drops, with Last-Event-ID so that
// nothing is missed; token-expired takes a new token first. A session-ended or too-many-streams
// event, or an error from fn, ends it.
func (s *SDK) Follow(ctx context.Context, fn func(Event) error) error {
	last := ""
	backoff := 500 * time.Millisecond
	for {
		ended := ""
		err := s.Events(ctx, last, func(ev Event) error {
			if ev.ID != "" {
				last = ev.ID
			}
			switch ev.Event {
			case "session-ended", "too-many-streams":
				ended = ev.Event
				return &ErrStreamEnded{Reason: ev.Event}
			case "token-expired":
				ended = ev.Event
				return nil
			}
			backoff = 500 * time.Millisecond
			return fn(ev)
		})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if ended == "session-ended" || ended == "too-many-streams" {
			return &ErrStreamEnded{Reason: ended}
		}
		if err != nil {
			if problem, ok := err.(*APIError); ok && problem.Status < 500 && problem.Status != 429 {
				return err
			}
			if _, ok := err.(*ErrStreamEnded); !ok && ended == "" {
				// a dropped connection or a 5xx: wait a little, then reconnect
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(backoff):
				}
				backoff = min(backoff*2, 30*time.Second)
			}
		}
		if ended == "token-expired" {
			if t, ok := s.HTTP.Transport.(*Transport); ok && t.Tokens != nil {
				if err := t.Tokens.Renew(ctx); err != nil {
					return fmt.Errorf("strata: renewing the token for the event stream: %w", err)
				}
			}
		}
	}
}
