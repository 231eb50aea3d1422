package strata

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		d  time.Duration
		ok bool
	}{
		"7":                             {7 * time.Second, true},
		"Wed, 02 Dec 2026 05:00:30 GMT": {30 * time.Second, true},
		"Wed, 02 Dec 2026 04:00:00 GMT": {0, true},
		"-3":                            {0, false},
		"soon":                          {0, false},
		"":                              {0, false},
	}
	for in, want := range cases {
		d, ok := RetryAfter(in, now)
		if d != want.d || ok != want.ok {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", in, d, ok, want.d, want.ok)
		}
	}
}

// a server that answers the statuses given in turn, recording methods and tokens
func answering(t *testing.T, statuses ...int) (*httptest.Server, *[]string) {
	var seen []string
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		seen = append(seen, r.Method+" "+r.Header.Get("Authorization"))
		status := statuses[min(i, len(statuses)-1)]
		if status == 429 || status == 503 {
			w.Header().Set("Retry-After", "0")
		}
		if status >= 400 {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(status)
			_, _ = fmt.Fprintf(w, `{"type":"t","title":"T","status":%d,"detail":"d"}`, status)
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

type countingTokens struct{ renewed int }

func (c *countingTokens) Token(context.Context) (string, error) {
	return "t" + string(rune('0'+c.renewed)), nil
}
func (c *countingTokens) Renew(context.Context) error { c.renewed++; return nil }

func TestTransportRetriesIdempotentCallsOn429And503(t *testing.T) {
	srv, seen := answering(t, 429, 503, 200)
	client := &http.Client{Transport: &Transport{Retry: RetryPolicy{Sleep: func(context.Context, time.Duration) error { return nil }}}}
	res, err := client.Get(srv.URL)
	if err != nil || res.StatusCode != 200 || len(*seen) != 3 {
		t.Fatalf("got %v %v after %d requests", res, err, len(*seen))
	}
}

func TestTransportDoesNotRetryAPostWithoutIdempotencyKey(t *testing.T) {
	srv, seen := answering(t, 503, 200)
	client := &http.Client{Transport: &Transport{}}
	res, err := client.Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err != nil || res.StatusCode != 503 || len(*seen) != 1 {
		t.Fatalf("got %v %v after %d requests", res.StatusCode, err, len(*seen))
	}
	srv2, seen2 := answering(t, 503, 201)
	req, _ := http.NewRequest(http.MethodPost, srv2.URL, strings.NewReader("{}"))
	req.Header.Set("Idempotency-Key", "k")
	client = &http.Client{Transport: &Transport{Retry: RetryPolicy{Sleep: func(context.Context, time.Duration) error { return nil }}}}
	res, err = client.Do(req)
	if err != nil || res.StatusCode != 201 || len(*seen2) != 2 {
		t.Fatalf("with a key: got %v %v after %d requests", res.StatusCode, err, len(*seen2))
	}
}

func TestTransportGivesBackALongRetryAfter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(429)
	}))
	defer srv.Close()
	res, err := (&http.Client{Transport: &Transport{}}).Get(srv.URL)
	if err != nil || res.StatusCode != 429 {
		t.Fatalf("got %v %v", res, err)
	}
}

func TestTransportRenewsTheTokenOnceAfterA401(t *testing.T) {
	srv, seen := answering(t, 401, 200)
	tokens := &countingTokens{}
	res, err := (&http.Client{Transport: &Transport{Tokens: tokens}}).Get(srv.URL)
	if err != nil || res.StatusCode != 200 || strings.Join(*seen, ",") != "GET Bearer t0,GET Bearer t1" {
		t.Fatalf("got %v %v, sent %v", res.StatusCode, err, *seen)
	}
	srv2, seen2 := answering(t, 401, 401, 401)
	res, _ = (&http.Client{Transport: &Transport{Tokens: &countingTokens{}}}).Get(srv2.URL)
	if res.StatusCode != 401 || len(*seen2) != 2 {
		t.Fatalf("a refused renewal: %d after %d requests", res.StatusCode, len(*seen2))
	}
}

