package telegraf

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2/unstable"
)

// Severity tells whether a problem stops a configuration from being saved.
type Severity string

const (
	// Error: Telegraf cannot load the configuration (a TOML syntax error, or
	// a structure Telegraf refuses). Create and update answer 400.
	Error Severity = "error"
	// Warning: Telegraf may still load it (a custom build, a legacy form), or
	// it loads but is unwise (a literal password).
	Warning Severity = "warning"
)

// Problem is one finding of Validate, located at a 1-based line and column
// (characters, not bytes) of the document.
type Problem struct {
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Line     int      `json:"line"`
	Column   int      `json:"column"`
}

// Report is the outcome of Validate.
type Report struct {
	Errors   []Problem
	Warnings []Problem
	// Uses lists the dynamic values the document holds.
	Uses Uses
}

// Valid reports whether the document has no errors (warnings allowed).
func (r Report) Valid() bool { return len(r.Errors) == 0 }

// Err returns nil for a valid report, or the first error as a message with
// its position ("line 3, column 7: ...", then how many more there are), for
// callers that reject.
func (r Report) Err() error {
	if r.Valid() {
		return nil
	}
	e := r.Errors[0]
	more := ""
	switch n := len(r.Errors) - 1; {
	case n == 1:
		more = " (and 1 more error)"
	case n > 1:
		more = fmt.Sprintf(" (and %d more errors)", n)
	}
	return fmt.Errorf("line %d, column %d: %s%s", e.Line, e.Column, e.Message, more)
}

// topLevel are the top-level tables Telegraf knows. "plugins" is a legacy
// alias of "inputs".
var topLevel = map[string]bool{
	"agent": true, "global_tags": true, "tags": true,
	"inputs": true, "outputs": true, "processors": true, "aggregators": true, "secretstores": true,
	"plugins": true,
}

// Validate checks src the way Telegraf reads a configuration:
//
//   - TOML syntax (and TOML's own rules such as a key or table defined
//     twice, checked by a tracker that stays linear in the number of
//     sections): errors.
//   - TOML 1.0 forms that Telegraf's own, older TOML parser refuses (dotted
//     keys, 0x/0o/0b integers, inf and nan): errors, checked against a real
//     Telegraf 1.39.3.
//   - Top-level key/values, top-level arrays of tables, and processors,
//     aggregators or secret stores written as a single table ([processors.x]):
//     errors, because Telegraf refuses to load them.
//   - Inputs and outputs written as a single table ([inputs.cpu]): a warning;
//     Telegraf still accepts this legacy form.
//   - Unknown top-level tables: a warning. Telegraf reads an unknown table
//     [name] as a legacy input plugin called name, which loads when the agent
//     has such an input (possibly in a custom build).
//   - Plugin and data_format names unknown to the catalogue's Telegraf
//     version: warnings, since custom builds and newer versions exist.
//   - Deprecated and removed plugins, and options a plugin's sample does not
//     mention (Telegraf refuses unknown options): warnings.
//   - Literal values in credential keys (password, token, api_key, ...): a
//     warning suggesting ${VAR} or a secret store.
//   - A secret outside a quoted string: an error (the agent reads secrets
//     only in strings); an environment variable there: a warning (Telegraf
//     1.38+ substitutes only in strings unless run non-strict).
//
// At most MaxProblems errors and MaxProblems warnings are listed.
//
// Dynamic values (&{p}, ${V}, @{s:k}, ::{c}) do not break parsing: a copy is
// checked where each is replaced by a placeholder of the same length and of
// the right shape (letters inside strings, a number elsewhere), so positions
// stay those of src.
func Validate(src string) Report {
	refs := References(src)
	v := &validator{src: src, lineStarts: lineStarts(src), dropped: map[Severity]int{}, refs: refs, cat: Plugins(), seenTop: map[string]bool{}}
	v.report.Uses = Summarize(refs)
	masked := mask(src, refs)
	v.check(masked)
	v.referenceShapes()
	sort.SliceStable(v.report.Errors, func(i, j int) bool { return before(v.report.Errors[i], v.report.Errors[j]) })
	sort.SliceStable(v.report.Warnings, func(i, j int) bool { return before(v.report.Warnings[i], v.report.Warnings[j]) })
	for _, sev := range []Severity{Error, Warning} {
		if n := v.dropped[sev]; n > 0 {
			v.report.Warnings = append(v.report.Warnings, Problem{Severity: Warning, Line: 1, Column: 1,
				Message: fmt.Sprintf("%d more %ss not listed (at most %d are)", n, sev, MaxProblems)})
		}
	}
	if v.report.Errors == nil {
		v.report.Errors = []Problem{}
	}
	if v.report.Warnings == nil {
		v.report.Warnings = []Problem{}
	}
	return v.report
}

