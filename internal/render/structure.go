package render

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/telegraf"
)

// marker stands in for every given parameter in the render that
// checkStructure compares with. It is harmless in every context: text in a
// string, an integer as a value, a bare key part in a key or table header.
const marker = "271828182"

// maxPlans bounds the plans a template keeps: one per set of given
// parameters (and constant values), and agents of one config usually all
// give the same set.
const maxPlans = 16

// plan is where each given parameter's value lands, worked out once per set
// of given parameters from the render with marker in their place: the
// contexts are those of the text the agent reads, after defaults and
// constants (which may hold quotes) are in.
type plan struct {
	uses    [][]use // per parameter: each context its value lands in
	checked []bool  // per parameter: its value needs checkStructure
	shape   shape   // what the marker render defines
}

// use is one TOML context a parameter's value lands in, with the template
// line of its first occurrence there (for messages).
type use struct {
	ctx  telegraf.Context
	line int
}

// shape is what a render defines, in document order; ok is false when it
// does not parse, named when a key part holds marker.
type shape struct {
	defs  []definition
	ok    bool
	named bool
}

// definition is one key/value, table header or array-of-tables header.
type definition struct {
	kind unstable.Kind
	key  []string
}

var parsers = sync.Pool{New: func() any { return new(unstable.Parser) }}

// planFor returns the plan for the given parameters and constants.
func (t *Template) planFor(given []bool, constants map[string]string) *plan {
	key := make([]byte, len(given), len(given)+16)
	for i, g := range given {
		key[i] = '0'
		if g {
			key[i] = '1'
		}
	}
	for _, n := range t.Constants {
		key = append(key, 0)
		key = append(key, constants[n]...)
	}
	t.plansMu.Lock()
	p := t.plans[string(key)]
	t.plansMu.Unlock()
	if p != nil {
		return p
	}
	p = t.newPlan(given, constants)
	t.plansMu.Lock()
	if t.plans == nil {
		t.plans = map[string]*plan{}
	}
	if len(t.plans) < maxPlans {
		t.plans[string(key)] = p
	}
	t.plansMu.Unlock()
	return p
}

func (t *Template) newPlan(given []bool, constants map[string]string) *plan {
	marked := make([]string, len(t.params))
	for i := range marked {
		marked[i] = marker
	}
	doc := t.fill(nil, marked, given, constants)
	// Where each given parameter's marker starts, in segment order.
	var offsets, params, lines []int
	at := 0
	for _, s := range t.segs {
		switch {
		case s.param >= 0 && given[s.param]:
			offsets, params, lines = append(offsets, at), append(params, s.param), append(lines, s.line)
			at += len(marker)
		case s.param >= 0:
			at += len(s.def)
		case s.cnst >= 0:
			at += len(constants[t.Constants[s.cnst]])
		default:
			at += len(s.lit)
		}
	}
	p := &plan{uses: make([][]use, len(t.params)), checked: make([]bool, len(t.params)), shape: keyShape(doc)}
	for k, ctx := range telegraf.ContextsAt(string(doc), offsets) {
		i := params[k]
		if !slices.ContainsFunc(p.uses[i], func(u use) bool { return u.ctx == ctx }) {
			p.uses[i] = append(p.uses[i], use{ctx: ctx, line: lines[k]})
		}
		// A value in a double-quoted string needs no check: refusal keeps
		// it there, unless an escape in the text takes it in or it names a
		// key (which may then be defined twice).
		if t.escapes || p.shape.named || ctx != telegraf.BasicString && ctx != telegraf.MultilineBasicString {
			p.checked[i] = true
		}
	}
	if !slices.Contains(p.checked, true) {
		p.shape.defs = nil // never compared: keep no copy of every key
	}
	return p
}