func TestProblemOf(t *testing.T) {
	res := &http.Response{StatusCode: 413, Header: http.Header{"Retry-After": {"5"}}}
	p := ProblemOf(res, []byte(`{"type":"quota-exceeded","title":"Too large","status":413,"detail":"No room.","usedBytes":7}`))
	if p.Type != "quota-exceeded" || p.Detail != "No room." || p.Members["usedBytes"] != float64(7) || p.RetryAfter != 5*time.Second {
		t.Fatalf("%+v", p)
	}
	if got := ProblemOf(&http.Response{StatusCode: 502, Header: http.Header{}}, []byte("<html>")); got.Title != "Bad Gateway" || got.Type != "about:blank" {
		t.Fatalf("%+v", got)
	}
}

func TestReadEvents(t *testing.T) {
	stream := ": keep-alive\n\nid: 1\nevent: file\ndata: {\"a\":1}\n\nid: 2\ndata: line one\ndata: line two\r\n\r\nevent: token-expired\ndata:\n\n"
	var got []Event
	if err := ReadEvents(strings.NewReader(stream), func(ev Event) error { got = append(got, ev); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []Event{{"1", "file", `{"a":1}`}, {"2", "message", "line one\nline two"}, {"2", "token-expired", ""}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d: got %+v want %+v", i, got[i], want[i])
		}
	}
}

func TestEncodeMetadata(t *testing.T) {
	if got := EncodeMetadata(map[string]string{"filename": "a b.txt", "folderId": "f"}); got != "filename YSBiLnR4dA==,folderId Zg==" {
		t.Fatal(got)
	}
}

func TestAllFollowsCursorsAndStops(t *testing.T) {
	pages := map[string]struct {
		items []int
		next  string
	}{"": {[]int{1, 2}, "b"}, "b": {[]int{3}, "c"}, "c": {[]int{4}, ""}}
	var asked []string
	fetch := func(_ context.Context, cursor *string) ([]int, *string, error) {
		key := ""
		if cursor != nil {
			key = *cursor
		}
		asked = append(asked, key)
		p := pages[key]
		if p.next == "" {
			return p.items, nil, nil
		}
		return p.items, &p.next, nil
	}
	var got []int
	for n, err := range All(context.Background(), fetch) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
		if n == 3 {
			break
		}
	}
	if len(got) != 3 || strings.Join(asked, ",") != ",b" {
		t.Fatalf("got %v, asked %v", got, asked)
	}
	boom := errors.New("boom")
	for _, err := range All(context.Background(), func(context.Context, *string) ([]int, *string, error) { return nil, nil, boom }) {
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
	}
}

// A redirect to another host (the download's SAS URL on Blob Storage) must not carry the token.
func TestTransportKeepsTheTokenToTheAPIHost(t *testing.T) {
	var blobSaw string
	blob := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		blobSaw = r.Header.Get("Authorization")
		_, _ = w.Write([]byte("bytes"))
	}))
	defer blob.Close()
	var apiSaw string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apiSaw = r.Header.Get("Authorization")
		http.Redirect(w, r, blob.URL+"/container/blob?sig=x", http.StatusTemporaryRedirect)
	}))
	defer api.Close()
	sdk, err := New(Options{BaseURL: api.URL, Tokens: staticTokens("secret-token")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := sdk.HTTP.Get(api.URL + "/api/v1/files/x/content")
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if apiSaw != "Bearer secret-token" || blobSaw != "" {
		t.Fatalf("the API saw %q, the other host %q", apiSaw, blobSaw)
	}
}

type staticTokens string

func (s staticTokens) Token(context.Context) (string, error) { return string(s), nil }
func (s staticTokens) Renew(context.Context) error           { return nil }
