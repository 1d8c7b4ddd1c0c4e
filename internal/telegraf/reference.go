// Package telegraf adapts Telegraf's configuration language to the
// controller: it finds the dynamic values a TOML document uses (References),
// checks a document the way Telegraf would read it (Validate), and carries
// the catalogue of Telegraf's plugins (Plugins), generated from the Telegraf
// module at a pinned version. It is pure: no storage, no HTTP.
package telegraf

import (
	"strings"
	"unicode/utf8"
)

// Kind names the four sorts of dynamic values a configuration can hold.
type Kind string

const (
	// Parameter is &{name} or &{name:default}, filled by the controller from
	// the query string of the request that fetches the TOML.
	Parameter Kind = "parameter"
	// EnvVar is ${NAME} (and the shell forms ${NAME:-default},
	// ${NAME-default}, ${NAME:?message}, ${NAME?message}, ${NAME:+alt},
	// ${NAME+alt}), resolved by the agent.
	EnvVar Kind = "env"
	// Secret is @{store:key}, resolved by the agent through a
	// [[secretstores.*]] plugin whose id is store.
	Secret Kind = "secret"
	// Constant is ::{name}, filled by the controller from its constants.
	Constant Kind = "constant"
)

// Reference is one dynamic value found in a document.
type Reference struct {
	Kind Kind
	// Name is the parameter, variable or constant name; for a secret it is
	// "store:key".
	Name string
	// Store and Key split a secret's name.
	Store, Key string
	// Default is the text after the first ':' of a parameter, or after
	// ":-" / "-" of an environment variable; HasDefault tells an empty
	// default from none.
	Default    string
	HasDefault bool
	// Required is true for a parameter without default and for an
	// environment variable the agent cannot start without (${NAME},
	// ${NAME:?message}, ${NAME?message}).
	Required bool
	// Start and End delimit the reference in the document: src[Start:End].
	Start, End int
	// Line and Column locate Start, both 1-based; Column counts characters
	// (Unicode code points), not bytes.
	Line, Column int
	// InString reports whether the reference sits inside a quoted TOML
	// string (it then renders as part of that string).
	InString bool
	// Context is the TOML lexical context the reference sits in, which
	// decides what text can replace it without ending that context.
	Context Context
}

// Context is where in TOML's lexical grammar a reference stands.
type Context uint8

const (
	// Bare is outside any string: a value, an array or inline table
	// element, a key or a table header.
	Bare Context = iota
	// BasicString is "...".
	BasicString
	// MultilineBasicString is """...""".
	MultilineBasicString
	// LiteralString is '...', which has no escapes.
	LiteralString
	// MultilineLiteralString is '''...''', which has no escapes.
	MultilineLiteralString
	// Comment is after a '#'. References never report it (Telegraf strips
	// comments first); ContextsAt can.
	Comment
)

// String places a reference for messages: "outside quotes", "in a
// single-quoted string ('...')", ...
func (c Context) String() string {
	switch c {
	case BasicString:
		return `in a double-quoted string ("...")`
	case MultilineBasicString:
		return `in a multi-line double-quoted string ("""...""")`
	case LiteralString:
		return "in a single-quoted string ('...')"
	case MultilineLiteralString:
		return "in a multi-line single-quoted string ('''...''')"
	case Comment:
		return "in a comment"
	default:
		return "outside quotes"
	}
}

// References lists the dynamic values of src in document order, with their
// positions. References inside comments are not listed: Telegraf strips
// comments before it substitutes anything, and a value in a comment should
// not make a parameter required. A reference is atomic: a quote inside a
// default (&{greeting:say "hi"}) does not end the surrounding string.
// "$${" is Telegraf's escape for a literal "${" and is not a reference.
func References(src string) []Reference {
	// Every reference holds a '{': sizing the slice once avoids the
	// repeated copies of growing it on documents with very many references.
	refs := make([]Reference, 0, strings.Count(src, "{"))
	sc := scanner{src: src, line: 1, lineStart: 0}
	// Columns are counted incrementally from the previous reference on the
	// same line, so a long line full of references stays linear.
	colLine, colAt, col := 0, 0, 1
	sc.walk(func(i int, ctx Context) int {
		ref, n := referenceAt(src, i)
		if n == 0 {
			if strings.HasPrefix(src[i:], "$${") {
				return 3
			}
			return 0
		}
		if colLine != sc.line {
			colLine, colAt, col = sc.line, sc.lineStart, 1
		}
		col += utf8.RuneCountInString(src[colAt:i])
		colAt = i
		ref.Start, ref.End = i, i+n
		ref.Line, ref.Column = sc.line, col
		ref.InString, ref.Context = ctx != Bare, ctx
		refs = append(refs, ref)
		return n
	})
	return refs
}