// checkStructure is the second line of defence behind refusal: out, rendered
// with the query's values, must parse and define the same keys and tables,
// in the same order, as the render with marker in place of each given value
// (inline tables included). A key part that holds marker there came from a
// parameter and may differ; the output is then also decoded, since a
// value could name a key twice, which only a decoder notices. When the
// marker render does not parse either, the config itself is broken and there
// is nothing to compare with.
func (t *Template) checkStructure(out []byte, p *plan, given []bool) error {
	if !p.shape.ok || matchShape(out, p.shape.defs) && (!p.shape.named || decodes(out)) {
		return nil
	}
	var names []string
	for i, name := range t.params {
		if given[i] && p.checked[i] {
			names = append(names, name)
		}
	}
	return tc.Errorf(tc.EINVALID, "the values of parameters %s change the keys or tables of the TOML or make it unreadable", strings.Join(names, ", "))
}

// keyShape lists what doc defines, in document order, the key/values of
// inline tables right after the key that holds them.
func keyShape(doc []byte) shape {
	p := parsers.Get().(*unstable.Parser)
	defer parsers.Put(p)
	p.Reset(doc)
	var defs []definition
	for p.NextExpression() {
		defs = appendDefinitions(defs, p.Expression())
	}
	named := slices.ContainsFunc(defs, func(d definition) bool {
		return slices.ContainsFunc(d.key, func(part string) bool { return strings.Contains(part, marker) })
	})
	return shape{defs: defs, ok: p.Error() == nil, named: named}
}

// decodes reports whether doc is a TOML document that defines no key twice.
func decodes(doc []byte) bool {
	var m map[string]any
	return toml.Unmarshal(doc, &m) == nil
}

func appendDefinitions(defs []definition, n *unstable.Node) []definition {
	switch n.Kind {
	case unstable.KeyValue, unstable.Table, unstable.ArrayTable:
		d := definition{kind: n.Kind}
		for it := n.Key(); it.Next(); {
			d.key = append(d.key, string(it.Node().Data))
		}
		defs = append(defs, d)
		if n.Kind == unstable.KeyValue {
			defs = appendDefinitions(defs, n.Value())
		}
	case unstable.Array, unstable.InlineTable:
		for it := n.Children(); it.Next(); {
			defs = appendDefinitions(defs, it.Node())
		}
	}
	return defs
}

// matchShape reports whether doc parses and defines what want lists, a key
// part of want holding marker matching any part. It stops at the first
// difference.
func matchShape(doc []byte, want []definition) bool {
	p := parsers.Get().(*unstable.Parser)
	defer parsers.Put(p)
	p.Reset(doc)
	i, ok := 0, true
	for ok && p.NextExpression() {
		i, ok = matchNode(p.Expression(), want, i)
	}
	return ok && p.Error() == nil && i == len(want)
}

// matchNode matches n and what it holds against want from index i, and
// returns the index after them.
func matchNode(n *unstable.Node, want []definition, i int) (int, bool) {
	switch n.Kind {
	case unstable.KeyValue, unstable.Table, unstable.ArrayTable:
		if i >= len(want) || want[i].kind != n.Kind {
			return i, false
		}
		key := want[i].key
		j := 0
		for it := n.Key(); it.Next(); j++ {
			if j >= len(key) || string(it.Node().Data) != key[j] && !strings.Contains(key[j], marker) {
				return i, false
			}
		}
		if j != len(key) {
			return i, false
		}
		if n.Kind == unstable.KeyValue {
			return matchNode(n.Value(), want, i+1)
		}
		return i + 1, true
	case unstable.Array, unstable.InlineTable:
		ok := true
		for it := n.Children(); ok && it.Next(); {
			i, ok = matchNode(it.Node(), want, i)
		}
		return i, ok
	}
	return i, true
}

// isScalar reports whether v is exactly one TOML integer, float, boolean or
// date-time, written only with what those need: letters, digits, "+-_.:"
// and the space between a date and a time.
func isScalar(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '+' || c == '-' || c == '_' || c == '.' || c == ':' || c == ' ') {
			return false
		}
	}
	var doc map[string]any
	if err := toml.Unmarshal([]byte("v = "+v), &doc); err != nil {
		return false
	}
	switch doc["v"].(type) {
	case int64, float64, bool, time.Time, toml.LocalDate, toml.LocalTime, toml.LocalDateTime:
		return true
	}
	return false
}
