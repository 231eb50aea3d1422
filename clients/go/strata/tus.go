package strata

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A small tus 1.0 client (core, creation, termination) for /api/v1/uploads: the server stages
// every chunk whole or not at all, so after any cut the offset a HEAD reads is exactly what it
// holds, and the next PATCH goes on from there. Written here rather than taken from a Go tus
// library: the ones on the module proxy are unmaintained or pull in far more than these ~200 lines.

const tusVersion = "1.0.0"

// Upload is an upload the server knows.
type Upload struct {
	URL    string
	FileID string
	Offset int64
	Length int64
}

// EncodeMetadata writes tus Upload-Metadata: key and base64 value pairs, in key order.
func EncodeMetadata(meta map[string]string) string {
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+" "+base64.StdEncoding.EncodeToString([]byte(meta[k])))
	}
	return strings.Join(parts, ",")
}

// CreateUpload starts an upload of length bytes (POST /api/v1/uploads); the quota is reserved now.
func (s *SDK) CreateUpload(ctx context.Context, length int64, name, folderID string) (*Upload, error) {
	meta := map[string]string{"filename": name}
	if folderID != "" {
		meta["folderId"] = folderID
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.BaseURL+"/api/v1/uploads", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Tus-Resumable", tusVersion)
	req.Header.Set("Upload-Length", strconv.FormatInt(length, 10))
	req.Header.Set("Upload-Metadata", EncodeMetadata(meta))
	res, err := s.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if err := Check(res, readAll(res.Body, 1<<20)); err != nil {
		return nil, err
	}
	location, err := url.Parse(res.Header.Get("Location"))
	if err != nil || res.Header.Get("Location") == "" {
		return nil, fmt.Errorf("strata: the upload was created without a Location")
	}
	base, _ := url.Parse(s.BaseURL)
	return &Upload{URL: base.ResolveReference(location).String(), FileID: res.Header.Get("X-File-Id"), Length: length}, nil
}

// UploadOffset asks where an upload stands (HEAD): the bytes the server holds.
func (s *SDK) UploadOffset(ctx context.Context, uploadURL string) (*Upload, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, uploadURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Tus-Resumable", tusVersion)
	res, err := s.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if err := Check(res, readAll(res.Body, 1<<20)); err != nil {
		return nil, err
	}
	offset, err1 := strconv.ParseInt(res.Header.Get("Upload-Offset"), 10, 64)
	length, err2 := strconv.ParseInt(res.Header.Get("Upload-Length"), 10, 64)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("strata: the upload's HEAD had no offset or length")
	}
	return &Upload{URL: uploadURL, FileID: res.Header.Get("X-File-Id"), Offset: offset, Length: length}, nil
}

// patch sends one chunk at offset; it gives the server's new offset.
func (s *SDK) patch(ctx context.Context, up *Upload, chunk []byte) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, up.URL, bytes.NewReader(chunk))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Tus-Resumable", tusVersion)
	req.Header.Set("Upload-Offset", strconv.FormatInt(up.Offset, 10))
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	res, err := s.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if err := Check(res, readAll(res.Body, 1<<20)); err != nil {
		return 0, err
	}
	if id := res.Header.Get("X-File-Id"); id != "" {
		up.FileID = id
	}
	return strconv.ParseInt(res.Header.Get("Upload-Offset"), 10, 64)
}

