package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/metrics"
	"github.com/telegrafcontroller/tc/internal/render"
	"github.com/telegrafcontroller/tc/internal/serves"
	"golang.org/x/sync/singleflight"
)

// Serving a config's TOML to agents: GET and HEAD /api/configs/{id}/toml.
//
// Telegraf's URL watcher HEADs the URL every interval and reloads when the
// Last-Modified string differs from the first one it saw, whatever the
// status. So Last-Modified is the config's revision (which moves on every
// change of what feeds the render and never with the request time), and no
// error response carries it. Renders are cached per config and per the
// values of the parameters the config uses (renderKey), and dropped when the
// store reports a change, so a repeated GET or HEAD costs no database round
// trip.

// Prebuilt header values, shared by every response (never mutated).
var (
	hdrTOML    = []string{"text/x-toml; charset=utf-8"}
	hdrOctet   = []string{"application/octet-stream"}
	hdrNoCache = []string{"no-cache"}
	hdrVary    = []string{"Accept, Accept-Encoding"}
	hdrGzip    = []string{"gzip"}
)

// Bounds of the render cache; past them it forgets whole configs at random.
// A config keeps at most maxRendersPerConfig renders: one whose template
// takes a value per agent (instance_id = "&{agent_id}") would otherwise
// fill the cache with one body per agent, each read once a watch interval,
// and then forget them all at once. Past that bound its renders are made
// per request (a template fill and a digest, microseconds) and not kept.
const (
	maxCachedItems      = 50_000
	maxCachedBytes      = 64 << 20 // rendered bodies; gzip copies come on top
	maxRendersPerConfig = 4096
)

// rendered is one cached render: the body and everything its headers need.
type rendered struct {
	// revision and version are the config's when rendered: a serve
	// records them.
	revision     time.Time
	version      int
	served       []tc.ServedMember // a group's members and their versions
	body         []byte
	length       []string
	etag         []string
	lastModified []string
	disposition  []string
	err          error // a render error (400), cached like a body

	gzOnce   sync.Once
	gz       []byte
	gzLength []string
	gzETag   []string
}

func (e *rendered) gzipped() {
	e.gzOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		zw.Write(e.body)
		zw.Close()
		e.gz = buf.Bytes()
		e.gzLength = []string{strconv.Itoa(len(e.gz))}
		e.gzETag = []string{strings.TrimSuffix(e.etag[0], `"`) + `-gz"`}
	})
}

// configRenders is what the cache keeps per config: the parsed template and
// constants (so a new query renders without the database) and its renders.
type configRenders struct {
	revision     time.Time
	version      int
	tmpl         *render.Template
	members      []render.Member   // a group's instead (config_group_toml.go)
	served       []tc.ServedMember // the members' versions
	constants    map[string]string
	lastModified []string
	disposition  []string
	params       []string             // the parameters the template or the members use
	items        map[string]*rendered // by renderKey
}

// renderKey is what a render of cr depends on in the query: the values of
// the parameters cr uses, each list length-prefixed so that no two lists
// share a key. Parameters the config does not use (an agent_id only the
// serve record wants) make no new render.
func (cr *configRenders) renderKey(query url.Values) string {
	if len(cr.params) == 0 {
		return ""
	}
	var b []byte
	for _, name := range cr.params {
		vs := query[name]
		b = strconv.AppendInt(b, int64(len(vs)), 10)
		for _, v := range vs {
			b = append(b, ':')
			b = strconv.AppendInt(b, int64(len(v)), 10)
			b = append(b, ':')
			b = append(b, v...)
		}
		b = append(b, ';')
	}
	return string(b)
}

// tomlCache holds renders. gen counts invalidations: a render computed from
// reads that began before an invalidation is served but not kept.
type tomlCache struct {
	// Counters by how an answer was produced (tc_config_toml_renders_total).
	hits, renders, loads prometheus.Counter

	mu        sync.RWMutex
	gen       uint64
	byConfig  map[string]*configRenders
	flight    singleflight.Group // config reads in flight, by generation and id
	items     int                // renders kept
	bytes     int                // their body bytes
	maxItems  int
	maxBytes  int
	perConfig int // renders kept per config
}

