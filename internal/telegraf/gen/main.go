// Command gen writes the plugin catalogue that package telegraf embeds. It
// reads the Telegraf module at a pinned version from the Go module cache (go
// mod download fetches it through the module proxy when missing) and extracts,
// for every plugin folder, the names the folder registers, the first sentence
// of its README, the tags and first version from the README's badge lines, and
// its sample configuration (sample.conf, or for parsers and serializers the
// first TOML block of the README). No Telegraf code is copied: the output is
// data, attributed to Telegraf and its MIT licence in the file's header.
//
// Run it through go generate in internal/telegraf:
//
//	go run ./gen -version v1.39.3 -out plugins.json.gz
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Catalogue is the file format, mirrored by package telegraf.
type Catalogue struct {
	Source    string   `json:"source"`
	Version   string   `json:"version"`
	License   string   `json:"license"`
	Copyright string   `json:"copyright"`
	Generator string   `json:"generator"`
	Plugins   []Plugin `json:"plugins"`
	// Removed lists plugins Telegraf dropped, which it now refuses to load.
	Removed []Plugin `json:"removed"`
	// CommonOptions are accepted in every plugin section (Telegraf's
	// missingTomlField list: alias, interval, namepass, tags, ...).
	CommonOptions []string `json:"commonOptions"`
}

// Plugin is one entry of the catalogue.
type Plugin struct {
	Type        string   `json:"type"`
	Name        string   `json:"name"`
	Title       string   `json:"title,omitempty"`
	Description string   `json:"description"`
	Since       string   `json:"since,omitempty"`
	Tags        []string `json:"tags,omitempty"`
	Sample      string   `json:"sample,omitempty"`
	// Deprecation, from the type's deprecations.go, when the plugin is
	// deprecated or removed.
	Deprecation *Deprecation `json:"deprecation,omitempty"`
	// Options are the keys and sub-table names the sample mentions,
	// commented out or not.
	Options []string `json:"options,omitempty"`
}

// Deprecation mirrors Telegraf's DeprecationInfo.
type Deprecation struct {
	Since     string `json:"since"`
	RemovalIn string `json:"removalIn,omitempty"`
	Notice    string `json:"notice"`
}

// types are Telegraf's plugin folders, in the order the catalogue lists them.
var types = []string{"inputs", "outputs", "processors", "aggregators", "parsers", "serializers", "secretstores"}

func main() {
	version := flag.String("version", "v1.39.3", "Telegraf module version")
	out := flag.String("out", "plugins.json.gz", "output file (gzip-compressed JSON)")
	flag.Parse()
	log.SetFlags(0)

	dir, err := moduleDir("github.com/influxdata/telegraf@" + *version)
	if err != nil {
		log.Fatal(err)
	}
	cat := Catalogue{
		Source:    "github.com/influxdata/telegraf",
		Version:   *version,
		License:   "MIT",
		Copyright: copyright(dir),
		Generator: "internal/telegraf/gen; do not edit",
	}
	if cat.CommonOptions, err = commonOptions(filepath.Join(dir, "config", "config.go")); err != nil {
		log.Fatal(err)
	}
	for _, typ := range types {
		plugins, err := readType(filepath.Join(dir, "plugins", typ), typ)
		if err != nil {
			log.Fatal(err)
		}
		deps, err := deprecations(filepath.Join(dir, "plugins", typ, "deprecations.go"))
		if err != nil {
			log.Fatal(err)
		}
		for i := range plugins {
			if d, ok := deps[plugins[i].Name]; ok {
				plugins[i].Deprecation = &d
				delete(deps, plugins[i].Name)
			}
		}
		cat.Plugins = append(cat.Plugins, plugins...)
		var removed []string
		for name := range deps {
			removed = append(removed, name)
		}
		sort.Strings(removed)
		for _, name := range removed {
			d := deps[name]
			cat.Removed = append(cat.Removed, Plugin{Type: typ, Name: name, Description: d.Notice, Deprecation: &d})
		}
	}

	var raw bytes.Buffer
	enc := json.NewEncoder(&raw)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(cat); err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	// The gzip header carries the attribution too; no name or time, so the
	// output depends only on the input.
	zw.Comment = fmt.Sprintf("Telegraf %s plugin catalogue, from github.com/influxdata/telegraf (MIT licence, %s)", *version, cat.Copyright)
	zw.Write(raw.Bytes())
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s: %d plugins, %d bytes (%d uncompressed)", *out, len(cat.Plugins), buf.Len(), raw.Len())
}

