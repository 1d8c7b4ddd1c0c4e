package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/telegrafcontroller/tc"
)

//go:embed templates
var templateFS embed.FS

// templates holds one parsed template set per page, each with the shared
// layout and partials.
type templates struct {
	pages map[string]*template.Template
}

func parseTemplates(static *staticFiles, now func() time.Time) (*templates, error) {
	funcs := template.FuncMap{
		"static":  static.url,
		"reltime": func(t any) string { return relTime(t, now()) },
		"when":    formatTime,
		"json": func(v any) (template.JS, error) {
			b, err := json.Marshal(v)
			return template.JS(b), err
		},
		"add":           func(a, b int) int { return a + b },
		"sub":           func(a, b int) int { return a - b },
		"pct":           percent,
		"thousands":     thousands,
		"seconds":       seconds,
		"historyStatus": historyStatusLabel,
		"query":         withQuery,
		"urlpath":       urlPath,
		"join":          strings.Join,
		"perms":         joinPermissions,
		"strs":          func(s ...string) []string { return s },
		"title":         titleCase,
		"eventLabel":    func(e string) string { return eventLabels[e] },
		"contains": func(list []string, s string) bool {
			for _, v := range list {
				if v == s {
					return true
				}
			}
			return false
		},
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
	}
	shared, err := fs.Glob(templateFS, "templates/partials/*.html")
	if err != nil {
		return nil, err
	}
	pages, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	t := &templates{pages: map[string]*template.Template{}}
	for _, p := range pages {
		name := strings.TrimSuffix(strings.TrimPrefix(p, "templates/"), ".html")
		tmpl, err := template.New(name).Funcs(funcs).ParseFS(templateFS, append(shared, p)...)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		t.pages[name] = tmpl
	}
	return t, nil
}

// Page is the data every template receives: the layout's needs plus the
// page's own typed Data.
type Page struct {
	Title   string
	Active  string // nav item to highlight
	Caller  *tc.Caller
	Nav     []NavItem
	Version string
	Path    string
	// Bare pages (sign-in, setup) have no navigation.
	Bare bool
	Data any
}

// NavItem is one entry of the left navigation.
type NavItem struct {
	Key, Label, URL string
}

// Can reports whether the signed-in caller holds perm ("configs:write").
func (p Page) Can(perm string) bool { return p.Caller.Can(tc.Permission(perm)) }

// nav lists the left navigation in order with the permission each needs.
var nav = []struct {
	NavItem
	perm tc.Permission
}{
	{NavItem{"configs", "Configurations", "/configs"}, tc.Perm(tc.ResConfigs, tc.ActionRead)},
	{NavItem{"config-groups", "Config groups", "/config-groups"}, tc.Perm(tc.ResConfigGroups, tc.ActionRead)},
	{NavItem{"constants", "Constants", "/constants"}, tc.Perm(tc.ResConstants, tc.ActionRead)},
	{NavItem{"agents", "Agents", "/agents"}, tc.Perm(tc.ResAgents, tc.ActionRead)},
	{NavItem{"reporting-rules", "Reporting Rules", "/reporting-rules"}, tc.Perm(tc.ResReportingRules, tc.ActionRead)},
	{NavItem{"alerts", "Alerts", "/alerts"}, tc.Perm(tc.ResAlerts, tc.ActionRead)},
	{NavItem{"alert-rules", "Alert rules", "/alert-rules"}, tc.Perm(tc.ResAlertRules, tc.ActionRead)},
	{NavItem{"notification-channels", "Channels", "/notification-channels"}, tc.Perm(tc.ResNotificationChannels, tc.ActionRead)},
	{NavItem{"labels", "Labels", "/labels"}, tc.Perm(tc.ResLabels, tc.ActionRead)},
	{NavItem{"tokens", "API Tokens", "/tokens"}, tc.Perm(tc.ResTokens, tc.ActionRead)},
	{NavItem{"users", "Users", "/users"}, tc.Perm(tc.ResUsers, tc.ActionRead)},
	{NavItem{"settings", "Settings", "/settings"}, tc.Perm(tc.ResSettings, tc.ActionRead)},
	{NavItem{"audit", "Audit log", "/audit"}, tc.Perm(tc.ResAudit, tc.ActionRead)},
}

