package apptest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// HydraEnv names the variable holding the path of an ORY Hydra v2.3.0
// binary (scripts/test builds tools/hydra into .cache/bin and exports it).
const HydraEnv = "TC_TEST_HYDRA"

// hydraCacheBin is where scripts/test puts Hydra, relative to the module
// root; used when HydraEnv is not set, e.g. under a plain go test.
const hydraCacheBin = ".cache/bin/hydra-v2.3.0"

var hydraNotice sync.Once

// RequireHydra returns the Hydra binary, skipping tb loudly when there is
// none (failing it when CI is set).
func RequireHydra(tb testing.TB) string {
	tb.Helper()
	if bin := os.Getenv(HydraEnv); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			tb.Fatalf("%s=%s: %v", HydraEnv, bin, err)
		}
		return bin
	}
	if root := moduleRoot(); root != "" && fileExists(filepath.Join(root, hydraCacheBin)) {
		return filepath.Join(root, hydraCacheBin)
	}
	msg := "OIDC tests need ORY Hydra (" + HydraEnv + " or " + hydraCacheBin + "; ./scripts/test builds it from tools/hydra)"
	missing(tb, &hydraNotice, "HYDRA TESTS", msg)
	return ""
}

// moduleRoot is the directory of the nearest go.mod above the working
// directory: go test runs a package's tests in its directory, at any
// depth below the root ("" when there is none).
func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if fileExists(filepath.Join(dir, "go.mod")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// HydraUser is the person the login app signs in: the subject it accepts
// the login with and the claims it puts in the ID token at consent.
type HydraUser struct {
	Subject       string
	Email         string
	EmailVerified bool
	Username      string   // preferred_username
	Groups        []string // groups, an array of strings
	// Claims are further ID token claims (or replacements of the above,
	// e.g. "groups" as one string).
	Claims map[string]any
}

func (u HydraUser) idToken() map[string]any {
	c := map[string]any{"email": u.Email, "email_verified": u.EmailVerified, "preferred_username": u.Username, "name": u.Username}
	if u.Groups != nil {
		c["groups"] = u.Groups
	}
	for k, v := range u.Claims {
		c[k] = v
	}
	return c
}

// HydraOptions adjusts a Hydra before it starts.
type HydraOptions struct {
	// AuthCodeTTL is how long an authorization code lasts (Hydra's default
	// is ten minutes); the expired-code test shortens it.
	AuthCodeTTL time.Duration
}

// Hydra is a real ORY Hydra OpenID provider on loopback, over a throwaway
// PostgreSQL database, with its own login and consent app that signs in
// whoever SetUser names, without a form: it works from a Go client with a
// cookie jar and from a real browser alike, as both only follow redirects.
type Hydra struct {
	Issuer   string // http://127.0.0.1:port/, exactly as Hydra spells it
	AdminURL string // http://127.0.0.1:port of the admin API
	Output   *SafeBuffer

	bin   string
	env   []string
	cmd   *exec.Cmd
	done  chan struct{}
	admin *http.Client

	mu    sync.Mutex
	user  HydraUser
	users map[string]HydraUser // by subject: consent finds the user login accepted
}

// StartHydra runs Hydra (migrations, then serve all --dev) until tb's
// cleanup and returns once it is ready.
func StartHydra(tb testing.TB, opts ...HydraOptions) *Hydra {
	tb.Helper()
	bin := RequireHydra(tb)
	RequirePostgres(tb)
	var o HydraOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	dsn := newPostgresDatabase(tb)
	publicPort, adminPort := freePort(tb), freePort(tb)
	h := &Hydra{
		Issuer:   fmt.Sprintf("http://127.0.0.1:%d/", publicPort),
		AdminURL: fmt.Sprintf("http://127.0.0.1:%d", adminPort),
		Output:   &SafeBuffer{},
		bin:      bin,
		admin:    &http.Client{Timeout: 10 * time.Second},
		users:    map[string]HydraUser{},
	}
	app := httptest.NewServer(h.loginConsentApp())
	tb.Cleanup(app.Close)
	h.env = []string{
		"HOME=" + tb.TempDir(), "PATH=/usr/bin:/bin",
		"DSN=" + dsn,
		"URLS_SELF_ISSUER=" + h.Issuer,
		"URLS_LOGIN=" + app.URL + "/login",
		"URLS_CONSENT=" + app.URL + "/consent",
		"URLS_ERROR=" + app.URL + "/error",
		"SERVE_PUBLIC_HOST=127.0.0.1", fmt.Sprintf("SERVE_PUBLIC_PORT=%d", publicPort),
		"SERVE_ADMIN_HOST=127.0.0.1", fmt.Sprintf("SERVE_ADMIN_PORT=%d", adminPort),
		"SECRETS_SYSTEM=apptest-hydra-system-secret-0123456789",
		// Every client must use PKCE: a controller that forgot it fails.
		"OAUTH2_PKCE_ENFORCED=true",
		"LOG_LEVEL=warn",
	}
	if o.AuthCodeTTL > 0 {
		h.env = append(h.env, "TTL_AUTH_CODE="+o.AuthCodeTTL.String())
	}
	migrate := exec.Command(bin, "migrate", "sql", "up", "-e", "--yes")
	migrate.Env = h.env
	if out, err := migrate.CombinedOutput(); err != nil {
		tb.Fatalf("hydra migrate: %v\n%s", err, out)
	}
	h.Start(tb)
	tb.Cleanup(h.Stop)
	return h
}

// Start (re)starts Hydra on the same ports and database and waits until
// it is ready.
func (h *Hydra) Start(tb testing.TB) {
	tb.Helper()
	h.cmd = exec.Command(h.bin, "serve", "all", "--dev")
	h.cmd.Env = h.env
	h.cmd.Stdout, h.cmd.Stderr = h.Output, h.Output
	h.done = make(chan struct{})
	if err := h.cmd.Start(); err != nil {
		tb.Fatalf("start hydra: %v", err)
	}
	done := h.done
	go func() { h.cmd.Wait(); close(done) }()
	deadline := time.Now().Add(60 * time.Second)
	for _, u := range []string{h.AdminURL + "/health/ready", h.Issuer + "health/ready"} {
		for {
			select {
			case <-done:
				tb.Fatalf("hydra exited:\n%s", h.Output.String())
			default:
			}
			if resp, err := h.admin.Get(u); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				tb.Fatalf("hydra not ready in 60s:\n%s", h.Output.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// Stop ends Hydra (a test may stop it to see the provider down).
func (h *Hydra) Stop() {
	if h.cmd == nil || h.cmd.Process == nil {
		return
	}
	select {
	case <-h.done:
		return
	default:
	}
	h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		h.cmd.Process.Kill()
		<-h.done
	}
}

// SetUser makes u the person the login app signs in from now on.
func (h *Hydra) SetUser(u HydraUser) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.user = u
	h.users[u.Subject] = u
}

// NewClient registers a confidential OAuth2 client (client_secret_basic,
// authorization code) that may redirect to redirectURI, and returns its id
// and secret.
func (h *Hydra) NewClient(tb testing.TB, redirectURI string) (id, secret string) {
	tb.Helper()
	var out struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	h.adminCall(tb, http.MethodPost, "/admin/clients", map[string]any{
		"client_name":                "tc test",
		"grant_types":                []string{"authorization_code"},
		"response_types":             []string{"code"},
		"scope":                      "openid profile email groups",
		"redirect_uris":              []string{redirectURI},
		"token_endpoint_auth_method": "client_secret_basic",
	}, &out)
	if out.ID == "" || out.Secret == "" {
		tb.Fatalf("hydra created a client without id or secret: %+v", out)
	}
	return out.ID, out.Secret
}

func (h *Hydra) adminCall(tb testing.TB, method, path string, body, out any) {
	tb.Helper()
	if err := h.adminDo(method, path, body, out); err != nil {
		tb.Fatal(err)
	}
}

// adminDo calls Hydra's admin API with a JSON body and decodes the answer
// into out.
func (h *Hydra) adminDo(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, h.AdminURL+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.admin.Do(req)
	if err != nil {
		return fmt.Errorf("hydra admin %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("hydra admin %s %s: %s: %s", method, path, resp.Status, rb)
	}
	if out != nil {
		if err := json.Unmarshal(rb, out); err != nil {
			return fmt.Errorf("hydra admin %s %s: decode %q: %w", method, path, rb, err)
		}
	}
	return nil
}

// loginConsentApp is the login and consent provider Hydra redirects to:
// it accepts the login as the current user and grants every requested
// scope with that user's claims in the ID token, then redirects back.
func (h *Hydra) loginConsentApp() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		u := h.user
		h.mu.Unlock()
		if u.Subject == "" {
			http.Error(w, "apptest: no Hydra user set (Hydra.SetUser)", http.StatusInternalServerError)
			return
		}
		var next struct {
			RedirectTo string `json:"redirect_to"`
		}
		err := h.adminDo(http.MethodPut, "/admin/oauth2/auth/requests/login/accept?login_challenge="+url.QueryEscape(r.URL.Query().Get("login_challenge")),
			map[string]any{"subject": u.Subject, "remember": false}, &next)
		h.redirect(w, r, next.RedirectTo, err)
	})
	mux.HandleFunc("GET /consent", func(w http.ResponseWriter, r *http.Request) {
		challenge := url.QueryEscape(r.URL.Query().Get("consent_challenge"))
		var req struct {
			Subject   string   `json:"subject"`
			Scopes    []string `json:"requested_scope"`
			Audiences []string `json:"requested_access_token_audience"`
		}
		if err := h.adminDo(http.MethodGet, "/admin/oauth2/auth/requests/consent?consent_challenge="+challenge, nil, &req); err != nil {
			h.redirect(w, r, "", err)
			return
		}
		h.mu.Lock()
		u := h.users[req.Subject]
		h.mu.Unlock()
		var next struct {
			RedirectTo string `json:"redirect_to"`
		}
		err := h.adminDo(http.MethodPut, "/admin/oauth2/auth/requests/consent/accept?consent_challenge="+challenge, map[string]any{
			"grant_scope":                 req.Scopes,
			"grant_access_token_audience": req.Audiences,
			"remember":                    false,
			"session":                     map[string]any{"id_token": u.idToken()},
		}, &next)
		h.redirect(w, r, next.RedirectTo, err)
	})
	mux.HandleFunc("GET /error", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "hydra error: "+r.URL.Query().Get("error")+": "+r.URL.Query().Get("error_description"), http.StatusBadRequest)
	})
	return mux
}

func (h *Hydra) redirect(w http.ResponseWriter, r *http.Request, to string, err error) {
	if err != nil {
		http.Error(w, "apptest login app: "+err.Error(), http.StatusBadGateway)
		return
	}
	http.Redirect(w, r, to, http.StatusFound)
}
