// Package render fills a config's TOML for one agent: parameters &{name} and
// &{name:default} from the request's query string, constants ::{name} from
// the controller's constants. ${VAR} and @{store:key} are left for the agent.
// Dynamic values are found by telegraf.References, so that what validation
// reports and what serving substitutes are the same (comments included:
// neither looks inside them). Substitution is textual.
package render

import (
	"fmt"
	"strings"
	"sync"
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

	// escapes is set when the text holds \u or \U: a value could finish
	// such an escape in a double-quoted string and make the TOML unreadable.
	escapes bool

	plansMu sync.Mutex
	plans   map[string]*plan // by given parameters and constant values
}

type segment struct {
	lit        string
	param      int // index into params, or -1
	cnst       int // index into Constants, or -1
	def        string
	hasDefault bool
	line       int // of a parameter in the template, for messages
}

// Parse splits toml at its parameters and constants.
func Parse(toml string) *Template {
	t := &Template{escapes: strings.Contains(toml, `\u`) || strings.Contains(toml, `\U`)}
	lit := 0
	for _, ref := range telegraf.References(toml) {
		seg := segment{param: -1, cnst: -1}
		switch ref.Kind {
		case telegraf.Parameter:
			seg.param = t.paramIndex(ref.Name, !ref.HasDefault)
			seg.def, seg.hasDefault, seg.line = ref.Default, ref.HasDefault, ref.Line
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

// Params returns the distinct parameter names t uses, by first
// appearance: a render depends on the query through these alone.
func (t *Template) Params() []string { return t.params }

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
// required parameters, every value that could leave the TOML context it
// lands in (see refusal), and all undefined constants. When a value lands
// outside double-quoted strings (or the text has an escape a value could
// finish), the output must also parse and define the same keys and tables
// as a render with a harmless value in its place (checkStructure).
func (t *Template) Render(dst []byte, query map[string][]string, constants map[string]string) ([]byte, error) {
	var missing, refused, undefined []string
	var valueBuf [8]string
	values := valueBuf[:0]
	given := make([]bool, 0, len(valueBuf))
	anyGiven := false
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
		values = append(values, v)
		given = append(given, ok)
		anyGiven = anyGiven || ok
	}
	check := false // some value needs checkStructure
	var p *plan
	if anyGiven {
		p = t.planFor(given, constants)
		for i, name := range t.params {
			if !given[i] {
				continue
			}
			if msg := refuse(name, p.uses[i], query[name], values[i]); msg != "" {
				refused = append(refused, msg)
			}
			check = check || p.checked[i]
		}
	}
	for _, n := range t.Constants {
		if _, ok := constants[n]; !ok {
			undefined = append(undefined, n)
		}
	}
	if missing != nil || refused != nil || undefined != nil {
		var msgs []string
		if missing != nil {
			msgs = append(msgs, "missing required parameters: "+strings.Join(missing, ", "))
		}
		msgs = append(msgs, refused...)
		if undefined != nil {
			msgs = append(msgs, "undefined constants: "+strings.Join(undefined, ", "))
		}
		return dst, tc.Errorf(tc.EINVALID, "%s", strings.Join(msgs, "; "))
	}
	start := len(dst)
	dst = t.fill(dst, values, given, constants)
	if check {
		if err := t.checkStructure(dst[start:], p, given); err != nil {
			return dst[:start], err
		}
	}
	return dst, nil
}

// fill appends the text of t with values[i] for each given parameter i and
// defaults for the others.
func (t *Template) fill(dst []byte, values []string, given []bool, constants map[string]string) []byte {
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
	return dst
}

// refuse returns why the values vs of parameter name (joined: as
// rendered) cannot stand where uses say, or "".
func refuse(name string, uses []use, vs []string, joined string) string {
	for _, v := range vs {
		if !utf8.ValidString(v) {
			return fmt.Sprintf("parameter %q: the value is not valid UTF-8", name)
		}
	}
	for _, u := range uses {
		if why := refusal(u.ctx, vs, joined); why != "" {
			return fmt.Sprintf("parameter %q stands %s at line %d, so its value %s", name, u.ctx, u.line, why)
		}
	}
	return ""
}

// refusal returns what the values vs (joined: as rendered) lack to stay in
// ctx, or "". Each rule keeps the value inside the one lexical token it
// replaces, whatever surrounds it:
//
//   - Double-quoted strings, one-line or multi-line: no double quote (which
//     ends the string, or with two more the multi-line one) and no
//     backslash (an escape that could swallow the closing quote). Join's
//     quotes are the only ones allowed: they separate array elements.
//   - Single-quoted strings: no single quote, the only way out, since they
//     have no escapes.
//   - Multi-line single-quoted strings: no three single quotes in a row,
//     and none first or last, where it could join the template's own
//     quotes (or another value's) into three.
//   - Outside quotes: exactly one TOML number, boolean or date-time,
//     written with letters, digits, "+-_.:" and a space, so never a '#',
//     ',', '=', bracket, brace or quote.
//   - Comments (where an author's default or constant can put a value):
//     the common rule below is enough.
//
// Newlines and other control characters are refused everywhere (a tab is
// text): they end one-line strings and comments, and no agent needs them.
func refusal(ctx telegraf.Context, vs []string, joined string) string {
	switch ctx {
	case telegraf.BasicString, telegraf.MultilineBasicString:
		for _, v := range vs {
			if strings.ContainsAny(v, `"\`) || hasControl(v) {
				return "must not hold a double quote, a backslash, a newline or another control character"
			}
		}
	case telegraf.LiteralString:
		for _, v := range vs {
			if strings.ContainsRune(v, '\'') || hasControl(v) {
				return "must not hold a single quote, a newline or another control character"
			}
		}
	case telegraf.MultilineLiteralString:
		for _, v := range vs {
			if strings.Contains(v, "'''") || strings.HasPrefix(v, "'") || strings.HasSuffix(v, "'") || hasControl(v) {
				return "must not hold three single quotes in a row, start or end with a single quote, or hold a newline or another control character"
			}
		}
	case telegraf.Comment:
		for _, v := range vs {
			if hasControl(v) {
				return "must not hold a newline or another control character"
			}
		}
	default:
		if len(vs) > 1 {
			return "must be one TOML number, boolean or date-time, and the parameter cannot be repeated"
		}
		if !isScalar(joined) {
			return "must be exactly one TOML number, boolean or date-time (such as 42, 1.5, true or 2024-01-02T03:04:05Z) and nothing else"
		}
	}
	return ""
}

// hasControl reports whether v holds a control character other than a tab.
func hasControl(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == 0x7f || (c < 0x20 && c != '\t') {
			return true
		}
	}
	return false
}