// scanner walks a TOML document byte by byte, knowing whether it is in code,
// in one of the four string forms, or in a comment. It tracks lines so
// callbacks can compute positions.
type scanner struct {
	src       string
	line      int
	lineStart int
	every     bool // call at on every byte, comments included
}

// ContextsAt returns the context of src at each of offsets (ascending),
// reading src as plain TOML: unlike References it takes no dynamic value as
// a unit, so it places text in a document as a TOML parser will. An offset
// inside an escape sequence gets the context of its string.
func ContextsAt(src string, offsets []int) []Context {
	ctxs := make([]Context, 0, len(offsets))
	sc := scanner{src: src, every: true}
	sc.walk(func(i int, ctx Context) int {
		for len(ctxs) < len(offsets) && offsets[len(ctxs)] <= i {
			ctxs = append(ctxs, ctx)
		}
		return 0
	})
	for len(ctxs) < len(offsets) {
		ctxs = append(ctxs, Bare)
	}
	return ctxs
}

// walk calls at(i, ctx) at every byte outside comments that could start a
// reference; at returns how many bytes it consumed (0 for none).
func (sc *scanner) walk(at func(i int, ctx Context) int) {
	src := sc.src
	const (
		code = iota
		basic
		literal
		mlBasic
		mlLiteral
		comment
	)
	contexts := [...]Context{code: Bare, basic: BasicString, literal: LiteralString,
		mlBasic: MultilineBasicString, mlLiteral: MultilineLiteralString, comment: Comment}
	state := code
	for i := 0; i < len(src); {
		c := src[i]
		if c == '\n' {
			sc.line++
			sc.lineStart = i + 1
			if state == comment || state == basic || state == literal {
				// A newline ends a comment; inside a one-line string it is
				// a syntax error the parser reports, so resynchronise.
				state = code
			}
			i++
			continue
		}
		if state == comment {
			if sc.every {
				at(i, Comment)
			}
			i++
			continue
		}
		if sc.every || c == '&' || c == '$' || c == '@' || c == ':' {
			if n := at(i, contexts[state]); n > 0 {
				// References never span lines (their patterns exclude '\n').
				i += n
				continue
			}
		}
		switch state {
		case code:
			switch {
			case c == '#':
				state = comment
			case strings.HasPrefix(src[i:], `"""`):
				state = mlBasic
				i += 3
				continue
			case strings.HasPrefix(src[i:], `'''`):
				state = mlLiteral
				i += 3
				continue
			case c == '"':
				state = basic
			case c == '\'':
				state = literal
			}
		case basic, mlBasic:
			if c == '\\' && i+1 < len(src) && src[i+1] != '\n' {
				i += 2
				continue
			}
			if state == basic && c == '"' {
				state = code
			} else if state == mlBasic && strings.HasPrefix(src[i:], `"""`) {
				i += closingQuotes(src[i:], '"')
				state = code
				continue
			}
		case literal:
			if c == '\'' {
				state = code
			}
		case mlLiteral:
			if strings.HasPrefix(src[i:], `'''`) {
				i += closingQuotes(src[i:], '\'')
				state = code
				continue
			}
		}
		i++
	}
}

// closingQuotes counts the quotes that close a multi-line string: TOML lets
// up to two quotes of content sit right before the closing three.
func closingQuotes(s string, q byte) int {
	n := 0
	for n < len(s) && n < 5 && s[n] == q {
		n++
	}
	return n
}

