package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/telegrafcontroller/tc/internal/httpx"
)

// userAgent is sent on every request to a receiver.
const userAgent = "telegraf-controller-notify"

// maxRetryAfter bounds the wait a receiver may ask for.
const maxRetryAfter = 24 * time.Hour

// newHTTPClient returns the client the HTTP channels share: a 10 s timeout
// per request and no redirects followed, so that a signature or a header
// meant for one receiver never reaches another.
func newHTTPClient() *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// post sends body to target with the headers and classifies the answer:
// nil for a 2xx; a *RetryError for a network error, a 408, a 429 or a 5xx
// (with the receiver's Retry-After); ErrPermanent for any other status.
// No error names the URL, which may hold a secret (Slack's, Teams'): what
// says the kind says where.
func (d *ChannelDispatcher) post(ctx context.Context, kind, target string, body []byte, header http.Header) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: bad URL: %w", kind, ErrPermanent)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, err := d.client.Do(req)
	if err != nil {
		return &RetryError{Err: fmt.Errorf("%s: %s", kind, networkError(err))}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return &RetryError{After: d.retryAfter(resp.Header.Get("Retry-After")),
			Err: fmt.Errorf("%s: the receiver answered %s%s", kind, resp.Status, quoteBody(snippet))}
	case code >= 300 && code < 400:
		return fmt.Errorf("%s: the receiver answered %s (a redirect, which is not followed: use the final URL): %w", kind, resp.Status, ErrPermanent)
	default:
		return fmt.Errorf("%s: the receiver answered %s%s: %w", kind, resp.Status, quoteBody(snippet), ErrPermanent)
	}
}

// networkError describes err without the URL a *url.Error carries.
func networkError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return "no answer within the timeout"
		}
		err = ue.Err
	}
	var ce *tls.CertificateVerificationError
	var ha x509.HostnameError
	var ua x509.UnknownAuthorityError
	if errors.As(err, &ce) || errors.As(err, &ha) || errors.As(err, &ua) {
		return "the receiver's TLS certificate is not trusted: " + err.Error()
	}
	return err.Error()
}

// quoteBody returns ": <the start of body>" for an error message, or "".
func quoteBody(b []byte) string {
	s := strings.TrimSpace(string(b))
	if s == "" || !utf8.ValidString(s) {
		return ""
	}
	if len(s) > 200 {
		s = s[:200]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return ": " + strconv.Quote(s)
}

// retryAfter reads a Retry-After value (httpx.RetryAfter), at most a day.
func (d *ChannelDispatcher) retryAfter(v string) time.Duration {
	return httpx.RetryAfter(v, d.now(), maxRetryAfter)
}