func navFor(c *tc.Caller) []NavItem {
	var out []NavItem
	for _, n := range nav {
		if c.Can(n.perm) {
			out = append(out, n.NavItem)
		}
	}
	return out
}

// render executes page name into a buffer first, so a template error never
// leaves a half-written page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p Page) error {
	tmpl, ok := h.tmpl.pages[name]
	if !ok {
		return fmt.Errorf("no template %q", name)
	}
	if p.Caller != nil {
		p.Nav = navFor(p.Caller)
	}
	p.Version = h.Version
	p.Path = r.URL.Path
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, name, p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// show renders a signed-in page with status 200.
func (v *view) show(w http.ResponseWriter, name, title, active string, data any) error {
	return v.h.render(w, v.r, http.StatusOK, name, Page{Title: title, Active: active, Caller: v.caller, Data: data})
}

// errorData is the data of the error page.
type errorData struct {
	Status  int
	Heading string
	Message string
}

func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, caller *tc.Caller, status int, heading, msg string) {
	p := Page{Title: heading, Caller: caller, Bare: caller == nil, Data: errorData{status, heading, msg}}
	if err := h.render(w, r, status, "error", p); err != nil {
		h.Logger.Error("render error page", "error", err)
		http.Error(w, heading, status)
	}
}

// Time parsing for values the API sends as RFC 3339 strings.
func asTime(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, !t.IsZero()
	case *time.Time:
		if t == nil {
			return time.Time{}, false
		}
		return *t, !t.IsZero()
	case string:
		if t == "" {
			return time.Time{}, false
		}
		p, err := time.Parse(time.RFC3339Nano, t)
		return p, err == nil
	}
	return time.Time{}, false
}

// relTime says how long ago t was ("3 min ago"); a time slightly in the
// future (clock skew) reads "just now".
func relTime(v any, now time.Time) string {
	t, ok := asTime(v)
	if !ok {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 0 && d > -time.Minute, d >= 0 && d < 10*time.Second:
		return "just now"
	case d < 0:
		return "in " + span(-d)
	default:
		return span(d) + " ago"
	}
}

func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Hours()))
	default:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	}
}

func formatTime(v any) string {
	t, ok := asTime(v)
	if !ok {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func percent(part, total int) float64 {
	if total <= 0 {
		return 0
	}
	return math.Round(float64(part)*1000/float64(total)) / 10
}

// seconds says a reporting rule's threshold for people ("3 min"): an
// int64 of seconds, or a *int64 whose nil reads "never" (no auto-delete).
func seconds(v any) string {
	var s int64
	switch n := v.(type) {
	case int64:
		s = n
	case *int64:
		if n == nil {
			return "never"
		}
		s = *n
	default:
		return fmt.Sprint(v)
	}
	switch {
	case s%86400 == 0 && s >= 86400:
		return fmt.Sprintf("%d d", s/86400)
	case s%3600 == 0 && s >= 3600:
		return fmt.Sprintf("%d h", s/3600)
	case s%60 == 0 && s >= 60:
		return fmt.Sprintf("%d min", s/60)
	}
	return fmt.Sprintf("%d s", s)
}

// thousands formats an integer n with comma separators (1,000,000).
func thousands(n any) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// withQuery returns base's path with query values replaced by kv pairs
// (an empty value removes the key): links that keep the other filters.
func withQuery(base *url.URL, kv ...string) string {
	q := base.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return base.Path
	}
	return base.Path + "?" + q.Encode()
}

// urlPath joins base and segs into a URL path, each seg percent-encoded as
// one path segment. Every id a template puts into a link, form action or
// data-api URL goes through it: an agent id such as "x/../../tokens/1"
// must stay one segment of the agent's own URL, not climb out of it.
func urlPath(base string, segs ...any) string {
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(base, "/"))
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(fmt.Sprint(s)))
	}
	return b.String()
}

func titleCase(s string) string {
	s = strings.ReplaceAll(s, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// joinPermissions lists permissions for a tooltip.
func joinPermissions(ps []tc.Permission) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return strings.Join(out, ", ")
}