func newTOMLCache(maxItems, maxBytes int, m *metrics.Metrics) *tomlCache {
	c := &tomlCache{byConfig: map[string]*configRenders{}, maxItems: maxItems, maxBytes: maxBytes,
		perConfig: min(maxItems, maxRendersPerConfig)}
	if m == nil {
		m = metrics.New()
	}
	c.hits = m.ConfigTOMLRenders.WithLabelValues("cache_hit")
	c.renders = m.ConfigTOMLRenders.WithLabelValues("render")
	c.loads = m.ConfigTOMLRenders.WithLabelValues("load")
	return c
}

// startLoad starts fn, the database read of config id, or joins a read of
// id already in flight that began in the same generation, and returns the
// channel its result arrives on. After a restart every agent's first request
// misses at once, and one read per config serves them all; a read from
// before an invalidation may return what the invalidation replaced, so later
// generations do not share it. Joining happens before startLoad returns.
func (c *tomlCache) startLoad(id string, gen uint64, fn func() (*configRenders, error)) <-chan singleflight.Result {
	return c.flight.DoChan(strconv.FormatUint(gen, 10)+"/"+id, func() (any, error) { return fn() })
}

// load is startLoad waiting for its result.
func (c *tomlCache) load(id string, gen uint64, fn func() (*configRenders, error)) (*configRenders, error) {
	r := <-c.startLoad(id, gen, fn)
	cr, _ := r.Val.(*configRenders)
	return cr, r.Err
}

// dropLocked forgets a config's renders; c.mu is held.
func (c *tomlCache) dropLocked(id string) {
	if cr := c.byConfig[id]; cr != nil {
		c.items -= len(cr.items)
		for _, e := range cr.items {
			c.bytes -= len(e.body)
		}
		delete(c.byConfig, id)
	}
}

// ConfigsChanged drops every cached render of the given configs. internal/app
// calls it from the store's change feed for every change of a config
// (tc.EntityConfig); call it only after Register.
func (s *Server) ConfigsChanged(ids []string) { s.tomls.invalidate(ids) }

// ConfigsReset drops every cached render: a node of a cluster that may have
// missed changes made on another calls it (internal/app).
func (s *Server) ConfigsReset() { s.tomls.reset() }

// reset drops every render.
func (c *tomlCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.byConfig = map[string]*configRenders{}
	c.items, c.bytes = 0, 0
}

// invalidate drops every render of the given configs.
func (c *tomlCache) invalidate(ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, id := range ids {
		c.dropLocked(id)
	}
}

// config returns the cached state of config id (nil when it is not
// cached) and the generation the caller must present to store a render.
func (c *tomlCache) config(id string) (*configRenders, uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.byConfig[id], c.gen
}

// lookup returns cr's render under key, if kept.
func (c *tomlCache) lookup(cr *configRenders, key string) *rendered {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return cr.items[key]
}

// store keeps e under (id, key) unless an invalidation happened since gen
// or the config already keeps perConfig renders. At capacity it drops the
// renders of arbitrary configs first.
func (c *tomlCache) store(id, key string, cr *configRenders, e *rendered, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	cur := c.byConfig[id]
	if cur != nil && len(cur.items) >= c.perConfig {
		return
	}
	for other := range c.byConfig {
		if c.items < c.maxItems && c.bytes+len(e.body) <= c.maxBytes {
			break
		}
		c.dropLocked(other)
	}
	if cur = c.byConfig[id]; cur == nil {
		cur = cr
		c.byConfig[id] = cur
	}
	if _, ok := cur.items[key]; !ok {
		cur.items[key] = e
		c.items++
		c.bytes += len(e.body)
	}
}

