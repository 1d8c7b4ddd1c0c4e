package oidc_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestSignInFromChromium walks the sign-in in a real browser: Hydra's
// cookies, its redirects and the harness's login app must work there as
// they do for a Go client, since the controller's browser tests reuse them.
func TestSignInFromChromium(t *testing.T) {
	path := os.Getenv("TC_TEST_CHROMIUM")
	if path == "" {
		msg := "browser tests need TC_TEST_CHROMIUM (run ./scripts/test, which installs Chromium)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg + "; CI is set, so this is a failure")
		}
		fmt.Fprintln(os.Stderr, "!!! SKIPPING BROWSER TESTS: "+msg)
		t.Skip("SKIPPED: " + msg)
	}
	h := apptest.StartHydra(t)
	h.SetUser(ada)
	r := newRig(t, h, apptest.DB{Name: "sqlite"}, nil, nil)
	authURL, binding, err := r.p.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(path), chromedp.Headless,
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-dev-shm-usage", true))
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()
	if _, err := chromedp.Run(ctx, chromedp.Navigate(authURL)); err != nil {
		t.Fatalf("browse the sign-in: %v", err)
	}
	at, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	body, err := chromedp.Run(ctx, chromedp.Text("body"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(at, r.cb.URL+"?") || body != "signed in" {
		t.Fatalf("browser ended at %s showing %q, want the callback", at, body)
	}
	r.cb.mu.Lock()
	code, state := r.cb.query.Get("code"), r.cb.query.Get("state")
	r.cb.mu.Unlock()
	id, _, err := r.p.Complete(context.Background(), code, state, binding, "")
	if err != nil || id.Subject != ada.Subject {
		t.Fatalf("complete = %+v, %v", id, err)
	}
}
