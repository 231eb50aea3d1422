package strata

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"
)

// Options of New.
type Options struct {
	// BaseURL is the gateway's origin, as https://strata.example.com.
	BaseURL string
	Tokens  TokenSource
	Retry   RetryPolicy
	// Base is the transport underneath (http.DefaultTransport when nil).
	Base http.RoundTripper
	// UserAgent names the program in the API's logs and device lists.
	UserAgent string
}

// SDK is the generated client (every route, typed) over a transport that sends tokens and
// retries, with the hand-written helpers beside it.
type SDK struct {
	*ClientWithResponses
	BaseURL string
	// HTTP sends with tokens and retries: for routes the generated client reads poorly (tus, SSE).
	HTTP *http.Client
	// Plain sends nothing of ours: for the download links to Blob Storage, which must not see a token.
	Plain *http.Client
}

// New builds an SDK for one gateway and one token source.
func New(opts Options) (*SDK, error) {
	if opts.BaseURL == "" {
		return nil, fmt.Errorf("strata: BaseURL is required")
	}
	base := opts.Base
	if base == nil {
		base = http.DefaultTransport
	}
	api, err := url.Parse(opts.BaseURL)
	if err != nil || api.Host == "" {
		return nil, fmt.Errorf("strata: BaseURL %q is not an absolute URL", opts.BaseURL)
	}
	httpClient := &http.Client{Transport: &Transport{Base: base, Tokens: opts.Tokens, Retry: opts.Retry, APIHost: api.Host}}
	ua := opts.UserAgent
	if ua == "" {
		ua = "strata-go"
	}
	client, err := NewClientWithResponses(strings.TrimRight(opts.BaseURL, "/"), WithHTTPClient(httpClient), WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
		req.Header.Set("User-Agent", ua)
		return nil
	}))
	if err != nil {
		return nil, err
	}
	return &SDK{ClientWithResponses: client, BaseURL: strings.TrimRight(opts.BaseURL, "/"), HTTP: httpClient, Plain: &http.Client{Transport: base}}, nil
}

// ListFiles pages through the caller's files (a partner: its own uploads and the files granted to it).
func (s *SDK) ListFiles(limit int) PageFunc[FileInfo] {
	return func(ctx context.Context, cursor *string) ([]FileInfo, *string, error) {
		res, err := s.GetApiV1FilesWithResponse(ctx, &GetApiV1FilesParams{Limit: &limit, Cursor: cursor})
		if err != nil {
			return nil, nil, err
		}
		if err := Check(res.HTTPResponse, res.Body); err != nil {
			return nil, nil, err
		}
		return res.JSON200.Items, res.JSON200.NextCursor, nil
	}
}

// Delete moves a file to the trash (restorable for 7 days).
func (s *SDK) Delete(ctx context.Context, id string) error {
	uid, err := parseID(id)
	if err != nil {
		return err
	}
	res, err := s.DeleteApiV1FilesIdWithResponse(ctx, uid)
	if err != nil {
		return err
	}
	return Check(res.HTTPResponse, res.Body)
}

// Downloaded says what Download wrote.
type Downloaded struct {
	Bytes  int64
	SHA256 string
}

// Download writes a file's latest content to w: the API gives a short-lived link to the bytes in
// Blob Storage, read without the token. progress, when set, is told the bytes so far and the total.
func (s *SDK) Download(ctx context.Context, id string, w io.Writer, progress func(done, total int64)) (Downloaded, error) {
	uid, err := parseID(id)
	if err != nil {
		return Downloaded{}, err
	}
	link, err := s.GetApiV1FilesIdContentLinkWithResponse(ctx, uid, &GetApiV1FilesIdContentLinkParams{})
	if err != nil {
		return Downloaded{}, err
	}
	if err := Check(link.HTTPResponse, link.Body); err != nil {
		return Downloaded{}, err
	}
	if link.JSON202 != nil {
		return Downloaded{}, &APIError{Status: 202, Type: "rehydrating", Title: "The content is being restored from the archive", RetryAfter: time.Duration(link.JSON202.RetryAfterSeconds) * time.Second}
	}
	if link.JSON200 == nil {
		return Downloaded{}, fmt.Errorf("strata: the content link answer had no link")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link.JSON200.Url, nil)
	if err != nil {
		return Downloaded{}, err
	}
	res, err := s.Plain.Do(req)
	if err != nil {
		return Downloaded{}, err
	}
	defer res.Body.Close()
	if err := Check(res, nil); err != nil {
		return Downloaded{}, err
	}
	hash := sha256.New()
	counter := &counting{total: res.ContentLength, progress: progress}
	n, err := io.Copy(io.MultiWriter(w, hash, counter), res.Body)
	if err != nil {
		return Downloaded{}, err
	}
	return Downloaded{Bytes: n, SHA256: hex.EncodeToString(hash.Sum(nil))}, nil
}

type counting struct {
	done, total int64
	progress    func(done, total int64)
}

func (c *counting) Write(p []byte) (int, error) {
	c.done += int64(len(p))
	if c.progress != nil {
		c.progress(c.done, c.total)
	}
	return len(p), nil
}

func parseID(id string) (openapi_types.UUID, error) {
	var uid openapi_types.UUID
	// the canonical spelling only (lower case), as the API takes it: another names nothing
	if err := uid.UnmarshalText([]byte(id)); err != nil || uid.String() != id {
		return uid, fmt.Errorf("strata: %q is not a file id (a lower-case UUID)", id)
	}
	return uid, nil
}