// Send sends the bytes of r from the upload's offset to its end, chunk bytes a request. After a
// failed request (a cut, a 5xx, a 409 offset race) it asks the offset again and goes on, up to
// `tries` times in a row without progress.
func (s *SDK) Send(ctx context.Context, up *Upload, r io.ReaderAt, chunk int64, progress func(done, total int64)) error {
	if chunk <= 0 {
		chunk = 8 << 20
	}
	buf := make([]byte, chunk)
	const tries = 5
	failures := 0
	for up.Offset < up.Length {
		n := min(chunk, up.Length-up.Offset)
		if _, err := r.ReadAt(buf[:n], up.Offset); err != nil && !(errors.Is(err, io.EOF) && n > 0) {
			return err
		}
		next, err := s.patch(ctx, up, buf[:n])
		if err == nil {
			up.Offset, failures = next, 0
			if progress != nil {
				progress(up.Offset, up.Length)
			}
			continue
		}
		var problem *APIError
		if ctx.Err() != nil || (errors.As(err, &problem) && problem.Status != 409 && problem.Status != 423 && problem.Status < 500) {
			return err
		}
		if failures++; failures >= tries {
			return err
		}
		time.Sleep(time.Duration(failures) * 500 * time.Millisecond)
		at, headErr := s.UploadOffset(ctx, up.URL)
		if headErr != nil {
			continue
		}
		up.Offset = at.Offset
	}
	return nil
}

// ResumeState keeps unfinished uploads in a JSON file, by the file's absolute path, size and
// modification time, so that a later run resumes instead of starting again.
type ResumeState struct{ Path string }

type resumeEntry struct {
	URL     string    `json:"url"`
	Created time.Time `json:"created"`
}

func fingerprint(path string, info os.FileInfo) string {
	abs, _ := filepath.Abs(path)
	return fmt.Sprintf("%s|%d|%d", abs, info.Size(), info.ModTime().UnixNano())
}

func (r ResumeState) read() map[string]resumeEntry {
	entries := map[string]resumeEntry{}
	if b, err := os.ReadFile(r.Path); err == nil {
		_ = json.Unmarshal(b, &entries)
	}
	return entries
}

func (r ResumeState) write(entries map[string]resumeEntry) error {
	if err := os.MkdirAll(filepath.Dir(r.Path), 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(entries, "", "  ")
	tmp := fmt.Sprintf("%s.%d.tmp", r.Path, os.Getpid())
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, r.Path)
}

// PutOptions of PutFile.
type PutOptions struct {
	// Name in Strata (the path's last part when empty).
	Name     string
	FolderID string
	// Chunk is the bytes of one PATCH (8 MiB when zero).
	Chunk int64
	// Resume keeps unfinished uploads for a later run; none when its Path is empty.
	Resume   ResumeState
	Progress func(done, total int64)
}

// Put says what PutFile did.
type Put struct {
	FileID string
	// ResumedFrom is the offset an earlier run had reached (0 for a new upload).
	ResumedFrom int64
	Bytes       int64
}

// PutFile uploads a file from disk resumably, taking up an unfinished upload of the same file.
func (s *SDK) PutFile(ctx context.Context, path string, opts PutOptions) (Put, error) {
	f, err := os.Open(path)
	if err != nil {
		return Put{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return Put{}, err
	}
	name := opts.Name
	if name == "" {
		name = filepath.Base(path)
	}
	key := fingerprint(path, info)
	var up *Upload
	var resumedFrom int64
	if opts.Resume.Path != "" {
		if entry, ok := opts.Resume.read()[key]; ok {
			if at, err := s.UploadOffset(ctx, entry.URL); err == nil {
				up, resumedFrom = at, at.Offset
			}
		}
	}
	if up == nil {
		if up, err = s.CreateUpload(ctx, info.Size(), name, opts.FolderID); err != nil {
			return Put{}, err
		}
		if opts.Resume.Path != "" {
			entries := opts.Resume.read()
			entries[key] = resumeEntry{URL: up.URL, Created: time.Now().UTC()}
			if err := opts.Resume.write(entries); err != nil {
				return Put{}, err
			}
		}
	}
	if err := s.Send(ctx, up, f, opts.Chunk, opts.Progress); err != nil {
		return Put{}, err
	}
	if opts.Resume.Path != "" {
		entries := opts.Resume.read()
		delete(entries, key)
		_ = opts.Resume.write(entries)
	}
	if up.FileID == "" {
		return Put{}, fmt.Errorf("strata: the upload finished without a file id")
	}
	return Put{FileID: up.FileID, ResumedFrom: resumedFrom, Bytes: up.Length}, nil
}
