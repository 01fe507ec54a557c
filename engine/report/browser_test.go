package report

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

var update = flag.Bool("update", false, "write the browser test's screenshot to docs/report.png")

// browser opens pages in Debian's chromium, headless. Without chromium the test is skipped, but
// not under CI (CI=true), where .ci/run installs it.
type browser struct {
	ctx context.Context
	// requests are the URLs the page asked for: each is held (Fetch domain) until the test lets it
	// through (the page's own file) or fails it; dialogs are the JavaScript dialogs it opened.
	mu       sync.Mutex
	requests []string
	dialogs  []string
	allowed  string
	// intercepting tells whether requests are held and checked
	intercepting bool
}

// newBrowser starts chromium; with intercept, every request the page makes is held for the test
// to judge (see open).
func newBrowser(t testing.TB, intercept bool) *browser {
	t.Helper()
	var exe string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			exe = p
			break
		}
	}
	if exe == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed: .ci/run installs it (apt-get install chromium) for the browser test")
		}
		t.Skip("chromium is not installed: install it (apt-get install chromium) to run the report's browser test")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 1400), chromedp.Flag("hide-scrollbars", true))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 120*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	b := &browser{ctx: ctx}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.requests = append(b.requests, ev.Request.URL)
			allowed := ev.Request.URL == b.allowed
			b.mu.Unlock()
			if allowed {
				_, _ = chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
			} else {
				_, _ = chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
			}
		}
	}()
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, ev.Message)
			b.mu.Unlock()
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{})
		}
	}()
	if !intercept {
		return b
	}
	// every request of every kind is held for the test to judge, the page's own file included
	b.intercepting = true
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}}); err != nil {
		t.Fatalf("intercepting requests: %v", err)
	}
	return b
}