// moduleDir asks the go command where a module version lives in the cache.
func moduleDir(mod string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", mod)
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %w", mod, err)
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(b, &info); err != nil {
		return "", fmt.Errorf("go mod download %s: %w", mod, err)
	}
	if info.Error != "" || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s: %s", mod, info.Error)
	}
	return info.Dir, nil
}

func copyright(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "LICENSE"))
	if err != nil {
		log.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if strings.HasPrefix(line, "Copyright") {
			return strings.TrimSpace(line)
		}
	}
	return "InfluxData Inc."
}

// readType reads one plugin type's folders.
func readType(dir, typ string) ([]Plugin, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	folders := map[string]bool{}
	for _, e := range entries {
		if e.IsDir() {
			folders[e.Name()] = true
		}
	}
	var plugins []Plugin
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "all" || e.Name() == "common" {
			continue
		}
		pdir := filepath.Join(dir, e.Name())
		readme, _ := os.ReadFile(filepath.Join(pdir, "README.md"))
		sample, _ := os.ReadFile(filepath.Join(pdir, "sample.conf"))
		if readme == nil && sample == nil {
			continue // a helper folder, not a plugin
		}
		p := describe(typ, string(readme), string(sample))
		for _, name := range registeredNames(pdir, typ, e.Name(), folders) {
			q := p
			q.Name = name
			plugins = append(plugins, q)
		}
	}
	sort.Slice(plugins, func(i, j int) bool { return plugins[i].Name < plugins[j].Name })
	return plugins, nil
}

// registeredNames returns the names a plugin folder registers with its
// type's registry (inputs.Add("cpu", ...)). A folder registering through a
// constant falls back to its own name; a name that is another folder's own is
// left to that folder.
func registeredNames(pdir, typ, folder string, folders map[string]bool) []string {
	re := regexp.MustCompile(`\b` + typ + `\.Add(?:Streaming)?\(\s*"([^"]+)"`)
	files, _ := filepath.Glob(filepath.Join(pdir, "*.go"))
	seen := map[string]bool{}
	var names []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			name := m[1]
			if seen[name] || name != folder && folders[name] {
				continue
			}
			seen[name] = true
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		names = []string{folder}
	}
	return names
}

var (
	mdLinkRef    = regexp.MustCompile(`\[([^\]]+)\]\[[^\]]*\]`)
	mdLinkInline = regexp.MustCompile(`\[([^\]]+)\]\([^)]*\)`)
	mdEmphasis   = regexp.MustCompile(`(\*\*|__)([^*_]+)(\*\*|__)`)
	mdLinkDef    = regexp.MustCompile(`^\[[^\]]+\]:`)
	sentenceEnd  = regexp.MustCompile(`[.!?](\s|$)`)
)

// describe extracts the title, description, badges and sample of a plugin.
func describe(typ, readme, sample string) Plugin {
	p := Plugin{Type: typ, Sample: strings.TrimRight(sample, "\n")}
	var para []string
	inPara, done := false, false
	sc := bufio.NewScanner(strings.NewReader(readme))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case p.Title == "" && strings.HasPrefix(line, "# "):
			p.Title = strings.TrimSpace(strings.TrimPrefix(line, "# "))
		case strings.HasPrefix(line, "⭐"):
			if _, v, ok := strings.Cut(line, "Telegraf "); ok {
				p.Since, _, _ = strings.Cut(strings.TrimSpace(v), " ")
			}
		case strings.HasPrefix(line, "🏷️"):
			for tag := range strings.SplitSeq(strings.TrimSpace(strings.TrimPrefix(line, "🏷️")), ",") {
				if tag = strings.TrimSpace(tag); tag != "" {
					p.Tags = append(p.Tags, tag)
				}
			}
		case strings.HasPrefix(line, "#"):
			if inPara {
				done = true
			}
		case line == "":
			if inPara {
				done = true
			}
		case !done && p.Title != "" && !strings.HasPrefix(line, "💻") && !strings.HasPrefix(line, ">") && !mdLinkDef.MatchString(line):
			inPara = true
			para = append(para, line)
		}
	}
	p.Description = firstSentence(strings.Join(para, " "))
	if p.Description == "" {
		p.Description = strings.TrimSpace(strings.TrimLeft(firstLine(sample), "# "))
	}
	if p.Sample == "" {
		p.Sample = tomlBlock(readme)
	}
	p.Options = sampleOptions(p.Sample)
	return p
}

