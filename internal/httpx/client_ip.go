package httpx

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP is the client's address: the TCP peer's, or, when the peer is
// one of the trusted proxies, the nearest X-Forwarded-For hop that is not
// (the header is ignored otherwise: any client can send one). Proxies
// append the address they received from, so only the hops from the right
// up to the first untrusted one were written by trusted proxies; everything
// left of it is the client's to choose. Several header lines count as one
// list, in order. All hops trusted: the leftmost. A hop that is not an
// address (with or without a port) ends the walk at the last good one,
// which is a trusted proxy: such clients share its address rather than
// choose their own. Both listeners use it: for an agent's recorded IP and
// for the sign-in limiter's buckets.
func ClientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if len(trusted) == 0 {
		return host
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !inPrefixes(trusted, peer) {
		return host
	}
	client := peer
	lines := r.Header.Values("X-Forwarded-For")
	for i := len(lines) - 1; i >= 0; i-- {
		for rest := lines[i]; ; {
			hop := rest
			j := strings.LastIndexByte(rest, ',')
			if j >= 0 {
				hop, rest = rest[j+1:], rest[:j]
			}
			hop = strings.TrimSpace(hop)
			// An empty line or ", ," adds no hop (Header.Values keeps them).
			if hop != "" {
				a, ok := forwardedAddr(hop)
				if !ok {
					return client.String()
				}
				client = a
				if !inPrefixes(trusted, a) {
					return a.String()
				}
			}
			if j < 0 {
				break
			}
		}
	}
	return client.String()
}

func inPrefixes(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedAddr parses one X-Forwarded-For hop: an address, IPv4 with a
// port, or a bracketed IPv6 address with or without a port (some proxies
// append the port).
func forwardedAddr(hop string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(hop)
	if err != nil {
		ap, perr := netip.ParseAddrPort(hop)
		if perr != nil {
			if len(hop) < 2 || hop[0] != '[' || hop[len(hop)-1] != ']' {
				return netip.Addr{}, false
			}
			if a, err = netip.ParseAddr(hop[1 : len(hop)-1]); err != nil {
				return netip.Addr{}, false
			}
		} else {
			a = ap.Addr()
		}
	}
	return a.Unmap().WithZone(""), true
}