func before(a, b Problem) bool {
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	return a.Column < b.Column
}

// mask returns src with every reference replaced by a placeholder of the same
// byte length: 'x's inside strings, a decimal number ("0.00...") elsewhere, so
// &{port} in port = &{port} parses as a number.
func mask(src string, refs []Reference) []byte {
	b := []byte(src)
	for _, r := range refs {
		n := r.End - r.Start
		for i := r.Start; i < r.End; i++ {
			b[i] = 'x'
			if !r.InString {
				b[i] = '0'
			}
		}
		if !r.InString && n >= 3 {
			b[r.Start+1] = '.'
		}
	}
	return b
}

// section is the plugin section being read, whose options are checked
// against the plugin's sample.
type section struct {
	typ, name  string
	dataFormat bool
	unknown    []pendingOption
}

type pendingOption struct {
	name string
	off  int
}

type validator struct {
	sec        *section
	src        string
	lineStarts []int
	dropped    map[Severity]int
	refs       []Reference
	cat        *Catalogue
	report     Report
	seenTop    map[string]bool
	p          unstable.Parser
}

// MaxProblems caps the errors and the warnings a report lists (each); a
// last warning counts the rest. It bounds the work and the answer for
// documents with thousands of findings.
const MaxProblems = 200

// add records a problem at byte offset off of the document.
func (v *validator) add(sev Severity, off int, format string, args ...any) {
	list := &v.report.Warnings
	if sev == Error {
		list = &v.report.Errors
	}
	if len(*list) >= MaxProblems {
		v.dropped[sev]++
		return
	}
	line, col := v.position(off)
	*list = append(*list, Problem{Severity: sev, Message: fmt.Sprintf(format, args...), Line: line, Column: col})
}

// position converts a byte offset to a 1-based line and character column.
func (v *validator) position(off int) (line, col int) {
	off = min(max(off, 0), len(v.src))
	i := sort.SearchInts(v.lineStarts, off+1) - 1 // last line starting at or before off
	return i + 1, utf8.RuneCountInString(v.src[v.lineStarts[i]:off]) + 1
}

// offsetOfRowCol converts go-toml's (line, byte column) to a byte offset.
func (v *validator) offsetOfRowCol(row, col int) int {
	if row < 1 || row > len(v.lineStarts) {
		return len(v.src)
	}
	return min(v.lineStarts[row-1]+max(col-1, 0), len(v.src))
}

// lineStarts returns the byte offset of every line of src.
func lineStarts(src string) []int {
	starts := []int{0}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// check walks the parsed expressions of the masked document.
func (v *validator) check(masked []byte) {
	v.p.Reset(masked)
	tr := newTracker()
	var table []string // the current table header's key, nil at the root
	var tableArray bool
	for v.p.NextExpression() {
		e := v.p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			key, keyOff := v.key(e.Key())
			off := headerStart(masked, keyOff)
			table, tableArray = key, e.Kind == unstable.ArrayTable
			var msg string
			if tableArray {
				msg = tr.arrayTable(key)
			} else {
				msg = tr.table(key)
			}
			if msg != "" {
				v.add(Error, keyOff, "%s", msg)
			}
			v.header(key, tableArray, off)
			v.enterTable(key, keyOff)
		case unstable.KeyValue:
			key, off := v.key(e.Key())
			if len(key) == 1 {
				if msg := tr.value(key[0]); msg != "" {
					v.add(Error, off, "%s", msg)
				}
			}
			v.keyValue(table, tableArray, key, e, off)
		}
	}
	v.leaveSection()
	if err := v.p.Error(); err != nil {
		var pe *unstable.ParserError
		if errors.As(err, &pe) {
			v.add(Error, int(v.p.Range(pe.Highlight).Offset), "%s", pe.Message)
		} else {
			v.add(Error, 0, "%s", err.Error())
		}
	}
}

// key returns the parts of a (possibly dotted) key and the byte offset of
// its first part.
func (v *validator) key(it unstable.Iterator) ([]string, int) {
	var parts []string
	off := -1
	for it.Next() {
		n := it.Node()
		if off < 0 {
			off = int(n.Raw.Offset)
		}
		parts = append(parts, string(n.Data))
	}
	return parts, max(off, 0)
}

