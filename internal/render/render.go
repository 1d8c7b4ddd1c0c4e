// Package render fills a config's TOML for one agent: parameters &{name} and
// &{name:default} from the request's query string, constants ::{name} from
// the controller's constants. ${VAR} and @{store:key} are left for the agent.
// Dynamic values are found by telegraf.References, so that what validation
// reports and what serving substitutes are the same (comments included:
// neither looks inside them). Substitution is textual.
package render

import (
	"strings"
	"unicode/utf8"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/telegraf"
)

// Template is a TOML text split at its parameters and constants, parsed once
// and rendered many times.
type Template struct {
	segs      []segment
	size      int      // bytes of literal text
	params    []string // distinct parameter names by first appearance
	required  []bool   // per params entry: some occurrence has no default
	Constants []string // distinct constant names by first appearance
}

type segment struct {
	lit        string
	param      int // index into params, or -1
	cnst       int // index into Constants, or -1
	def        string
	hasDefault bool
}

// Parse splits toml at its parameters and constants.
func Parse(toml string) *Template {
	t := &Template{}
	lit := 0
	for _, ref := range telegraf.References(toml) {
		seg := segment{param: -1, cnst: -1}
		switch ref.Kind {
		case telegraf.Parameter:
			seg.param = t.paramIndex(ref.Name, !ref.HasDefault)
			seg.def, seg.hasDefault = ref.Default, ref.HasDefault
		case telegraf.Constant:
			seg.cnst = t.constIndex(ref.Name)
		default:
			continue
		}
		if lit < ref.Start {
			t.addLiteral(toml[lit:ref.Start])
		}
		t.segs = append(t.segs, seg)
		lit = ref.End
	}
	if lit < len(toml) {
		t.addLiteral(toml[lit:])
	}
	return t
}

func (t *Template) addLiteral(s string) {
	t.segs = append(t.segs, segment{lit: s, param: -1, cnst: -1})
	t.size += len(s)
}

func (t *Template) paramIndex(name string, required bool) int {
	for i, n := range t.params {
		if n == name {
			t.required[i] = t.required[i] || required
			return i
		}
	}
	t.params = append(t.params, name)
	t.required = append(t.required, required)
	return len(t.params) - 1
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

// ConstantNames returns the distinct constants toml uses.
func ConstantNames(toml string) []string {
	if !strings.Contains(toml, "::{") {
		return nil
	}
	return Parse(toml).Constants
}

// Join joins the values of a repeated query parameter, so that ["&{x}"]
// with x=a and x=b renders as ["a", "b"].
const Join = `", "`

// Render appends t filled from query (parameter values) and constants to
// dst. Every problem is reported at once in one EINVALID error: all missing
// required parameters, values that could break out of a TOML string (a
// double quote, a backslash, a newline or another control character), and
// all undefined constants.
func (t *Template) Render(dst []byte, query map[string][]string, constants map[string]string) ([]byte, error) {
	var missing, unsafe, undefined []string
	var valueBuf [8]string
	values := valueBuf[:0]
	given := make([]bool, 0, len(valueBuf))
	for i, name := range t.params {
		vs, ok := query[name]
		ok = ok && len(vs) > 0
		var v string
		switch {
		case !ok:
			if t.required[i] {
				missing = append(missing, name)
			}
		case len(vs) == 1:
			v = vs[0]
		default:
			v = strings.Join(vs, Join)
		}
		for _, one := range vs {
			if !safeValue(one) {
				unsafe = append(unsafe, name)
				break
			}
		}
		values = append(values, v)
		given = append(given, ok)
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
			msgs = append(msgs, "parameter values must be UTF-8 without a double quote, a backslash, a newline or another control character: "+strings.Join(unsafe, ", "))
		}
		if undefined != nil {
			msgs = append(msgs, "undefined constants: "+strings.Join(undefined, ", "))
		}
		return dst, tc.Errorf(tc.EINVALID, "%s", strings.Join(msgs, "; "))
	}
	n := t.size
	for _, s := range t.segs {
		switch {
		case s.param >= 0 && given[s.param]:
			n += len(values[s.param])
		case s.param >= 0:
			n += len(s.def)
		case s.cnst >= 0:
			n += len(constants[t.Constants[s.cnst]])
		}
	}
	if cap(dst)-len(dst) < n {
		grown := make([]byte, len(dst), len(dst)+n)
		copy(grown, dst)
		dst = grown
	}
	for _, s := range t.segs {
		switch {
		case s.param >= 0 && given[s.param]:
			dst = append(dst, values[s.param]...)
		case s.param >= 0:
			dst = append(dst, s.def...)
		case s.cnst >= 0:
			dst = append(dst, constants[t.Constants[s.cnst]]...)
		default:
			dst = append(dst, s.lit...)
		}
	}
	return dst, nil
}

// safeValue refuses what could end a TOML string or line early, and bytes
// that are not UTF-8 (a TOML document must be, or the agent refuses it).
func safeValue(v string) bool {
	if !utf8.ValidString(v) {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '"' || c == '\\' || c == 0x7f || (c < 0x20 && c != '\t') {
			return false
		}
	}
	return true
}
