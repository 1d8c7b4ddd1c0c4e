package web

import (
	"net/http"
	"net/url"
	"path"
	"strings"
)

// maxNextLength bounds the return address carried through sign-in.
const maxNextLength = 2048

// signInTarget decides where sign-in sends the browser for the next
// parameter. It returns the exact Location value, which is always a path on
// this site: the decision is made on what is emitted, not on what came in.
// Anything else, or anything in doubt, gives "/".
//
// A backslash in any form is refused (browsers read "/\host" as "//host"),
// as are control characters and spaces (browsers drop tabs and newlines
// inside URLs), a scheme, a host, and paths that are not clean ("/./",
// "/../", "//"): a clean path cannot be reread as a network path. The path
// is sent percent-encoded as parsed and the query re-encoded, so what the
// browser reads is what was checked.
func signInTarget(next string) string {
	const fallback = "/"
	if next == "" || len(next) > maxNextLength || !emittable(next, true) {
		return fallback
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Opaque != "" || u.User != nil || u.Host != "" {
		return fallback
	}
	if !emittable(u.Path, false) {
		return fallback // an encoded backslash or control character
	}
	target := u.EscapedPath()
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return fallback
		}
		if len(q) > 0 {
			target += "?" + q.Encode()
		}
	}
	if !localPath(target) {
		return fallback
	}
	return target
}

// localPath reports whether s, used as a Location or link as it is, stays on
// this site: it starts with exactly one slash, its path is clean, and it has
// no byte a browser would drop or reinterpret.
func localPath(s string) bool {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || !emittable(s, true) {
		return false
	}
	p, _, _ := strings.Cut(s, "?")
	clean := path.Clean(p)
	return clean == p || clean+"/" == p
}

// emittable reports whether s holds no backslash and no control character;
// with ascii also no space, nothing outside printable ASCII and no brace
// (the UI's data-then templates use {name}).
func emittable(s string, ascii bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\', c < 0x20, c == 0x7f:
			return false
		case ascii && (c == ' ' || c > 0x7e || c == '{' || c == '}'):
			return false
		}
	}
	return true
}

// redirectLocal answers 303 See Other to target, a value from
// signInTarget. It sets the Location header itself: http.Redirect would
// clean the path again, and the value checked must be the value sent.
func redirectLocal(w http.ResponseWriter, target string) {
	if !localPath(target) {
		target = "/"
	}
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusSeeOther)
}
