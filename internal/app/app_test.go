package app_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/app"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

func TestHealthAndErrors(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/health/ready"}), 200)
		if got := strings.TrimSpace(string(r.Body)); got != `{"ready":true}` {
			t.Errorf("ready body = %s", got)
		}
		r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/health/live"}), 200)
		if got := strings.TrimSpace(string(r.Body)); got != `{"status":"ok"}` {
			t.Errorf("live body = %s", got)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: inst.HeartbeatURL + "/health"}), 200)

		r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/no-such-thing"}), 404)
		if m := r.Map(t); m["error"] != "not_found" || m["message"] == "" {
			t.Errorf("unknown route body = %s", r.Body)
		}
		r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/openapi.json"}), 405)
		if m := r.Map(t); m["error"] != "method_not_allowed" || r.Header.Get("Allow") == "" {
			t.Errorf("wrong method: body = %s, Allow = %q", r.Body, r.Header.Get("Allow"))
		}

		// Metrics expose runtime and per-route request series.
		r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/metrics"}), 200)
		for _, want := range []string{"go_goroutines", `tc_http_requests_total{code="200",listener="main",route="GET /health/ready"}`, "tc_http_request_duration_seconds_bucket"} {
			if !bytes.Contains(r.Body, []byte(want)) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		// Without --ha the node is its own leader.
		if !bytes.Contains(r.Body, []byte("\ntc_leader 1\n")) {
			t.Error("/metrics lacks tc_leader 1")
		}

		// Ready turns 503 when the database is gone.
		inst.Store.Close()
		r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/health/ready"}), 503)
		if got := strings.TrimSpace(string(r.Body)); got != `{"ready":false}` {
			t.Errorf("not-ready body = %s", got)
		}
	})
}

// TestOpenAPIComplete fails when a registered route is missing from the
// OpenAPI document, or the document lists a route that does not exist.
func TestOpenAPIComplete(t *testing.T) {
	inst := apptest.MustStart(t, apptest.DB{Name: "sqlite"})
	r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/openapi.json"}), 200)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	r.JSON(t, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi = %q", doc.OpenAPI)
	}
	registered := map[string]bool{}
	for _, rt := range inst.API.Routes() {
		if rt.Method == http.MethodHead {
			continue
		}
		key := strings.ToLower(rt.Method) + " " + rt.Path
		registered[key] = true
		if _, ok := doc.Paths[rt.Path][strings.ToLower(rt.Method)]; !ok {
			t.Errorf("route %s %s is missing from docs/openapi", rt.Method, rt.Path)
		}
	}
	// OpenAPI treats paths that differ only in their parameter names as one
	// path, which a document must not list twice.
	shapes := map[string]string{}
	for path := range doc.Paths {
		shape := regexp.MustCompile(`\{[^}]*\}`).ReplaceAllString(path, "{}")
		if other, ok := shapes[shape]; ok {
			t.Errorf("docs/openapi lists %s and %s: the same path to OpenAPI", other, path)
		}
		shapes[shape] = path
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" || method == "head" {
				continue
			}
			if !registered[method+" "+path] {
				t.Errorf("docs/openapi lists %s %s, which is not a route", strings.ToUpper(method), path)
			}
		}
	}
}

func TestTokenAuthentication(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		user := inst.MustUser(t, tc.RoleManager)
		secret := inst.MustToken(t, user, "configs:read")
		caller, err := inst.Auth.AuthenticateToken(context.Background(), secret)
		if err != nil || !caller.Can("configs:read") || caller.Can("configs:write") {
			t.Fatalf("caller = %+v, err = %v", caller, err)
		}
		req, _ := http.NewRequest("GET", "/", nil)
		req.Header.Add("Authorization", "Basic eHg6eXk=")
		req.Header.Add("Authorization", "Token "+secret)
		if c, err := inst.Auth.Authenticate(req); err != nil || c == nil {
			t.Fatalf("token in the second Authorization header: caller = %v, err = %v", c, err)
		}
		for header, want := range map[string]string{
			"Bearer":                        "Missing or invalid Authorization header",
			"Bearer tc-apiv1_short":         "Invalid token format",
			"Bearer " + tc.NewTokenSecret(): "Invalid token",
			"Digest abc":                    "Missing or invalid Authorization header",
		} {
			req, _ := http.NewRequest("GET", "/", nil)
			req.Header.Set("Authorization", header)
			_, err := inst.Auth.Authenticate(req)
			if tc.ErrorCode(err) != tc.EUNAUTHORIZED || tc.ErrorMessage(err) != want {
				t.Errorf("%q: err = %v, want 401 %q", header, err, want)
			}
		}
	})
}