// headerStart moves from a header's first key back to its opening bracket.
func headerStart(b []byte, off int) int {
	j := off
	for j > 0 && (b[j-1] == ' ' || b[j-1] == '\t') {
		j--
	}
	if j == 0 || b[j-1] != '[' {
		return off
	}
	for j > 0 && b[j-1] == '[' {
		j--
	}
	return j
}

// header checks a [table] or [[array.of.tables]] header.
func (v *validator) header(key []string, array bool, off int) {
	top := key[0]
	brackets := func(k []string) string {
		if array {
			return "[[" + strings.Join(k, ".") + "]]"
		}
		return "[" + strings.Join(k, ".") + "]"
	}
	if !topLevel[top] {
		if !v.seenTop[top] {
			v.seenTop[top] = true
			hint := ""
			if _, ok := v.cat.Lookup("inputs", top); ok {
				hint = fmt.Sprintf("; write [[inputs.%s]]", top)
			}
			v.add(Warning, off, "unknown top-level table [%s]: Telegraf reads it as a legacy input plugin named %q%s", top, top, hint)
		}
		return
	}
	typ := top
	if typ == "plugins" {
		typ = "inputs"
	}
	if len(key) == 1 {
		if array {
			v.add(Error, off, "%s must be a table, not an array of tables: write [%s]", brackets(key), top)
		}
		return
	}
	if !sectionTypes[typ] {
		return // [agent.x], [global_tags.x]: sub-tables Telegraf does not check here
	}
	name := key[1]
	if len(key) == 2 {
		v.pluginShape(typ, top, name, array, off)
	}
	v.pluginName(typ, name, off)
}

// pluginShape checks that a plugin is an array of tables.
func (v *validator) pluginShape(typ, top, name string, array bool, off int) {
	if array {
		return
	}
	switch typ {
	case "inputs", "outputs":
		v.add(Warning, off, "[%s.%s] is a single table, a legacy form Telegraf still accepts; write [[%s.%s]] so the section can repeat", top, name, top, name)
	default:
		v.add(Error, off, "[%s.%s] must be an array of tables: write [[%s.%s]]", top, name, top, name)
	}
}

// pluginName warns about a plugin the catalogue does not know.
func (v *validator) pluginName(typ, name string, off int) {
	if v.overlapsReference(off, off+len(name)+len(typ)+4) {
		return // the name is (partly) a dynamic value
	}
	key := typ + "." + name
	if v.seenTop[key] {
		return
	}
	v.seenTop[key] = true
	if p, ok := v.cat.Lookup(typ, name); ok {
		if d := p.Deprecation; d != nil {
			v.add(Warning, off, "plugin %s is deprecated since Telegraf %s and goes away in %s: %s", key, d.Since, d.RemovalIn, d.Notice)
		}
		return
	}
	if p, ok := v.cat.LookupRemoved(typ, name); ok && p.Deprecation != nil {
		v.add(Warning, off, "plugin %s was removed in Telegraf %s (agents of that version or later refuse this config): %s", key, p.Deprecation.RemovalIn, p.Deprecation.Notice)
		return
	}
	v.add(Warning, off, "unknown plugin %s: not in Telegraf %s%s; fine if your agents run a custom build", key, v.cat.Version, v.suggest(typ, name))
}

