package report

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/chromedp"
	"github.com/signin-detect/detect/engine/output"
	"github.com/signin-detect/detect/engine/pipeline"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/session"
)

// largeRules and largeAlerts shape the large report: 100k alerts of the FOCI V2 and V1 rules,
// four rule files between them, each alert a pair of its own two sign-in records.
const (
	largeRules  = 4
	largeAlerts = 100_000
)

// largeReport makes the report of largeAlerts alerts: the fixture run's alerts of V2 and V1
// again and again, over 30 days, each time with new source records (copies of the real ones
// with their own time and line), so that the page holds as many distinct records as a real hunt.
func largeReport(tb testing.TB) *Report {
	rules, err := session.Load([]string{"../../rules/foci/v2.yaml", "../../rules/foci/v1.yaml"}, nil, session.Tuning{})
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	batch, err := session.Prepare(rules, session.Config{Now: session.Now{At: now}, Input: session.Input{Files: []string{"../../fixtures/foci/signins.ndjson"}}}, session.Hooks{})
	if err != nil {
		tb.Fatal(err)
	}
	var alerts []output.Alert
	if _, err := batch.Run(func(a output.Alert) error { alerts = append(alerts, a); return nil }); err != nil {
		tb.Fatal(err)
	}
	bySource := map[record.Source]record.Row{}
	for _, rows := range batch.Read.Rows {
		for _, row := range rows {
			bySource[row.Sources[0]] = row
		}
	}
	// four rules: V2 and V1 under two names each
	plans := make([]*pipeline.Plan, largeRules)
	for i := range plans {
		p := *batch.Plans[i%len(batch.Plans)]
		r := *p.Rule
		r.File = fmt.Sprintf("rules/large/rule-%d.yaml", i)
		r.Meta.Name = fmt.Sprintf("%s, copy %d", r.Meta.Name, i)
		p.Rule = &r
		plans[i] = &p
	}
	c := NewCollector(plans, 0)
	input := map[string][]record.Row{}
	start := now.Add(-30 * 24 * time.Hour)
	line := 0
	for n := range largeAlerts {
		a := alerts[n%len(alerts)]
		plan := plans[n%largeRules]
		if a.Rule.File != batch.Plans[n%largeRules%len(batch.Plans)].Rule.File {
			a = alerts[(n+1)%len(alerts)]
		}
		at := start.Add(time.Duration(n) * 30 * 24 * time.Hour / largeAlerts)
		row := record.NewRow(a.Row.Map(), nil)
		for _, s := range a.Row.Sources {
			line++
			src := record.Source{File: "export.ndjson", Line: line}
			values := map[string]any{}
			for k, v := range bySource[s].Map() {
				values[k] = v
			}
			values[pipeline.TimeColumn] = at
			input["AADNonInteractiveUserSignInLogs"] = append(input["AADNonInteractiveUserSignInLogs"], record.NewRow(values, []record.Source{src}))
			row.Sources = append(row.Sources, src)
		}
		ref, columns := session.AlertShape(plan)
		if err := c.Add(output.Alert{Rule: ref, Columns: columns, Row: row}); err != nil {
			tb.Fatal(err)
		}
	}
	return c.Report(Run{Command: "detect hunt", Inputs: []string{"export.ndjson"}, Generated: now}, input)
}

// BenchmarkReportOf100kAlerts writes the page of 100k alerts (at most DefaultMaxAlerts shown per
// rule) and opens it in headless chromium: the page must stay under 50 MB and open in under 5 s of
// the renderer's CPU. The time on the clock is reported too; on a loaded machine it counts the
// time other processes had the CPU.
func BenchmarkReportOf100kAlerts(b *testing.B) {
	rep := largeReport(b)
	file := filepath.Join(b.TempDir(), "large.html")
	b.ResetTimer()
	for b.Loop() {
		f, err := os.Create(file)
		if err != nil {
			b.Fatal(err)
		}
		if err := Write(f, rep); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	b.StopTimer()
	info, err := os.Stat(file)
	if err != nil {
		b.Fatal(err)
	}
	mb := float64(info.Size()) / 1e6
	b.ReportMetric(mb, "MB")
	if mb >= 50 {
		b.Errorf("the page of %d alerts is %.1f MB, want under 50", largeAlerts, mb)
	}
	br := newBrowser(b, false) // the fixture test checks the requests; holding them here would time the checking
	// the renderer's main thread's CPU time (threadTicks) is counted beside the time on the
	// clock: on a machine other processes load, the clock counts their time too
	if _, err := chromedp.Call(br.ctx, performance.Enable, performance.EnableParams{TimeDomain: performance.EnableTimeDomainThreadTicks}); err != nil {
		b.Fatal(err)
	}
	opened := br.open(b, file)
	metrics, err := chromedp.Call(br.ctx, performance.GetMetrics, cdp.Empty{})
	if err != nil {
		b.Fatal(err)
	}
	var busy float64
	for _, m := range metrics.Metrics {
		if m.Name == "TaskDuration" {
			busy = m.Value
		}
	}
	b.ReportMetric(opened.Seconds(), "s-to-open")
	b.ReportMetric(busy, "s-main-thread-cpu")
	if busy >= 5 {
		b.Errorf("the page of %d alerts took %.2f s of the renderer's CPU to open (%s on the clock), want under 5 s", largeAlerts, busy, opened)
	}
	// each rule's table holds its first DefaultMaxAlerts alerts, and draws the first 100
	labels := evalAs[[]string](b, br, `Array.from(document.querySelectorAll("[data-count-of^=alerts]")).map(e => e.textContent)`)
	drawn := evalAs[int](b, br, `document.querySelectorAll("table.alerts tbody tr").length`)
	if len(labels) != largeRules || labels[0] != fmt.Sprint(DefaultMaxAlerts, " rows") || drawn != largeRules*100 {
		b.Errorf("alert tables say %q and draw %d rows, want %d rows each, 100 drawn", labels, drawn, DefaultMaxAlerts)
	}
}