// loadConfigRenders reads a config and the constants it uses.
func (s *Server) loadConfigRenders(ctx context.Context, id string) (*configRenders, error) {
	sc, err := s.Store.ConfigForServing(ctx, id)
	if err != nil {
		return nil, err
	}
	tmpl := render.Parse(sc.TOML)
	consts, err := s.Store.ConstantValues(ctx, tmpl.Constants)
	if err != nil {
		return nil, err
	}
	return &configRenders{
		revision:     sc.RevisionAt,
		version:      sc.Version,
		tmpl:         tmpl,
		params:       tmpl.Params(),
		constants:    consts,
		lastModified: []string{sc.RevisionAt.UTC().Format(http.TimeFormat)},
		disposition:  []string{contentDisposition(sc.Name)},
		items:        map[string]*rendered{},
	}, nil
}

// contentDisposition names the download after the config, keeping the
// quoted filename ASCII and safe and adding the UTF-8 form when needed.
func contentDisposition(name string) string {
	var b strings.Builder
	ascii := true
	for _, r := range name {
		switch {
		case r == '"' || r == '\\' || r == '/' || r < 0x20 || r == 0x7f:
			b.WriteByte('_')
		case r > 0x7e:
			ascii = false
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	v := `attachment; filename="` + b.String() + `.toml"`
	if !ascii {
		v += "; filename*=UTF-8''" + url.PathEscape(name+".toml")
	}
	return v
}

// renderFor returns the render of config id for the raw query string,
// from the cache when it is there.
func (s *Server) renderFor(ctx context.Context, id, rawQuery string) (*rendered, error) {
	return s.renderFrom(ctx, s.tomls, id, rawQuery, s.loadConfigRenders)
}

// renderFrom returns the render of id (a config's or a group's, by the
// cache c and its loader) for the raw query string, from c when it is
// there. A render error is cached like a body; a query string that is not
// valid URL encoding is refused without a render.
func (s *Server) renderFrom(ctx context.Context, c *tomlCache, id, rawQuery string, load func(context.Context, string) (*configRenders, error)) (*rendered, error) {
	cr, gen := c.config(id)
	loaded := cr == nil
	if loaded {
		c.loads.Inc()
		var err error
		cr, err = c.load(id, gen, func() (*configRenders, error) {
			// Shared by other requests: not bound to this one's cancellation.
			lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			return load(lctx, id)
		})
		if err != nil {
			return nil, err
		}
	}
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, tc.Errorf(tc.EINVALID, "the query string is not valid URL encoding")
	}
	key := cr.renderKey(query)
	if e := c.lookup(cr, key); e != nil {
		c.hits.Inc()
		return e, nil
	}
	if !loaded {
		c.renders.Inc() // a load counts its own render
	}
	e := &rendered{revision: cr.revision, version: cr.version, served: cr.served, lastModified: cr.lastModified, disposition: cr.disposition}
	if e.body, err = cr.render(query); err != nil {
		e.err = err
	} else {
		sum := sha256.Sum256(e.body)
		e.etag = []string{`"` + hex.EncodeToString(sum[:16]) + `"`}
		e.length = []string{strconv.Itoa(len(e.body))}
	}
	c.store(id, key, cr, e, gen)
	return e, nil
}

// render fills a config's template, or a group's members in order, with
// the request's parameters and the constants.
func (cr *configRenders) render(query url.Values) ([]byte, error) {
	if cr.tmpl == nil {
		return render.RenderGroup(nil, cr.members, query, cr.constants)
	}
	return cr.tmpl.Render(nil, query, cr.constants)
}

// configTOML serves GET and HEAD /api/configs/{id}/toml.
func (s *Server) configTOML(w http.ResponseWriter, r *http.Request) {
	e, err := s.renderFor(r.Context(), r.PathValue("id"), r.URL.RawQuery)
	if err == nil {
		err = e.err
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.answerTOML(w, r, tc.ServeConfig, r.PathValue("id"), e)
}

// answerTOML writes a successful render with the headers agents and
// browsers need: gzip when accepted, a download when asked for, ETag and
// If-None-Match, Last-Modified, and no body for HEAD. Then it hands what
// it answered to the recorder (internal/serves), off the request path: a
// GET's body is a serve of the config or group id; a HEAD delivers no
// body, so it is counted as the agent's watcher, not recorded; a 304 is
// neither.
func (s *Server) answerTOML(w http.ResponseWriter, r *http.Request, kind, id string, e *rendered) {
	h := w.Header()
	body, length, etag := e.body, e.length, e.etag
	if acceptsGzip(r.Header["Accept-Encoding"]) {
		e.gzipped()
		body, length, etag = e.gz, e.gzLength, e.gzETag
		h["Content-Encoding"] = hdrGzip
	}
	if wantsDownload(r.Header["Accept"]) {
		h["Content-Type"] = hdrOctet
		h["Content-Disposition"] = e.disposition
	} else {
		h["Content-Type"] = hdrTOML
	}
	h["Last-Modified"] = e.lastModified
	h["Etag"] = etag
	h["Cache-Control"] = hdrNoCache
	h["Vary"] = hdrVary
	if inm := r.Header["If-None-Match"]; inm != nil && etagMatches(inm, etag[0]) {
		delete(h, "Content-Type")
		delete(h, "Content-Encoding")
		delete(h, "Content-Disposition")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Length"] = length
	if r.Method == http.MethodHead {
		if s.Serves != nil {
			s.Serves.Watch(r.URL.Path, r.URL.RawPath, r.URL.RawQuery, httpx.ClientIP(r, s.TrustedProxies), s.Now())
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Write(body)
	s.recordServe(r, kind, id, e)
}

// recordServe hands a served GET to the recorder: the request's strings
// as they are, parsed off the request path (internal/serves).
func (s *Server) recordServe(r *http.Request, kind, id string, e *rendered) {
	if s.Serves == nil {
		return
	}
	var token string
	if c := tc.CallerFromContext(r.Context()); c != nil && c.Token != nil {
		token = c.Token.ID
	}
	ua := r.Header["User-Agent"]
	s.Serves.Record(serves.Serve{
		Kind: kind, SourceID: id, Version: e.version, Members: e.served, LastModified: e.revision, ETag: e.etag[0],
		Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery, TokenID: token,
		ClientIP: httpx.ClientIP(r, s.TrustedProxies), Telegraf: len(ua) > 0 && strings.HasPrefix(ua[0], "Telegraf/"),
		At: s.Now(),
	})
}

// wantsDownload reports whether Accept prefers application/octet-stream to
// TOML. No Accept, */*, application/toml and text/x-toml get TOML.
func wantsDownload(accept []string) bool {
	if len(accept) == 0 {
		return false
	}
	var octetQ, tomlQ float64 = -1, -1
	for _, line := range accept {
		if line == "application/toml" {
			continue
		}
		for _, part := range strings.Split(line, ",") {
			mt, q := mediaRange(part)
			switch mt {
			case "application/octet-stream":
				octetQ = max(octetQ, q)
			case "application/toml", "text/x-toml", "application/x-toml", "text/toml", "*/*", "text/*":
				tomlQ = max(tomlQ, q)
			}
		}
	}
	return octetQ > 0 && octetQ > tomlQ
}

// mediaRange splits "type/sub;q=0.5" into the lower-cased type and q.
func mediaRange(s string) (string, float64) {
	mt, params, _ := strings.Cut(s, ";")
	q := 1.0
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				q = f
			}
		}
	}
	return strings.ToLower(strings.TrimSpace(mt)), q
}

// acceptsGzip reports whether Accept-Encoding allows gzip.
func acceptsGzip(values []string) bool {
	for _, line := range values {
		if line == "gzip" {
			return true
		}
		for _, part := range strings.Split(line, ",") {
			enc, q := mediaRange(part)
			if (enc == "gzip" || enc == "x-gzip") && q > 0 {
				return true
			}
		}
	}
	return false
}

// etagMatches applies If-None-Match's weak comparison.
func etagMatches(values []string, etag string) bool {
	for _, line := range values {
		for _, t := range strings.Split(line, ",") {
			t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
			if t == "*" || t == etag {
				return true
			}
		}
	}
	return false
}
