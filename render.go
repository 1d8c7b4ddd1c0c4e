package tc

import (
	"strings"
)

// Dynamic values in a config's TOML, resolved when it is served:
//
//	&{name} or &{name:default}  a parameter, from the request's query string
//	::{name}                    a constant ([a-z0-9_]{1,64})
//
// ${VAR} and @{store:key} are left for the agent. Substitution is textual.

// Param is one parameter a template uses.
type Param struct {
	Name       string `json:"name"`
	Default    string `json:"default"`
	HasDefault bool   `json:"hasDefault"`
}

// Template is a TOML text split at its dynamic values, parsed once and
// rendered many times.
type Template struct {
	segs      []segment
	size      int      // bytes of literal text
	Params    []Param  // distinct parameters by first appearance (first default wins)
	Constants []string // distinct constant names by first appearance
}

type segment struct {
	lit   string
	param int // index into Params, or -1
	cnst  int // index into Constants, or -1
}

// ParseTemplate splits toml at its parameters and constants. Text that only
// looks like one (a bad name, no closing brace on the line) stays literal.
func ParseTemplate(toml string) *Template {
	t := &Template{}
	lit := 0 // start of pending literal text
	for i := 0; i < len(toml); {
		var inner string
		var isConst bool
		var end int
		switch {
		case toml[i] == '&' && strings.HasPrefix(toml[i:], "&{"):
			inner, end = closing(toml, i+2)
		case toml[i] == ':' && strings.HasPrefix(toml[i:], "::{"):
			inner, end = closing(toml, i+3)
			isConst = true
		default:
			i++
			continue
		}
		if end < 0 {
			i++
			continue
		}
		seg := segment{param: -1, cnst: -1}
		if isConst {
			if !ValidConstantName(inner) {
				i++
				continue
			}
			seg.cnst = t.constIndex(inner)
		} else {
			name, def, hasDef := strings.Cut(inner, ":")
			if !validParamName(name) {
				i++
				continue
			}
			seg.param = t.paramIndex(Param{Name: name, Default: def, HasDefault: hasDef})
		}
		if lit < i {
			t.addLiteral(toml[lit:i])
		}
		t.segs = append(t.segs, seg)
		i = end + 1
		lit = i
	}
	if lit < len(toml) {
		t.addLiteral(toml[lit:])
	}
	return t
}

// closing returns the text between from and the next '}' on the same line,
// and the brace's index (-1 when there is none).
func closing(s string, from int) (string, int) {
	for j := from; j < len(s); j++ {
		switch s[j] {
		case '}':
			return s[from:j], j
		case '\n':
			return "", -1
		}
	}
	return "", -1
}

func (t *Template) addLiteral(s string) {
	t.segs = append(t.segs, segment{lit: s, param: -1, cnst: -1})
	t.size += len(s)
}

func (t *Template) paramIndex(p Param) int {
	for i, q := range t.Params {
		if q.Name == p.Name {
			if !q.HasDefault && p.HasDefault {
				t.Params[i] = p
			}
			return i
		}
	}
	t.Params = append(t.Params, p)
	return len(t.Params) - 1
}

func (t *Template) constIndex(name string) int {
	for i, n := range t.Constants {
		if n == name {
			return i
		}
	}
	t.Constants = append(t.Constants, name)
	return len(t.Constants) - 1
}

// validParamName accepts names of letters, digits, '_', '-' and '.'.
func validParamName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// ConstantNames returns the distinct constants toml uses.
func ConstantNames(toml string) []string {
	if !strings.Contains(toml, "::{") {
		return nil
	}
	return ParseTemplate(toml).Constants
}

// ParamJoin joins the values of a repeated query parameter, so that
// ["&{x}"] with x=a and x=b renders as ["a", "b"].
const ParamJoin = `", "`

// Render appends t filled from query (parameter values) and constants to dst.
// Every problem is reported at once in one EINVALID error: all missing
// required parameters, values that could break out of a TOML string (a
// double quote, a backslash, a newline or another control character), and
// all undefined constants.
func (t *Template) Render(dst []byte, query map[string][]string, constants map[string]string) ([]byte, error) {
	var missing, unsafe, undefined []string
	values := make([]string, len(t.Params))
	for i, p := range t.Params {
		vs, ok := query[p.Name]
		switch {
		case !ok || len(vs) == 0:
			if !p.HasDefault {
				missing = append(missing, p.Name)
			}
			values[i] = p.Default
		case len(vs) == 1:
			values[i] = vs[0]
		default:
			values[i] = strings.Join(vs, ParamJoin)
		}
		if ok {
			for _, v := range vs {
				if !safeValue(v) {
					unsafe = append(unsafe, p.Name)
					break
				}
			}
		}
	}
	for _, n := range t.Constants {
		if _, ok := constants[n]; !ok {
			undefined = append(undefined, n)
		}
	}
	if missing != nil || unsafe != nil || undefined != nil {
		var msgs []string
		if missing != nil {
			msgs = append(msgs, "missing required parameters: "+strings.Join(missing, ", "))
		}
		if unsafe != nil {
			msgs = append(msgs, "parameter values must not contain a double quote, a backslash, a newline or another control character: "+strings.Join(unsafe, ", "))
		}
		if undefined != nil {
			msgs = append(msgs, "undefined constants: "+strings.Join(undefined, ", "))
		}
		return dst, Errorf(EINVALID, "%s", strings.Join(msgs, "; "))
	}
	n := t.size
	for _, v := range values {
		n += len(v)
	}
	if cap(dst)-len(dst) < n {
		grown := make([]byte, len(dst), len(dst)+n+64)
		copy(grown, dst)
		dst = grown
	}
	for _, s := range t.segs {
		switch {
		case s.param >= 0:
			dst = append(dst, values[s.param]...)
		case s.cnst >= 0:
			dst = append(dst, constants[t.Constants[s.cnst]]...)
		default:
			dst = append(dst, s.lit...)
		}
	}
	return dst, nil
}

func safeValue(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '"' || c == '\\' || c == 0x7f || (c < 0x20 && c != '\t') {
			return false
		}
	}
	return true
}