// referenceAt parses a reference starting at src[i], returning it and its
// length, or a zero length when none starts there.
func referenceAt(src string, i int) (Reference, int) {
	s := src[i:]
	switch {
	case strings.HasPrefix(s, "&{"):
		body, n := braced(s, 2)
		if n == 0 {
			return Reference{}, 0
		}
		name, def, hasDef := strings.Cut(body, ":")
		if !isName(name) {
			return Reference{}, 0
		}
		return Reference{Kind: Parameter, Name: name, Default: def, HasDefault: hasDef, Required: !hasDef}, n
	case strings.HasPrefix(s, "${"):
		if i > 0 && src[i-1] == '$' {
			return Reference{}, 0 // second half of "$${"
		}
		body, n := braced(s, 2)
		if n == 0 {
			return Reference{}, 0
		}
		return envReference(body, n)
	case strings.HasPrefix(s, "@{"):
		body, n := braced(s, 2)
		if n == 0 {
			return Reference{}, 0
		}
		store, key, ok := strings.Cut(body, ":")
		if !ok || !isWord(store) || !isWord(key) {
			return Reference{}, 0
		}
		return Reference{Kind: Secret, Name: body, Store: store, Key: key, Required: true}, n
	case strings.HasPrefix(s, "::{"):
		body, n := braced(s, 3)
		if n == 0 || !isName(body) {
			return Reference{}, 0
		}
		return Reference{Kind: Constant, Name: body, Required: true}, n
	}
	return Reference{}, 0
}

// braced returns the text between s[:open] and the first '}' on the same
// line, and the length up to and including that '}'.
func braced(s string, open int) (string, int) {
	for j := open; j < len(s); j++ {
		switch s[j] {
		case '}':
			return s[open:j], j + 1
		case '\n', '\r':
			return "", 0
		}
	}
	return "", 0
}

// envReference parses the inside of ${...} the way Telegraf's shell-style
// expansion does.
func envReference(body string, n int) (Reference, int) {
	end := 0
	for end < len(body) && isEnvChar(body[end], end == 0) {
		end++
	}
	if end == 0 {
		return Reference{}, 0
	}
	ref := Reference{Kind: EnvVar, Name: body[:end], Required: true}
	rest := body[end:]
	switch {
	case rest == "":
	case strings.HasPrefix(rest, ":-"):
		ref.Default, ref.HasDefault, ref.Required = rest[2:], true, false
	case strings.HasPrefix(rest, "-"):
		ref.Default, ref.HasDefault, ref.Required = rest[1:], true, false
	case strings.HasPrefix(rest, ":?"), strings.HasPrefix(rest, "?"):
	case strings.HasPrefix(rest, ":+"), strings.HasPrefix(rest, "+"):
		ref.Required = false
	default:
		return Reference{}, 0
	}
	return ref, n
}

func isEnvChar(c byte, first bool) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || !first && '0' <= c && c <= '9'
}

// isName accepts parameter and constant names: letters, digits, '_', '-'
// and '.'.
func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '-' || c == '.' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// isWord matches Go's regexp \w+, which is what Telegraf accepts for secret
// store ids and keys.
func isWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// Uses is what a document uses, one entry per distinct name in order of
// first appearance: the "references" part of a validation answer.
type Uses struct {
	Parameters []Use `json:"parameters"`
	Env        []Use `json:"env"`
	Secrets    []Use `json:"secrets"`
	Constants  []Use `json:"constants"`
}

// Use is one distinct dynamic value. Required is true when at least one
// occurrence has no default; Default is the first default given.
type Use struct {
	Name     string  `json:"name"`
	Default  *string `json:"default,omitempty"`
	Required bool    `json:"required"`
	// Line and Column locate the first occurrence.
	Line   int `json:"line"`
	Column int `json:"column"`
}

// Summarize folds refs into Uses.
func Summarize(refs []Reference) Uses {
	u := Uses{Parameters: []Use{}, Env: []Use{}, Secrets: []Use{}, Constants: []Use{}}
	index := map[Kind]map[string]int{}
	for _, r := range refs {
		list := u.list(r.Kind)
		if index[r.Kind] == nil {
			index[r.Kind] = map[string]int{}
		}
		i, seen := index[r.Kind][r.Name]
		if !seen {
			i = len(*list)
			index[r.Kind][r.Name] = i
			*list = append(*list, Use{Name: r.Name, Line: r.Line, Column: r.Column})
		}
		use := &(*list)[i]
		use.Required = use.Required || r.Required
		if r.HasDefault && use.Default == nil {
			def := r.Default
			use.Default = &def
		}
	}
	return u
}

func (u *Uses) list(k Kind) *[]Use {
	switch k {
	case Parameter:
		return &u.Parameters
	case EnvVar:
		return &u.Env
	case Secret:
		return &u.Secrets
	default:
		return &u.Constants
	}
}