func TestStartupFailuresAreOneLine(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notdb")
	os.WriteFile(notDB, bytes.Repeat([]byte("garbage!"), 1000), 0o600)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"not sqlite", []string{"--database", notDB}, "is not a SQLite database"},
		{"unreachable postgres", []string{"--database", "postgres://u:hunter2@127.0.0.1:1/x?connect_timeout=2"}, "cannot reach PostgreSQL"},
		{"port in use", []string{"--port", itoa(busyPort)}, "already in use"},
		{"missing TLS file", []string{"--ssl-cert", filepath.Join(dir, "nope.pem"), "--ssl-key", filepath.Join(dir, "nope.key")}, "nope.pem"},
		{"bad exempt group", []string{"--disable-auth-endpoints", "users"}, "invalid --disable-auth-endpoints"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := app.NewMain()
			m.Getenv = func(string) string { return "" }
			m.LogOutput = io.Discard
			cfg, err := app.ParseConfig(append([]string{"--port", "0", "--heartbeat-port", "0", "--bind", "127.0.0.1", "--drain-period", "0", "--data-dir", t.TempDir()}, c.args...), m.Getenv, nil, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			m.Config = cfg
			err = m.Run(context.Background())
			m.Close()
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one line containing %q", err, c.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error leaks the database password: %v", err)
			}
		})
	}
}

func TestConfigPrecedence(t *testing.T) {
	env := map[string]string{"APP_PORT": "9001", "HEARTBEAT_PORT": "9002"}
	dotenv := map[string]string{"APP_PORT": "9101", "HEARTBEAT_PORT": "9102", "LOG_FORMAT": "json"}
	cfg, err := app.ParseConfig([]string{"--port=9201"}, func(k string) string { return env[k] }, dotenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 9201 || cfg.HeartbeatPort != 9002 || cfg.LogFormat != "json" {
		t.Fatalf("port=%d heartbeat=%d format=%s, want flag 9201, env 9002, .env json", cfg.Port, cfg.HeartbeatPort, cfg.LogFormat)
	}
	var help bytes.Buffer
	if _, err := app.ParseConfig([]string{"--help"}, func(string) string { return "" }, nil, &help); err != app.ErrHelp {
		t.Fatalf("--help: err = %v", err)
	}
	for _, want := range []string{"--port", "APP_PORT", "8888", "HEARTBEAT_PORT", "DATABASE_URL", "SSL_CERT_PATH"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("--help lacks %s", want)
		}
	}
	for _, bad := range [][]string{{"--port", "x"}, {"--nope"}, {"--log-format", "xml"}, {"stray"}} {
		if _, err := app.ParseConfig(bad, func(string) string { return "" }, nil, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	path := filepath.Join(t.TempDir(), ".env")
	os.WriteFile(path, []byte("# comment\nexport APP_PORT=\"7000\"\n\nLOG_LEVEL='debug'\n"), 0o600)
	got, err := app.ReadDotEnv(path)
	if err != nil || got["APP_PORT"] != "7000" || got["LOG_LEVEL"] != "debug" {
		t.Fatalf("ReadDotEnv = %v, %v", got, err)
	}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writeSelfSigned(t, dir)
	inst := apptest.MustStart(t, apptest.DB{Name: "sqlite"}, apptest.WithArgs("--ssl-cert", certFile, "--ssl-key", keyFile))
	if !strings.HasPrefix(inst.URL, "https://") || !strings.HasPrefix(inst.HeartbeatURL, "https://") {
		t.Fatalf("URLs = %s, %s; want https on both listeners", inst.URL, inst.HeartbeatURL)
	}
	inst.Client.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/health/live"}), 200)
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: inst.HeartbeatURL + "/health"}), 200)

	// Only one of the pair: a warning and plain HTTP.
	inst = apptest.MustStart(t, apptest.DB{Name: "sqlite"}, apptest.WithArgs("--ssl-cert", certFile))
	if !strings.HasPrefix(inst.URL, "http://") || !strings.Contains(inst.Logs.String(), "serving plain HTTP") {
		t.Fatalf("one TLS file: URL = %s, logs lack the warning", inst.URL)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func writeSelfSigned(t *testing.T, dir string) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

// TestCrossOriginGuardsOnlyCookies: a cross-site browser write riding on the
// session cookie is refused; the same write carrying a token passes, since a
// foreign page cannot borrow a token.
func TestCrossOriginGuardsOnlyCookies(t *testing.T) {
	inst := apptest.MustStart(t, apptest.DB{Name: "sqlite"})
	owner := inst.MustUser(t, tc.RoleOwner)
	token := inst.MustToken(t, owner, "labels:write")
	crossSite := http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}
	r := inst.Do(t, apptest.Req{Method: "POST", Path: "/api/labels", Token: token, Header: crossSite,
		Body: map[string]string{"name": "from-script", "color": "#112233"}})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("cross-site token write: status = %d, want 201; body %s", r.StatusCode, r.Body)
	}
	r = inst.Do(t, apptest.Req{Method: "POST", Path: "/api/labels", Header: crossSite,
		Body: map[string]string{"name": "from-cookie", "color": "#112233"}})
	if r.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site write without a token: status = %d, want 403; body %s", r.StatusCode, r.Body)
	}
}
