package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/telegraf"
)

// pluginSummary is a catalogue entry without its sample configuration (the
// list would otherwise weigh most of a megabyte).
type pluginSummary struct {
	Type        string   `json:"type"`
	Name        string   `json:"name"`
	Title       string   `json:"title,omitempty"`
	Description string   `json:"description"`
	Since       string   `json:"since,omitempty"`
	Tags        []string `json:"tags,omitempty"`

	Deprecation *telegraf.Deprecation `json:"deprecation,omitempty"`
}

func checkPluginType(typ string) error {
	if typ != "" && !slices.Contains(telegraf.PluginTypes, typ) {
		return tc.FieldErrorf("type", "type must be one of %s", strings.Join(telegraf.PluginTypes, ", "))
	}
	return nil
}

// listPlugins searches the catalogue of Telegraf plugins: ?type= narrows to
// one type, ?search= matches every word against name, title, description
// and tags.
func (s *Server) listPlugins(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	typ := q.Get("type")
	if err := checkPluginType(typ); err != nil {
		s.fail(w, r, err)
		return
	}
	cat := telegraf.Plugins()
	found := cat.Search(typ, q.Get("search"))
	items := make([]pluginSummary, len(found))
	counts := map[string]int{}
	for i, p := range found {
		items[i] = pluginSummary{Type: p.Type, Name: p.Name, Title: p.Title, Description: p.Description, Since: p.Since, Tags: p.Tags, Deprecation: p.Deprecation}
		counts[p.Type]++
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"items": items, "total": len(items), "counts": counts,
		"telegrafVersion": cat.Version,
	})
}

// getPlugin returns one plugin with its sample configuration.
func (s *Server) getPlugin(w http.ResponseWriter, r *http.Request) {
	typ := r.PathValue("type")
	if err := checkPluginType(typ); err != nil {
		s.fail(w, r, err)
		return
	}
	p, ok := telegraf.Plugins().Lookup(typ, r.PathValue("name"))
	if !ok {
		s.fail(w, r, tc.Errorf(tc.ENOTFOUND, "no plugin %s.%s in Telegraf %s", typ, r.PathValue("name"), telegraf.Plugins().Version))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, p)
}
