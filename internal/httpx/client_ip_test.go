package httpx_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc/internal/httpx"
)

// TestClientIP: behind trusted proxies the client is the nearest
// X-Forwarded-For hop, counted from the right, that is not a trusted proxy.
// Hops left of it are the client's own words and never chosen.
func TestClientIP(t *testing.T) {
	prefixes := func(s string) []netip.Prefix {
		var out []netip.Prefix
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, netip.MustParsePrefix(p))
			}
		}
		return out
	}
	for _, tt := range []struct {
		name, peer, trusted string
		xff                 []string // header lines, in order
		want                string
	}{
		{"no proxies trusted", "203.0.113.9:5000", "", []string{"198.51.100.1"}, "203.0.113.9"},
		{"peer not trusted", "203.0.113.9:5000", "10.0.0.0/8", []string{"198.51.100.1"}, "203.0.113.9"},
		{"peer not trusted, spoofed trusted hop", "203.0.113.9:5000", "10.0.0.0/8", []string{"10.0.0.1"}, "203.0.113.9"},
		{"trusted peer, no header", "10.0.0.2:5000", "10.0.0.0/8", nil, "10.0.0.2"},
		{"one hop", "10.0.0.2:5000", "10.0.0.0/8", []string{"203.0.113.7"}, "203.0.113.7"},
		// nginx $proxy_add_x_forwarded_for appends to what the client sent.
		{"client-chosen leftmost ignored", "10.0.0.2:5000", "10.0.0.0/8", []string{"198.51.100.1, 203.0.113.7"}, "203.0.113.7"},
		{"client-chosen trusted-looking hop ignored", "10.0.0.2:5000", "10.0.0.0/8", []string{"10.9.9.9, 203.0.113.7"}, "203.0.113.7"},
		{"chain of proxies", "10.0.0.2:5000", "10.0.0.0/8, 192.0.2.0/24", []string{"198.51.100.1, 203.0.113.7, 192.0.2.5, 10.1.1.1"}, "203.0.113.7"},
		{"untrusted proxy in the chain", "10.0.0.2:5000", "10.0.0.0/8", []string{"203.0.113.7, 192.0.2.5"}, "192.0.2.5"},
		{"all trusted: leftmost", "10.0.0.2:5000", "10.0.0.0/8", []string{"10.3.3.3, 10.2.2.2"}, "10.3.3.3"},
		{"several lines are one list", "10.0.0.2:5000", "10.0.0.0/8", []string{"198.51.100.1, 203.0.113.7", "10.4.4.4"}, "203.0.113.7"},
		{"several lines, client in the last", "10.0.0.2:5000", "10.0.0.0/8", []string{"198.51.100.1", "203.0.113.7"}, "203.0.113.7"},
		{"empty entries skipped", "10.0.0.2:5000", "10.0.0.0/8", []string{"203.0.113.7, ,", ""}, "203.0.113.7"},
		{"ipv6 hop", "10.0.0.2:5000", "10.0.0.0/8", []string{"2001:db8::1"}, "2001:db8::1"},
		{"ipv6 peer and hop", "[2001:db8:1::2]:5000", "2001:db8:1::/48", []string{"2001:db8::7, 2001:db8:1::9"}, "2001:db8::7"},
		{"mapped ipv4 hop", "10.0.0.2:5000", "10.0.0.0/8", []string{"::ffff:203.0.113.7"}, "203.0.113.7"},
		{"mapped ipv4 peer", "[::ffff:10.0.0.2]:5000", "10.0.0.0/8", []string{"203.0.113.7"}, "203.0.113.7"},
		{"hop with port", "10.0.0.2:5000", "10.0.0.0/8", []string{"198.51.100.1, 203.0.113.7:4711"}, "203.0.113.7"},
		{"bracketed ipv6 with port", "10.0.0.2:5000", "10.0.0.0/8", []string{"[2001:db8::1]:443"}, "2001:db8::1"},
		{"bracketed ipv6", "10.0.0.2:5000", "10.0.0.0/8", []string{"[2001:db8::1]"}, "2001:db8::1"},
		{"zone dropped", "10.0.0.2:5000", "10.0.0.0/8", []string{"fe80::1%eth0"}, "fe80::1"},
		// A malformed hop ends the walk at the last good address: a trusted
		// proxy, never anything the client wrote.
		{"garbage only", "10.0.0.2:5000", "10.0.0.0/8", []string{"unknown"}, "10.0.0.2"},
		{"garbage right of the client", "10.0.0.2:5000", "10.0.0.0/8", []string{"203.0.113.7, unknown"}, "10.0.0.2"},
		{"garbage behind a trusted hop", "10.0.0.2:5000", "10.0.0.0/8", []string{"203.0.113.7, junk, 10.5.5.5"}, "10.5.5.5"},
		{"garbage left of the client", "10.0.0.2:5000", "10.0.0.0/8", []string{"junk, 203.0.113.7"}, "203.0.113.7"},
		{"obfuscated identifier", "10.0.0.2:5000", "10.0.0.0/8", []string{"_hidden"}, "10.0.0.2"},
		{"unparsable peer", "pipe", "10.0.0.0/8", []string{"203.0.113.7"}, "pipe"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := httpx.ClientIP(r, prefixes(tt.trusted)); got != tt.want {
				t.Errorf("ClientIP(peer %s, X-Forwarded-For %q, trusted %q) = %q, want %q", tt.peer, tt.xff, tt.trusted, got, tt.want)
			}
		})
	}
}

func BenchmarkClientIP(b *testing.B) {
	r := httptest.NewRequest("POST", "/agents/heartbeat", nil)
	r.RemoteAddr = "10.0.0.2:5000"
	r.Header = http.Header{"X-Forwarded-For": {"198.51.100.1, 203.0.113.7, 10.1.1.1"}}
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for b.Loop() {
		httpx.ClientIP(r, trusted)
	}
}
