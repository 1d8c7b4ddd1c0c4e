package telegraf

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"io"
	"strings"
	"sync"
)

//go:generate go run ./gen -version v1.39.3 -out plugins.json.gz

// pluginsFile is the catalogue written by ./gen: data extracted from the
// Telegraf module (github.com/influxdata/telegraf, MIT licence, copyright
// InfluxData Inc.), attributed in its header fields.
//
//go:embed plugins.json.gz
var pluginsFile []byte

// Plugin is one Telegraf plugin of the catalogue.
type Plugin struct {
	// Type is the plugin's section: inputs, outputs, processors,
	// aggregators, secretstores, or parsers and serializers (the values of
	// data_format in inputs and outputs).
	Type  string `json:"type"`
	Name  string `json:"name"`
	Title string `json:"title,omitempty"`
	// Description is the first sentence of the plugin's README.
	Description string   `json:"description"`
	Since       string   `json:"since,omitempty"` // first Telegraf version with the plugin
	Tags        []string `json:"tags,omitempty"`
	// Sample is the plugin's sample configuration, as Telegraf ships it.
	Sample string `json:"sample,omitempty"`
	// Deprecation is set when Telegraf deprecated the plugin.
	Deprecation *Deprecation `json:"deprecation,omitempty"`
	// Options are the keys and sub-table names its sample mentions.
	Options []string `json:"options,omitempty"`
}

// Deprecation is what Telegraf says about a deprecated or removed plugin.
type Deprecation struct {
	Since     string `json:"since"`
	RemovalIn string `json:"removalIn,omitempty"`
	Notice    string `json:"notice"`
}

// Catalogue is the plugin catalogue of one Telegraf version.
type Catalogue struct {
	Source    string   `json:"source"`
	Version   string   `json:"version"`
	License   string   `json:"license"`
	Copyright string   `json:"copyright"`
	Plugins   []Plugin `json:"plugins"`
	// Removed lists plugins Telegraf dropped (it refuses to load them).
	Removed []Plugin `json:"removed"`
	// CommonOptions are accepted in every plugin section.
	CommonOptions []string `json:"commonOptions"`

	byKey     map[string]int // "type.name" -> index in Plugins
	removedBy map[string]int // "type.name" -> index in Removed
	common    map[string]bool
	options   map[string]map[string]bool // "type.name" -> its Options
}

// PluginTypes lists the catalogue's plugin types in display order.
var PluginTypes = []string{"inputs", "outputs", "processors", "aggregators", "parsers", "serializers", "secretstores"}

// sectionTypes are the plugin types that are top-level TOML tables.
var sectionTypes = map[string]bool{"inputs": true, "outputs": true, "processors": true, "aggregators": true, "secretstores": true}

var loadCatalogue = sync.OnceValue(func() *Catalogue {
	zr, err := gzip.NewReader(bytes.NewReader(pluginsFile))
	if err != nil {
		panic("telegraf: embedded catalogue: " + err.Error())
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		panic("telegraf: embedded catalogue: " + err.Error())
	}
	c := &Catalogue{}
	if err := json.Unmarshal(raw, c); err != nil {
		panic("telegraf: embedded catalogue: " + err.Error())
	}
	c.byKey = make(map[string]int, len(c.Plugins))
	for i, p := range c.Plugins {
		c.byKey[p.Type+"."+p.Name] = i
	}
	c.common = map[string]bool{}
	for _, o := range c.CommonOptions {
		c.common[o] = true
	}
	c.options = make(map[string]map[string]bool, len(c.Plugins))
	for _, p := range c.Plugins {
		set := make(map[string]bool, len(p.Options))
		for _, o := range p.Options {
			set[o] = true
		}
		c.options[p.Type+"."+p.Name] = set
	}
	c.removedBy = make(map[string]int, len(c.Removed))
	for i, p := range c.Removed {
		c.removedBy[p.Type+"."+p.Name] = i
	}
	return c
})

// Plugins returns the embedded catalogue, decoded once. Callers must not
// modify it.
func Plugins() *Catalogue { return loadCatalogue() }

// Lookup finds a plugin by type and name.
func (c *Catalogue) Lookup(typ, name string) (Plugin, bool) {
	i, ok := c.byKey[typ+"."+name]
	if !ok {
		return Plugin{}, false
	}
	return c.Plugins[i], true
}

// checksOptions reports whether unknown options of the plugin can be
// flagged: it has a sample listing options and takes no data_format (whose
// parser or serializer would bring options of its own).
func (c *Catalogue) checksOptions(typ, name string) bool {
	set := c.options[typ+"."+name]
	return len(set) > 0 && !set["data_format"]
}

// knowsOption reports whether a plugin section may hold option.
func (c *Catalogue) knowsOption(typ, name, option string) bool {
	return c.common[option] || c.options[typ+"."+name][option]
}

// LookupRemoved finds a plugin Telegraf removed.
func (c *Catalogue) LookupRemoved(typ, name string) (Plugin, bool) {
	i, ok := c.removedBy[typ+"."+name]
	if !ok {
		return Plugin{}, false
	}
	return c.Removed[i], true
}

// Search lists the plugins of typ ("" for all) whose name, title,
// description or tags contain every word of query, case-insensitively, in
// catalogue order (by type, then name).
func (c *Catalogue) Search(typ, query string) []Plugin {
	words := strings.Fields(strings.ToLower(query))
	out := []Plugin{}
	for _, p := range c.Plugins {
		if typ != "" && p.Type != typ {
			continue
		}
		hay := strings.ToLower(p.Type + "." + p.Name + " " + p.Title + " " + p.Description + " " + strings.Join(p.Tags, " "))
		match := true
		for _, w := range words {
			if !strings.Contains(hay, w) {
				match = false
				break
			}
		}
		if match {
			out = append(out, p)
		}
	}
	return out
}
