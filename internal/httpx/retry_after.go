package httpx

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryAfter reads a Retry-After header value, seconds or an HTTP date
// (compared with now): 0 when there is none or it cannot be read, else at
// least 1 ns, however near, and at most limit. The audit webhook forwarder
// and the alert channels both honour it.
func RetryAfter(v string, now time.Time, limit time.Duration) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var wait time.Duration
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		wait = time.Duration(min(n, int(limit/time.Second)+1)) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		wait = t.Sub(now)
	} else {
		return 0
	}
	return min(max(wait, 1), limit)
}
