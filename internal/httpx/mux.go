package httpx

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/telegrafcontroller/tc"
)

// JSONErrors serves mux, answering a request it has no route for in the
// error shape instead of the mux's plain text: 405 with the mux's Allow
// header where the path has routes for other methods, 404 otherwise.
func JSONErrors(mux *http.ServeMux, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		rec := &headerRecorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		if rec.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", rec.header.Get("Allow"))
			WriteError(w, r, logger, tc.Errorf(tc.EMETHOD, "method %s not allowed on %s", r.Method, r.URL.Path))
			return
		}
		WriteError(w, r, logger, tc.Errorf(tc.ENOTFOUND, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
}

// headerRecorder captures what the mux's fallback handlers would write.
type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header         { return h.header }
func (h *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (h *headerRecorder) WriteHeader(code int)        { h.status = code }

// PlainURL refuses a request whose path or query is not valid UTF-8 text or
// holds a NUL byte, before h sees it. PostgreSQL refuses a NUL byte in
// text, so an id or filter carrying one would surface as a 500 from
// whatever query it reaches; and no id or name can hold bytes that are not
// UTF-8.
func PlainURL(h http.Handler, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !PlainText(r.URL.Path) {
			WriteError(w, r, logger, tc.Errorf(tc.ENOTFOUND, "no such resource: the path is not valid UTF-8 text or contains a NUL byte"))
			return
		}
		if q := r.URL.RawQuery; q != "" {
			if u, err := url.QueryUnescape(q); err == nil && !PlainText(u) {
				WriteError(w, r, logger, tc.Errorf(tc.EINVALID, "query parameters must be valid UTF-8 text without NUL bytes"))
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// PlainText reports whether s is valid UTF-8 without NUL bytes.
func PlainText(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

// CrossOrigin refuses cross-origin browser writes to h (http.CrossOriginProtection)
// with deny. The protection guards the ambient credential, the session
// cookie. A request with an Authorization header is authenticated by that
// header alone (the cookie is then ignored, see auth.Authenticate), so it
// carries nothing a foreign page could borrow and passes unchanged.
func CrossOrigin(h, deny http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(deny)
	protected := cop.Handler(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.Header["Authorization"]) > 0 {
			h.ServeHTTP(w, r)
			return
		}
		protected.ServeHTTP(w, r)
	})
}
