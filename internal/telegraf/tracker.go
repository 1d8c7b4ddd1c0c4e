package telegraf

import "strings"

// tracker applies TOML's rules about defining things once: a key holds one
// value, a [table] is defined once, [[array]] tables and values do not mix.
// go-toml's decoder checks the same but searches siblings linearly, which is
// quadratic for a config with thousands of plugin sections; this keeps a map
// per table. Dotted keys are not tracked beyond their first error: Telegraf
// refuses them anyway (see telegrafSyntax).
type tracker struct {
	root *tnode
	cur  *tnode // the table key/values go to
}

type tkind uint8

const (
	tImplicit tkind = iota // created as the parent of a header
	tTable                 // defined by a [header]
	tArray                 // [[array]] of tables; elems holds its tables
	tValue                 // a key = value (inline tables and arrays included)
)

type tnode struct {
	kind     tkind
	children map[string]*tnode
	elems    []*tnode // for tArray
}

func newTracker() *tracker {
	root := &tnode{kind: tTable, children: map[string]*tnode{}}
	return &tracker{root: root, cur: root}
}

// descend walks the parent parts of a header, creating implicit tables, and
// returns the table holding the last part, or a message on a conflict.
func (t *tracker) descend(key []string) (*tnode, string) {
	n := t.root
	for i, part := range key[:len(key)-1] {
		child, ok := n.children[part]
		switch {
		case !ok:
			child = &tnode{kind: tImplicit, children: map[string]*tnode{}}
			n.children[part] = child
		case child.kind == tArray:
			child = child.elems[len(child.elems)-1]
		case child.kind == tValue:
			return nil, "key " + strings.Join(key[:i+1], ".") + " is already defined as a value"
		}
		n = child
	}
	return n, ""
}

// table handles [key]; it returns "" or the conflict.
func (t *tracker) table(key []string) string {
	parent, msg := t.descend(key)
	if msg != "" {
		t.cur = nil
		return msg
	}
	last := key[len(key)-1]
	n, ok := parent.children[last]
	switch {
	case !ok:
		n = &tnode{kind: tTable, children: map[string]*tnode{}}
		parent.children[last] = n
	case n.kind == tImplicit:
		n.kind = tTable
	case n.kind == tTable:
		t.cur = nil
		return "table " + strings.Join(key, ".") + " is already defined"
	case n.kind == tArray:
		t.cur = nil
		return strings.Join(key, ".") + " is already an array of tables; write [[" + strings.Join(key, ".") + "]]"
	default:
		t.cur = nil
		return "key " + strings.Join(key, ".") + " is already defined as a value"
	}
	t.cur = n
	return ""
}

// arrayTable handles [[key]].
func (t *tracker) arrayTable(key []string) string {
	parent, msg := t.descend(key)
	if msg != "" {
		t.cur = nil
		return msg
	}
	last := key[len(key)-1]
	n, ok := parent.children[last]
	switch {
	case !ok:
		n = &tnode{kind: tArray}
		parent.children[last] = n
	case n.kind != tArray:
		t.cur = nil
		return strings.Join(key, ".") + " is already defined as a table or value, not an array of tables"
	}
	elem := &tnode{kind: tTable, children: map[string]*tnode{}}
	n.elems = append(n.elems, elem)
	t.cur = elem
	return ""
}

// value handles a single-part key = value in the current table.
func (t *tracker) value(key string) string {
	if t.cur == nil {
		return "" // the header already failed
	}
	if _, ok := t.cur.children[key]; ok {
		return "key " + key + " is already defined"
	}
	t.cur.children[key] = &tnode{kind: tValue}
	return ""
}
