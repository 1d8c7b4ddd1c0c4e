package heartbeat

import (
	"encoding/json"
	"math"
	"unicode/utf8"
)

// decodeFast decodes the common shape of a heartbeat without reflection:
// exactly the known keys, each at most once, strings of printable ASCII with
// JSON escapes (\u0026 included), non-negative integers, and logs as an
// array of ASCII JSON, kept raw for fromMessage to decode as encoding/json
// would have kept it. On anything else it gives up (ok false) and parse
// uses encoding/json, which then accepts or rejects the body with its
// precise message. So both paths agree on every body the fast one accepts
// (TestDecodeFastMatchesJSON), and the heartbeat a steady fleet sends costs
// a fraction of the reflective decoder.
func decodeFast(b []byte) (m message, ok bool) {
	s := scanner{b: b}
	if !s.consume('{') {
		return m, false
	}
	if s.consume('}') {
		return m, s.end()
	}
	var seen uint16
	for {
		key, ok := s.key()
		if !ok || !s.consume(':') {
			return m, false
		}
		bit := uint16(0)
		switch string(key) {
		case "id":
			bit = 1 << 0
			m.ID, ok = s.str()
		case "version":
			bit = 1 << 1
			m.Version, ok = s.str()
		case "schema":
			bit = 1 << 2
			m.Schema, ok = s.int64()
		case "last":
			bit = 1 << 3
			m.Last, ok = s.int64()
		case "hostname":
			bit = 1 << 4
			m.Hostname, ok = s.str()
		case "configurations":
			bit = 1 << 5
			m.Configurations, ok = s.strings()
		case "statistics":
			bit = 1 << 6
			m.Statistics, ok = s.statistics()
		case "logs":
			bit = 1 << 7
			m.Logs, ok = s.array() // entries: encoding/json, in fromMessage
		case "status":
			bit = 1 << 8
			m.Status, ok = s.str()
		case "metrics":
			bit = 1 << 9
			var v uint64
			v, ok = s.uint64()
			m.Metrics = &v
		default:
			return m, false
		}
		if !ok || seen&bit != 0 {
			return m, false
		}
		seen |= bit
		if s.consume(',') {
			continue
		}
		if s.consume('}') {
			return m, s.end()
		}
		return m, false
	}
}

type scanner struct {
	b []byte
	i int
}

func (s *scanner) skipSpace() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// consume skips whitespace and then c, if c is next.
func (s *scanner) consume(c byte) bool {
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// end reports whether only whitespace is left.
func (s *scanner) end() bool {
	s.skipSpace()
	return s.i == len(s.b)
}

// key reads an object key without escapes, as bytes of the body (no copy).
func (s *scanner) key() ([]byte, bool) {
	if !s.consume('"') {
		return nil, false
	}
	for j := s.i; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			k := s.b[s.i:j]
			s.i = j + 1
			return k, true
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return nil, false
		}
	}
	return nil, false
}

func (s *scanner) str() (string, bool) {
	if !s.consume('"') {
		return "", false
	}
	start := s.i
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return string(s.b[start:j]), true
		case c == '\\':
			return s.escaped(start)
		case c < 0x20 || c >= utf8.RuneSelf:
			return "", false
		}
	}
	return "", false
}

// escaped decodes a string that holds escapes, from its first character.
func (s *scanner) escaped(start int) (string, bool) {
	// On the stack up to 256 bytes (a Telegraf config URL with \u0026 in
	// its query is about 130): the string returned is the one allocation.
	var buf [256]byte
	out := buf[:0]
	for j := start; j < len(s.b); j++ {
		c := s.b[j]
		switch {
		case c == '"':
			s.i = j + 1
			return string(out), true
		case c < 0x20 || c >= utf8.RuneSelf:
			return "", false
		case c != '\\':
			out = append(out, c)
			continue
		}
		j++
		if j >= len(s.b) {
			return "", false
		}
		switch s.b[j] {
		case '"', '\\', '/':
			out = append(out, s.b[j])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if j+4 >= len(s.b) {
				return "", false
			}
			var r rune
			for _, h := range s.b[j+1 : j+5] {
				switch {
				case h >= '0' && h <= '9':
					r = r<<4 | rune(h-'0')
				case h >= 'a' && h <= 'f':
					r = r<<4 | rune(h-'a'+10)
				case h >= 'A' && h <= 'F':
					r = r<<4 | rune(h-'A'+10)
				default:
					return "", false
				}
			}
			if utf8.RuneLen(r) < 0 || (r >= 0xD800 && r <= 0xDFFF) {
				return "", false // surrogates: encoding/json
			}
			out = utf8.AppendRune(out, r)
			j += 4
		default:
			return "", false
		}
	}
	return "", false
}

// uint64 reads a non-negative JSON integer that fits.
func (s *scanner) uint64() (uint64, bool) {
	s.skipSpace()
	start := s.i
	var v uint64
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		d := uint64(s.b[s.i] - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
		s.i++
	}
	n := s.i - start
	if n == 0 || (n > 1 && s.b[start] == '0') {
		return 0, false
	}
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	return v, true
}

func (s *scanner) int64() (int64, bool) {
	v, ok := s.uint64()
	if !ok || v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// array reads a JSON array of printable ASCII as bytes of the body (no
// copy), nil when it is empty. json.Valid checks it as encoding/json's
// scanner would have within the whole body.
func (s *scanner) array() (json.RawMessage, bool) {
	if !s.consume('[') {
		return nil, false
	}
	start := s.i - 1
	if s.consume(']') {
		return nil, true
	}
	depth, inString := 0, false
	for j := start; j < len(s.b); j++ {
		c := s.b[j]
		switch {
		case c >= utf8.RuneSelf:
			return nil, false
		case inString:
			switch c {
			case '\\':
				j++ // the escaped character: json.Valid checks the escape
			case '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			if depth--; depth == 0 {
				raw := s.b[start : j+1]
				if !json.Valid(raw) {
					return nil, false
				}
				s.i = j + 1
				return raw, true
			}
		}
	}
	return nil, false
}

func (s *scanner) strings() ([]string, bool) {
	if !s.consume('[') {
		return nil, false
	}
	out := []string{}
	if s.consume(']') {
		return out, true
	}
	for {
		v, ok := s.str()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		if s.consume(',') {
			continue
		}
		return out, s.consume(']')
	}
}

func (s *scanner) statistics() (*statistics, bool) {
	if !s.consume('{') {
		return nil, false
	}
	st := &statistics{}
	if s.consume('}') {
		return st, true
	}
	var seen uint8
	for {
		key, ok := s.key()
		if !ok || !s.consume(':') {
			return nil, false
		}
		var v uint64
		if v, ok = s.uint64(); !ok {
			return nil, false
		}
		var bit uint8
		switch string(key) {
		case "errors":
			bit, st.Errors = 1, v
		case "warnings":
			bit, st.Warnings = 2, v
		case "metrics":
			bit, st.Metrics = 4, v
		default:
			return nil, false
		}
		if seen&bit != 0 {
			return nil, false
		}
		seen |= bit
		if s.consume(',') {
			continue
		}
		return st, s.consume('}')
	}
}
