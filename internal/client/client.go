// Package client calls a controller's public JSON API over HTTP with an API
// token: typed calls for each resource, in files named after it, and one
// error type that keeps the HTTP status and the API's {"error","message"}.
// It is what tcctl (internal/cli) is built on; it imports no storage, no
// service and no server code.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Client calls one controller. The zero value is not usable; use New.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
	// UserAgent is sent with every request.
	UserAgent string
}

// Options are the connection settings of New.
type Options struct {
	// CAFile is a PEM bundle trusted in addition to the system's roots.
	CAFile string
	// Insecure skips verification of the server's certificate.
	Insecure bool
	// Timeout bounds each request (30 s when zero).
	Timeout time.Duration
}

// New returns a client of the controller at baseURL (scheme, host and an
// optional path prefix) that sends token, when not empty, as a bearer token.
func New(baseURL, token string, opt Options) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("controller URL %q: want http(s)://host[:port]", baseURL)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if opt.CAFile != "" || opt.Insecure {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: opt.Insecure}
		if opt.CAFile != "" {
			pem, err := os.ReadFile(opt.CAFile)
			if err != nil {
				return nil, fmt.Errorf("read CA file: %w", err)
			}
			pool, err := x509.SystemCertPool()
			if err != nil || pool == nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("CA file %s holds no PEM certificate", opt.CAFile)
			}
			cfg.RootCAs = pool
		}
		tr.TLSClientConfig = cfg
	}
	timeout := opt.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	return &Client{base: u, token: token, http: &http.Client{Transport: tr, Timeout: timeout}, UserAgent: "tcctl"}, nil
}

// URL is the controller's base URL.
func (c *Client) URL() string { return c.base.String() }

// Error is an answer of the API other than a success: the HTTP status and
// the body's code and message. The token never appears in it.
type Error struct {
	Status  int
	Code    string // "invalid", "not_found", ... from the body, when it had one
	Message string
	Field   string
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	if e.Field != "" && !strings.Contains(msg, e.Field) {
		msg = e.Field + ": " + msg
	}
	return fmt.Sprintf("%s (HTTP %d)", msg, e.Status)
}

// StatusOf returns the HTTP status of an *Error in err's chain, or 0.
func StatusOf(err error) int {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Status
	}
	return 0
}

// IsNotFound reports whether err is a 404 from the API.
func IsNotFound(err error) bool { return StatusOf(err) == http.StatusNotFound }

// request builds a request for path (relative to the base URL) with query.
func (c *Client) request(ctx context.Context, method, path string, q url.Values, body io.Reader) (*http.Request, error) {
	u := *c.base
	u.Path = strings.TrimRight(c.base.Path, "/") + path
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("User-Agent", c.UserAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// send performs a request and returns the response for a 2xx, or an *Error.
// The caller closes the body.
func (c *Client) send(ctx context.Context, method, path string, q url.Values, in any) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := c.request(ctx, method, path, q, body)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// url.Error names the URL, never the header: no token in it.
		return nil, fmt.Errorf("%s %s: %w", method, path, unwrapURLError(err))
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &Error{Status: resp.StatusCode}
	var eb struct {
		Error   string `json:"error"`
		Message string `json:"message"`
		Field   string `json:"field"`
	}
	if json.Unmarshal(b, &eb) == nil && (eb.Error != "" || eb.Message != "") {
		e.Code, e.Message, e.Field = eb.Error, eb.Message, eb.Field
	} else if s := strings.TrimSpace(string(b)); s != "" && len(s) < 300 && !strings.Contains(s, "<") {
		e.Message = s
	}
	return nil, e
}

func unwrapURLError(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}

// Do sends in as JSON (when not nil) and decodes a JSON answer into out
// (when not nil).
func (c *Client) Do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	resp, err := c.send(ctx, method, path, q, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// Text performs a GET and returns the body as text (rendered TOML, CSV).
func (c *Client) Text(ctx context.Context, path string, q url.Values) (string, error) {
	var sb strings.Builder
	if err := c.Stream(ctx, path, q, &sb); err != nil {
		return "", err
	}
	return sb.String(), nil
}

// Stream performs a GET and copies the body to w (exports).
func (c *Client) Stream(ctx context.Context, path string, q url.Values, w io.Writer) error {
	resp, err := c.send(ctx, http.MethodGet, path, q, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(w, resp.Body)
	return err
}

// List is the shape of every list the API answers.
type List[T any] struct {
	Items []T   `json:"items"`
	Total int64 `json:"total"`
}

// seg escapes one path segment.
func seg(s string) string { return url.PathEscape(s) }

// all reads every page of a paged list (page and limit query parameters),
// pageSize items at a time, up to max items (0: no bound).
func all[T any](ctx context.Context, c *Client, path string, q url.Values, pageSize, max int) ([]T, int64, error) {
	if q == nil {
		q = url.Values{}
	}
	var out []T
	var total int64
	for page := 1; ; page++ {
		q.Set("page", fmt.Sprint(page))
		n := pageSize
		if max > 0 && max-len(out) < n {
			n = max - len(out)
		}
		q.Set("limit", fmt.Sprint(n))
		var l List[T]
		if err := c.Do(ctx, http.MethodGet, path, q, nil, &l); err != nil {
			return nil, 0, err
		}
		out = append(out, l.Items...)
		total = l.Total
		if len(l.Items) < n || int64(len(out)) >= total || (max > 0 && len(out) >= max) {
			return out, total, nil
		}
	}
}