// open loads the page in file and returns how long until it had loaded and its script had run.
func (b *browser) open(t testing.TB, file string) time.Duration {
	t.Helper()
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	u := (&url.URL{Scheme: "file", Path: abs}).String()
	b.mu.Lock()
	b.allowed = u
	b.requests = nil
	b.mu.Unlock()
	// a blank page first, so that the time counted is the page's, not the renderer's start
	if err := chromedp.Do(b.ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(u)); err != nil {
		t.Fatalf("opening %s: %v", u, err)
	}
	ready := evalAs[bool](t, b, `document.readyState === "complete" && document.querySelectorAll("[data-count-of]").length > 0 && document.querySelector("[data-count-of]").textContent !== ""`)
	elapsed := time.Since(start)
	if !ready {
		t.Fatal("the page had not finished loading, or its script had not run")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, r := range b.requests {
		if r != u {
			t.Errorf("the page asked for %s: it must make no network request", r)
		}
	}
	if len(b.requests) == 0 && b.intercepting {
		t.Error("no request was seen, not even the page's own: the network check does not work")
	}
	return elapsed
}

func evalAs[T any](t testing.TB, b *browser, js string) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

func TestReportInBrowser(t *testing.T) {
	b := newBrowser(t, true)
	rep, _ := fixtureReport(t, 0)
	file := filepath.Join(t.TempDir(), "report.html")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(f, rep); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b.open(t, file)

	total := 0
	for _, r := range rep.Rules {
		total += r.Alerts
	}
	rows := evalAs[[]int](t, b, `Array.from(document.querySelectorAll("table.alerts")).map(t => t.tBodies[0].rows.length)`)
	if len(rows) != 2 || rows[0] != rep.Rules[0].Alerts || rows[1] != rep.Rules[1].Alerts {
		t.Errorf("alert rows per rule %v, want %d and %d", rows, rep.Rules[0].Alerts, rep.Rules[1].Alerts)
	}
	headline := evalAs[string](t, b, `document.querySelector("h1").textContent`)
	if want := fmt.Sprintf("%d alerts from 2 rules", total); !strings.Contains(headline, want) {
		t.Errorf("headline %q, want %q", headline, want)
	}

	// the timeline: a bar per rule and hour with alerts, together holding every alert
	type barFacts struct{ N, Sum, Rules int }
	bars := evalAs[barFacts](t, b, `(() => { const r = Array.from(document.querySelectorAll("svg.timeline rect.bar"));
		return {N: r.length, Sum: r.reduce((s, e) => s + Number(e.dataset.count), 0), Rules: new Set(r.map(e => e.dataset.rule)).size}; })()`)
	if bars.N != len(rep.Timeline.Bars) || bars.N == 0 || bars.Sum != total || bars.Rules != 2 {
		t.Errorf("timeline: %d bars holding %d alerts of %d rules; want %d bars holding %d of 2", bars.N, bars.Sum, bars.Rules, len(rep.Timeline.Bars), total)
	}

	// filtering by text: the rows that contain it, case aside, stay
	first := rep.Rules[0]
	want := 0
	for _, a := range first.Shown {
		if strings.Contains(strings.ToLower(strings.Join(a.Values, " ")), "azure powershell") {
			want++
		}
	}
	visible := evalAs[int](t, b, `(() => { const i = document.querySelector('input[data-table="alerts-rule-0"]'); i.value = "AZURE PowerShell";
		i.dispatchEvent(new Event("input")); return Array.from(document.querySelectorAll("#alerts-rule-0 tbody tr")).filter(r => !r.hidden).length; })()`)
	label := evalAs[string](t, b, `document.querySelector('[data-count-of="alerts-rule-0"]').textContent`)
	if visible != want || want == 0 || want == first.Alerts || label != fmt.Sprintf("%d of %d rows match", want, first.Alerts) {
		t.Errorf("filter AZURE PowerShell: %d rows visible (%q), want %d of %d", visible, label, want, first.Alerts)
	}

	// sorting by a column of numbers orders them as numbers
	diffs := evalAs[[]float64](t, b, `(() => { const t = document.getElementById("alerts-rule-0"); const h = Array.from(t.tHead.rows[0].cells).find(c => c.textContent === "TimeDiff");
		h.click(); return Array.from(t.tBodies[0].rows).map(r => Number(r.cells[h.cellIndex].textContent)); })()`)
	for i := 1; i < len(diffs); i++ {
		if diffs[i] < diffs[i-1] {
			t.Fatalf("after sorting by TimeDiff: %v", diffs)
		}
	}

	// an entity's link shows the rule's alerts that name it
	ip, named := rep.Entities[0].Value, 0
	for _, a := range first.Shown {
		if strings.Contains(strings.Join(a.Values, " "), ip) {
			named++
		}
	}
	linked := evalAs[int](t, b, `(() => { document.querySelector('#entity-table a.entity-link[href="#rule-0"][data-filter="`+ip+`"]').click();
		return Array.from(document.querySelectorAll("#alerts-rule-0 tbody tr")).filter(r => !r.hidden).length; })()`)
	if linked != named || named == 0 {
		t.Errorf("the link of entity %s shows %d alerts of the rule, want the %d that name it", ip, linked, named)
	}

	// a join alert's two logins side by side
	type sideFacts struct {
		Heads []string
		Rows  int
	}
	side := evalAs[sideFacts](t, b, `(() => { const i = document.querySelector('input[data-table="alerts-rule-0"]'); i.value = ""; i.dispatchEvent(new Event("input"));
		document.querySelector("#alerts-rule-0 button.records").click(); const s = document.querySelector("#alerts-rule-0 tr.detail table.side");
		return {Heads: Array.from(s.rows[0].cells).map(c => c.textContent), Rows: s.rows.length}; })()`)
	if len(side.Heads) != 3 || !strings.HasPrefix(side.Heads[1], "first: ") || !strings.HasPrefix(side.Heads[2], "second: ") || side.Rows < 10 {
		t.Errorf("records side by side: heads %q, %d rows", side.Heads, side.Rows)
	}

	// the hostile UserAgent is text in its cell, ran nothing and loaded nothing
	cells := evalAs[int](t, b, `Array.from(document.querySelectorAll("td")).filter(c => c.textContent === `+"`"+hostileAgent+"`"+`).length`)
	images := evalAs[int](t, b, `document.images.length`)
	if cells == 0 || images != 0 {
		t.Errorf("the hostile UserAgent: %d cells show it as text, %d images in the page", cells, images)
	}
	b.mu.Lock()
	if len(b.dialogs) > 0 {
		t.Errorf("the page opened dialogs %q: a value from the logs ran as script", b.dialogs)
	}
	b.mu.Unlock()

	// the screenshot README shows: the top of the page, the side-by-side view closed
	evalAs[bool](t, b, `document.querySelector("#alerts-rule-0 tr.detail").remove(); window.scrollTo(0, 0); true`)
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(os.TempDir(), "detect-report.png")
	if *update {
		shot = "../../docs/report.png"
	}
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", shot)
}