// suggest proposes the closest known name of typ, if any is close.
func (v *validator) suggest(typ, name string) string {
	if len(name) > 64 || len(v.report.Warnings) >= MaxProblems {
		return ""
	}
	best, bestD := "", 3
	for _, p := range v.cat.Plugins {
		if p.Type != typ {
			continue
		}
		if d := distance(name, p.Name); d < bestD {
			best, bestD = p.Name, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// keyValue checks one key = value line under the table key.
func (v *validator) keyValue(table []string, tableArray bool, key []string, e *unstable.Node, off int) {
	value := e.Value()
	if len(key) > 1 && v.overlapsReference(off, off+len(strings.Join(key, "."))) {
		// A dynamic value in key position masks as a number ("0.00"), which
		// reads as a dotted key; the rendered key is whatever it becomes.
		key = []string{strings.Join(key, ".")}
	}
	v.telegrafSyntax(key, value, off)
	if len(key) > 1 {
		return // reported: Telegraf's parser refuses dotted keys
	}
	if table == nil {
		v.add(Error, off, "top-level key %q: Telegraf accepts only tables at the top level; put it under [agent] or [global_tags]", key[0])
		return
	}
	typ := table[0]
	if typ == "plugins" {
		typ = "inputs"
	}
	// [inputs] cpu = [{...}] or cpu = {...}: a plugin defined as a value.
	if len(table) == 1 && sectionTypes[typ] && len(key) >= 1 {
		switch value.Kind {
		case unstable.Array:
			v.pluginName(typ, key[0], off)
		case unstable.InlineTable:
			v.pluginShape(typ, table[0], key[0], false, off)
			v.pluginName(typ, key[0], off)
		default:
			if len(key) == 1 {
				v.add(Error, off, "%s.%s must be a table or an array of tables", table[0], key[0])
			}
		}
		return
	}
	if len(table) == 2 && len(key) == 1 && v.sec != nil {
		v.sec.option(v.cat, key[0], off)
	}
	if len(table) < 2 || !sectionTypes[typ] || value.Kind != unstable.String {
		return
	}
	name := strings.ToLower(key[len(key)-1])
	raw := e.Raw
	if v.overlapsReference(int(raw.Offset), int(raw.Offset+raw.Length)) {
		return // the value is dynamic: a parameter, variable, secret or constant
	}
	if len(key) == 1 && name == "data_format" && len(table) == 2 && v.sec != nil {
		v.sec.dataFormat = true
	}
	if len(key) == 1 && name == "data_format" && len(table) == 2 {
		formats := map[string]string{"inputs": "parsers", "outputs": "serializers"}
		if ft, ok := formats[typ]; ok {
			if _, known := v.cat.Lookup(ft, string(value.Data)); !known {
				v.add(Warning, off, "unknown data_format %q for %s.%s: not a %s of Telegraf %s", value.Data, typ, table[1], strings.TrimSuffix(ft, "s"), v.cat.Version)
			}
		}
		return
	}
	if isCredentialKey(name) && len(value.Data) > 0 {
		v.add(Warning, off, "%s holds a literal credential; use an environment variable (\"${%s}\") or a secret store (\"@{store:key}\") instead",
			strings.Join(key, "."), strings.ToUpper(table[1]+"_"+name))
	}
}

// telegrafSyntax reports TOML 1.0 forms that Telegraf's own TOML parser
// (an older dialect) refuses: dotted keys, hexadecimal, octal and binary
// integers, and inf or nan floats. key is the key of a key/value, value its
// value; inline tables and arrays are walked.
func (v *validator) telegrafSyntax(key []string, value *unstable.Node, off int) {
	if len(key) > 1 {
		v.add(Error, off, "dotted key %s: Telegraf's TOML parser does not accept dotted keys; write a [table] or an inline table instead", strings.Join(key, "."))
	}
	var walk func(n *unstable.Node)
	walk = func(n *unstable.Node) {
		switch n.Kind {
		case unstable.Integer:
			d := strings.TrimLeft(string(n.Data), "+-")
			if len(d) > 1 && d[0] == '0' && strings.ContainsAny(d[1:2], "xob") {
				v.add(Error, int(n.Raw.Offset), "integer %s: Telegraf's TOML parser accepts only decimal integers", n.Data)
			} else if _, err := strconv.ParseInt(strings.ReplaceAll(string(n.Data), "_", ""), 10, 64); err != nil {
				v.add(Error, int(n.Raw.Offset), "integer %s is out of range (64-bit)", n.Data)
			}
		case unstable.Float:
			if d := strings.TrimLeft(string(n.Data), "+-"); d == "inf" || d == "nan" {
				v.add(Error, int(n.Raw.Offset), "float %s: Telegraf's TOML parser does not accept inf or nan", n.Data)
			}
		case unstable.Array:
			for it := n.Children(); it.Next(); {
				walk(it.Node())
			}
		case unstable.InlineTable:
			seen := map[string]bool{}
			for it := n.Children(); it.Next(); {
				kv := it.Node()
				k, koff := v.key(kv.Key())
				if name := strings.Join(k, "."); seen[name] {
					v.add(Error, koff, "key %s is already defined", name)
				} else {
					seen[name] = true
				}
				v.telegrafSyntax(k, kv.Value(), koff)
			}
		}
	}
	walk(value)
}

// enterTable follows headers for the option check: [[inputs.cpu]] opens a
// section, [inputs.cpu.tagpass] names a sub-table of it, anything else
// closes it.
func (v *validator) enterTable(key []string, off int) {
	typ := key[0]
	if typ == "plugins" {
		typ = "inputs"
	}
	switch {
	case len(key) == 2 && sectionTypes[typ]:
		v.leaveSection()
		if v.cat.checksOptions(typ, key[1]) && !v.overlapsReference(off, off+len(strings.Join(key, "."))) {
			v.sec = &section{typ: typ, name: key[1]}
		}
	case len(key) == 3 && v.sec != nil && typ == v.sec.typ && key[1] == v.sec.name:
		v.sec.option(v.cat, key[2], off)
	default:
		v.leaveSection()
	}
}

// option notes an option of the current section that its plugin's sample
// does not mention.
func (s *section) option(cat *Catalogue, name string, off int) {
	if !cat.knowsOption(s.typ, s.name, name) {
		s.unknown = append(s.unknown, pendingOption{name, off})
	}
}

// leaveSection reports the unknown options of the section just read, unless
// it set a data_format (whose parser or serializer has options of its own).
func (v *validator) leaveSection() {
	s := v.sec
	v.sec = nil
	if s == nil || s.dataFormat {
		return
	}
	for _, o := range s.unknown {
		if v.overlapsReference(o.off, o.off+len(o.name)) {
			continue
		}
		v.add(Warning, o.off, "option %q is not in the sample configuration of %s.%s; Telegraf refuses a config with options the plugin does not have (check the spelling)", o.name, s.typ, s.name)
	}
}

// overlapsReference reports whether the byte range [start, end) of the
// document touches a dynamic value.
func (v *validator) overlapsReference(start, end int) bool {
	// refs are sorted and disjoint: find the first ending after start.
	i := sort.Search(len(v.refs), func(i int) bool { return v.refs[i].End > start })
	return i < len(v.refs) && v.refs[i].Start < end
}

// credentialKeys are option names that hold secrets in Telegraf plugins.
// Names like bearer_token or token_file hold a file path instead and are not
// listed.
var credentialKeys = map[string]bool{
	"password": true, "passwd": true, "token": true, "api_key": true, "apikey": true,
	"api_token": true, "secret": true, "client_secret": true, "secret_key": true,
	"access_token": true, "auth_token": true, "bearer_token_string": true,
	"private_key": true, "shared_secret": true, "secret_token": true, "sasl_password": true,
	"api_secret": true, "app_key": true, "application_key": true,
}

func isCredentialKey(name string) bool {
	if credentialKeys[name] {
		return true
	}
	for _, suffix := range []string{"_password", "_secret", "_api_key", "_apikey", "_access_token", "_auth_token"} {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return false
}

// referenceShapes flags dynamic values the agent will not accept where they
// stand (a secret outside a string; an environment variable outside a string
// under Telegraf's strict handling), constants whose names the controller
// cannot define, parameter defaults that would break the string they render
// into, and parameters outside double-quoted strings, where the controller
// serves fewer values (internal/render refuses the rest).
func (v *validator) referenceShapes() {
	for _, r := range v.refs {
		if r.Kind == Parameter {
			if rule := narrowContexts[r.Context]; rule != "" {
				v.add(Warning, r.Start, "parameter %q stands %s, so the controller serves it only values that %s (others get 400); in double quotes (\"&{%s}\") it takes any text without \" or \\", r.Name, r.Context, rule, r.Name)
			}
		}
		switch {
		case r.Kind == Constant && !ValidConstantName(r.Name):
			v.add(Warning, r.Start, "constant name %q is not a valid name ([a-z0-9_], 1 to 64 characters); it can never be defined", r.Name)
		case r.Kind == EnvVar && !r.InString:
			v.add(Warning, r.Start, "${%s} outside a quoted string: Telegraf 1.38 and later substitute environment variables only inside strings (strict handling, their default), so agents fail to parse this line unless they run with --non-strict-env-handling", r.Name)
		case r.Kind == Secret && !r.InString:
			v.add(Error, r.Start, "secret @{%s} outside a quoted string: the agent reads secrets only inside strings; write \"@{%s}\"", r.Name, r.Name)
		case r.Kind == Parameter && r.InString && strings.ContainsAny(r.Default, `"'\`):
			v.add(Warning, r.Start, "the default of parameter %q contains a quote or backslash, which changes the string it is rendered into", r.Name)
		}
	}
}

// narrowContexts says, for each context other than double-quoted strings,
// which parameter values the controller serves there.
var narrowContexts = map[Context]string{
	Bare:                   "are exactly one TOML number, boolean or date-time",
	LiteralString:          "hold no single quote and no control character",
	MultilineLiteralString: "hold no three single quotes in a row, no single quote at either end and no control character",
}

// ValidConstantName reports whether name is [a-z0-9_]{1,64}.
func ValidConstantName(name string) bool {
	if len(name) == 0 || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// distance is the Levenshtein distance between two short names.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
