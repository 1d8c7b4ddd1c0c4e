package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"
)

// ChromiumEnv names the variable holding the Chromium binary the browser
// tests drive (scripts/test exports it).
const ChromiumEnv = "TC_TEST_CHROMIUM"

// browser is one headless Chromium with a fresh profile, driven through
// chromedp against a running controller.
type browser struct {
	t       *testing.T
	ctx     context.Context
	base    string
	shotDir string

	mu  sync.Mutex
	csp []string // Content-Security-Policy violations Chromium reported
}

// newBrowser starts Chromium, or skips loudly (fails under CI) without it.
// The flags keep Chromium from reaching for the network, which this machine
// does not have and on which it would otherwise stall.
func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	path := os.Getenv(ChromiumEnv)
	if path == "" {
		msg := "browser tests need " + ChromiumEnv + " (run ./scripts/test, which installs Chromium)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg + "; CI is set, so this is a failure")
		}
		fmt.Fprintln(os.Stderr, "!!! SKIPPING BROWSER TESTS: "+msg)
		t.Skip("SKIPPED: " + msg)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 950),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// Start the browser now so a broken install fails here, clearly. The
	// first call's context must carry no timeout: the browser lives as long
	// as it does.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	b := &browser{t: t, ctx: ctx, base: base, shotDir: screenshotDir(t)}
	// Chromium logs every blocked script, style or fetch as a console
	// message naming the Content Security Policy.
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*cdplog.EventEntryAdded); ok && e.Entry != nil && strings.Contains(e.Entry.Text, "Content Security Policy") {
			b.mu.Lock()
			b.csp = append(b.csp, e.Entry.URL+": "+e.Entry.Text)
			b.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// cspViolations returns the Content-Security-Policy violations reported
// since the last call.
func (b *browser) cspViolations() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	v := b.csp
	b.csp = nil
	return v
}

// screenshotDir is <module root>/screenshots (ignored by git).
func screenshotDir(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
	out := filepath.Join(dir, "screenshots")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

// do performs actions with a per-step timeout so a missing element fails
// the step instead of hanging the test.
func (b *browser) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 40*time.Second)
	defer cancel()
	for _, a := range actions {
		err := chromedp.Do(ctx, a)
		if err != nil && strings.Contains(err.Error(), "Not attached to an active page") {
			// The page was replaced under the action: a click that
			// submits or reloads navigated before Chromium answered. The
			// click happened; the actions and checks that follow read the
			// new page.
			t.Logf("browser: %v (the page navigated under the action)", err)
			continue
		}
		if err != nil {
			b.fatal(t, err)
		}
	}
}

func (b *browser) fatal(t *testing.T, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 3*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main") ? document.querySelector("main").innerText : document.body.innerText`))
	t.Fatalf("browser at %s: %v\npage text: %.800s", loc, err, strings.TrimSpace(body))
}

// get runs one action that returns a value.
func get[T any](t *testing.T, b *browser, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 40*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.fatal(t, err)
	}
	return v
}

// open navigates to path and waits for the page's main element.
func (b *browser) open(t *testing.T, path string) {
	t.Helper()
	b.do(t, chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.CSS("main")))
}

// shot saves a full-page screenshot as screenshots/<name>.png.
func (b *browser) shot(t *testing.T, name string) {
	t.Helper()
	if b.shotDir == "" {
		return
	}
	png := get(t, b, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(b.shotDir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (b *browser) location(t *testing.T) string {
	t.Helper()
	return strings.TrimPrefix(get(t, b, chromedp.Location()), b.base)
}

func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	return get(t, b, chromedp.Text(chromedp.CSS(sel)))
}

// count returns how many elements match sel now.
func (b *browser) count(t *testing.T, sel string) int {
	t.Helper()
	return get(t, b, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
}

// eval runs JavaScript and returns its result.
func eval[T any](t *testing.T, b *browser, js string) T {
	t.Helper()
	return get(t, b, chromedp.Evaluate[T](js))
}

// waitJS waits until the expression is truthy, riding out navigations
// (an evaluation fails while a page is replaced).
func (b *browser) waitJS(t *testing.T, js string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+js+")"))
		cancel()
		if err == nil && ok {
			return
		}
		lastErr = err
		time.Sleep(50 * time.Millisecond)
	}
	if lastErr == nil {
		lastErr = fmt.Errorf("still false: %s", js)
	}
	b.fatal(t, lastErr)
}

// waitText waits until sel's text contains want.
func (b *browser) waitText(t *testing.T, sel, want string) {
	t.Helper()
	b.waitJS(t, fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.offsetParent !== null && e.textContent.includes(%q); })()`, sel, want))
}

// waitURL waits until the location's path and query start with prefix.
func (b *browser) waitURL(t *testing.T, prefix string) {
	t.Helper()
	b.waitJS(t, fmt.Sprintf(`(location.pathname + location.search).startsWith(%q) && document.readyState === "complete"`, prefix))
}

// fill types value into the field sel, replacing what is there.
func (b *browser) fill(sel, value string) chromedp.Action[chromedp.Void] {
	clear := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).value = ""`, sel))(ctx, t)
		return err
	})
	return chromedp.Steps(chromedp.WaitVisible(chromedp.CSS(sel)), clear, chromedp.SendKeys(chromedp.CSS(sel), value))
}

func click(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS(sel)) }
