package httpx

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"
)

// ContentSecurityPolicy is the policy of every answer on the main listener.
// The UI loads its scripts, stylesheet and icon from /static/ and calls the
// API with fetch; it has no inline script, event handler or style attribute,
// so none is allowed ('unsafe-inline' nowhere). Label colours and the fleet
// bar are SVG presentation attributes, which the policy does not govern.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// hstsMaxAge is one year: browsers that once reached the controller over
// TLS refuse plain HTTP to it for that long.
const hstsMaxAge = "max-age=31536000"

// SecurityHeaders sets the browser protections on every answer of h: the
// CSP, no MIME sniffing, no framing, no cross-site Referer, and HSTS when
// the listener itself serves TLS. Behind a proxy that terminates TLS, the
// proxy should add Strict-Transport-Security.
func SecurityHeaders(h http.Handler, tls bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("Content-Security-Policy", ContentSecurityPolicy)
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("Referrer-Policy", "same-origin")
		if tls {
			hdr.Set("Strict-Transport-Security", hstsMaxAge)
		}
		h.ServeHTTP(w, r)
	})
}

var inlineBlock = regexp.MustCompile(`(?s)<(script|style)>(.*?)</(?:script|style)>`)

// InlinePolicy returns the policy for a self-contained page such as
// docs/apidocs.html: the general policy, with its own inline <script> and
// <style> blocks allowed by their SHA-256 digests and nothing else inline.
func InlinePolicy(page []byte) string {
	var scripts, styles []string
	for _, m := range inlineBlock.FindAllSubmatch(page, -1) {
		sum := sha256.Sum256(m[2])
		src := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		if string(m[1]) == "script" {
			scripts = append(scripts, src)
		} else {
			styles = append(styles, src)
		}
	}
	p := ContentSecurityPolicy
	if len(scripts) > 0 {
		p = strings.Replace(p, "script-src 'self'", "script-src 'self' "+strings.Join(scripts, " "), 1)
	}
	if len(styles) > 0 {
		p = strings.Replace(p, "style-src 'self'", "style-src 'self' "+strings.Join(styles, " "), 1)
	}
	return p
}