var (
	sampleKey    = regexp.MustCompile(`^[#\s]*([A-Za-z0-9_-]+)\s*=`)
	sampleHeader = regexp.MustCompile(`^[#\s]*\[\[?\s*([A-Za-z0-9_.-]+)\s*\]`)
)

// sampleOptions lists the keys and the last parts of table headers found in
// a sample, commented out or not.
func sampleOptions(sample string) []string {
	seen := map[string]bool{}
	for line := range strings.SplitSeq(sample, "\n") {
		if m := sampleKey.FindStringSubmatch(line); m != nil {
			seen[m[1]] = true
		} else if m := sampleHeader.FindStringSubmatch(line); m != nil {
			parts := strings.Split(m[1], ".")
			if len(parts) > 2 {
				seen[parts[len(parts)-1]] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// commonOptions reads the options every plugin section accepts: the string
// cases of Telegraf's missingTomlField and the names its getField* helpers
// take out of a plugin's table.
func commonOptions(path string) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	// Options read by the c.getField*(tbl, "name", ...) helpers, which take
	// them out of the table before the plugin sees it.
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) < 2 {
			return true
		}
		if sel, ok := call.Fun.(*ast.SelectorExpr); ok && strings.HasPrefix(sel.Sel.Name, "getField") {
			if lit, ok := call.Args[1].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				v, _ := strconv.Unquote(lit.Value)
				seen[v] = true
			}
		}
		return true
	})
	var out []string
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "missingTomlField" {
			continue
		}
		ast.Inspect(fn, func(n ast.Node) bool {
			if cc, ok := n.(*ast.CaseClause); ok {
				for _, e := range cc.List {
					if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						seen[v] = true
					}
				}
			}
			return true
		})
	}
	for k := range seen {
		out = append(out, k)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no missingTomlField cases or getField calls found", path)
	}
	sort.Strings(out)
	return out, nil
}

func firstSentence(s string) string {
	s = mdLinkRef.ReplaceAllString(s, "$1")
	s = mdLinkInline.ReplaceAllString(s, "$1")
	s = mdEmphasis.ReplaceAllString(s, "$2")
	if loc := sentenceEnd.FindStringIndex(s); loc != nil {
		s = s[:loc[0]+1]
	}
	return strings.TrimSpace(s)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// tomlBlock returns the first ```toml fenced block of a README (the
// configuration example of parsers and serializers, and of plugins whose
// sample.conf is assembled from parts).
func tomlBlock(readme string) string {
	_, rest, ok := strings.Cut(readme, "```toml")
	if !ok {
		return ""
	}
	_, rest, _ = strings.Cut(rest, "\n") // the fence line may name included files
	block, _, _ := strings.Cut(rest, "```")
	return strings.TrimRight(block, "\n")
}

// deprecations reads a type's deprecations.go: a map literal from plugin
// name to {Since, RemovalIn, Notice}. It is read as Go syntax, not run.
func deprecations(path string) (map[string]Deprecation, error) {
	out := map[string]Deprecation{}
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		if os.IsNotExist(errors.Unwrap(err)) || errors.Is(err, fs.ErrNotExist) {
			return out, nil
		}
		return nil, err
	}
	ast.Inspect(f, func(n ast.Node) bool {
		kv, ok := n.(*ast.KeyValueExpr)
		if !ok {
			return true
		}
		key, ok := kv.Key.(*ast.BasicLit)
		val, ok2 := kv.Value.(*ast.CompositeLit)
		if !ok || !ok2 || key.Kind != token.STRING {
			return true
		}
		name, _ := strconv.Unquote(key.Value)
		var d Deprecation
		for _, e := range val.Elts {
			field, ok := e.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			id, _ := field.Key.(*ast.Ident)
			lit, _ := field.Value.(*ast.BasicLit)
			if id == nil || lit == nil {
				continue
			}
			v, _ := strconv.Unquote(lit.Value)
			switch id.Name {
			case "Since":
				d.Since = v
			case "RemovalIn":
				d.RemovalIn = v
			case "Notice":
				d.Notice = v
			}
		}
		out[name] = d
		return false
	})
	return out, nil
}
