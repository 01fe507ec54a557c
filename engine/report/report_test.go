package report

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/output"
	"github.com/signin-detect/detect/engine/session"
)

// hostileAgent is a UserAgent an attacker chose: the page must show it as text and run nothing.
const hostileAgent = `<script>alert(1)</script><img src=x onerror=alert(2)>`

// fixtureInput is the FOCI fixture with the first login of the pairs on its line 22 sent with
// hostileAgent.
func fixtureInput(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../fixtures/foci/signins.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	if !strings.Contains(lines[21], `"UserAgent":"Mozilla/5.0 (Windows NT 10.0`) {
		t.Fatal("line 22 of the FOCI fixture is no longer the first login of a pair")
	}
	lines[21] = regexp.MustCompile(`"UserAgent":"[^"]*"`).ReplaceAllString(lines[21], `"UserAgent":"`+strings.ReplaceAll(hostileAgent, `<`, `\u003c`)+`"`)
	path := filepath.Join(t.TempDir(), "signins.ndjson")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// fixtureReport runs the FOCI V1 and V2 rules over the fixture at its now, as detect run does,
// and makes their report showing at most maxAlerts alerts of each.
func fixtureReport(t *testing.T, maxAlerts int) (*Report, []session.Result) {
	t.Helper()
	rules, err := session.Load([]string{"../../rules/foci/v2.yaml", "../../rules/foci/v1.yaml"}, nil, session.Tuning{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	input := fixtureInput(t)
	batch, err := session.Prepare(rules, session.Config{Now: session.Now{At: now}, Input: session.Input{Files: []string{input}}}, session.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	c := NewCollector(batch.Plans, maxAlerts)
	results, err := batch.Run(c.Add)
	if err != nil {
		t.Fatal(err)
	}
	run := Run{Command: "detect run", Inputs: []string{input}, Now: now, Files: batch.Read.Files, Records: batch.Read.Records,
		Rejected: batch.Read.Rejections, Generated: now}
	return c.Report(run, batch.Read.Rows), results
}

func render(t *testing.T, rep *Report) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, rep); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestReportCountsEveryAlertAndShowsAtMostMax(t *testing.T) {
	rep, results := fixtureReport(t, 5)
	for i, r := range rep.Rules {
		if r.Alerts != results[i].Alerts || r.Alerts <= 5 {
			t.Fatalf("%s: %d alerts counted, the run wrote %d (the fixture should give more than 5)", r.File, r.Alerts, results[i].Alerts)
		}
		if len(r.Shown) != 5 || r.LeftOut() != r.Alerts-5 {
			t.Errorf("%s: %d shown, %d left out of %d", r.File, len(r.Shown), r.LeftOut(), r.Alerts)
		}
	}
	page := render(t, rep)
	first := rep.Rules[0]
	want := "The first 5 of " + itoa(first.Alerts) + " alerts are shown; " + itoa(first.Alerts-5) + " are left out"
	if !strings.Contains(page, want) {
		t.Errorf("the page does not say %q", want)
	}
	for i, rows := range newPageData(rep).Alerts {
		if len(rows) != 5 {
			t.Errorf("rule %d: %d alert rows in the page's data, want 5", i, len(rows))
		}
	}
	bars := 0
	for _, b := range rep.Timeline.Bars {
		bars += b.Count
	}
	if total := rep.Rules[0].Alerts + rep.Rules[1].Alerts; bars != total {
		t.Errorf("the timeline's bars hold %d alerts, the rules %d: it should count those left out too", bars, total)
	}
}

func TestReportAlertTimeIsTheNewestOfItsSourceRecords(t *testing.T) {
	rep, _ := fixtureReport(t, 0)
	// the rules of a run come in file order: V1 first
	first := rep.Rules[0]
	second := -1
	for i, c := range first.Columns {
		if c == "SecondRequestTimeGenerated" {
			second = i
		}
	}
	for _, a := range first.Shown {
		// each FOCI rule pairs a first login with a later second one: the alert is as new as the second
		if got := a.Time.Format("2006-01-02T15:04:05.0000000Z"); got != a.Values[second] {
			t.Fatalf("alert time %s, want its second login's %s", got, a.Values[second])
		}
		if len(a.Sources) != 2 {
			t.Fatalf("a FOCI alert has %d sources, want its two logins", len(a.Sources))
		}
		for _, s := range a.Sources {
			if len(rep.Records.Record(s)) == 0 {
				t.Fatalf("the source record %s of a join alert is not kept for the side-by-side view", s)
			}
		}
	}
}

func TestReportEscapesValuesFromTheLogs(t *testing.T) {
	rep, _ := fixtureReport(t, 0)
	page := render(t, rep)
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") {
		t.Fatal("a UserAgent from the logs reached the page as markup")
	}
	// the alerts and their source records travel as JSON in a script element, where < is
	// written \u003c, so that no value can end the element
	if !strings.Contains(page, `"\u003cscript\u003ealert(1)\u003c/script\u003e\u003cimg src=x onerror=alert(2)\u003e"`) {
		t.Error("the hostile UserAgent is not in the page's JSON data as one escaped string")
	}
	if n := strings.Count(page, "<script"); n != 2 {
		t.Errorf("%d script elements, want the page's 2 (records JSON and code)", n)
	}
}

func TestReportEntities(t *testing.T) {
	rep, _ := fixtureReport(t, 0)
	// V1 and V2 project IPAddress, a well-known column; neither has entity mappings
	var ip *Entity
	for _, e := range rep.Entities {
		if e.Type == "IP" && e.Value == "203.0.113.25" {
			ip = e
		}
	}
	if ip == nil {
		t.Fatalf("no IP entity 203.0.113.25 among %d entities", len(rep.Entities))
	}
	alerts := 0
	for _, r := range rep.Rules {
		for i, c := range r.Columns {
			if c != "IPAddress" {
				continue
			}
			for _, a := range r.Shown {
				if a.Values[i] == ip.Value {
					alerts++
				}
			}
		}
	}
	if ip.Alerts != alerts || len(ip.Rules) != 2 || ip.First.IsZero() || ip.Last.Before(ip.First) {
		t.Errorf("IP entity: %d alerts (want %d), %d rules, %s to %s", ip.Alerts, alerts, len(ip.Rules), ip.First, ip.Last)
	}
}

func TestEntityMappingsNameEntitiesByTheirBestIdentifier(t *testing.T) {
	r := &Rule{Columns: []string{"UserPrincipalName", "Name", "Suffix", "SourceIP"}, Mappings: []output.EntityMapping{
		{Type: "Account", Fields: []output.EntityField{{Identifier: "Name", Column: "Name"}, {Identifier: "FullName", Column: "UserPrincipalName"}}},
		{Type: "IP", Fields: []output.EntityField{{Identifier: "Address", Column: "SourceIP"}}},
		{Type: "Host", Fields: []output.EntityField{{Identifier: "HostName", Column: "NotProjected"}}},
	}}
	got := r.entities(map[string]any{"UserPrincipalName": "ana@contoso.example", "Name": "ana", "SourceIP": "198.51.100.7", "NotProjected": "pc-1"})
	want := []EntityRef{{"Account", "ana@contoso.example"}, {"IP", "198.51.100.7"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("entities %v, want %v", got, want)
	}
	for col, typ := range map[string]string{"UserPrincipalName": "Account", "AccountCustomEntity": "Account", "AccountUPNSuffix": "",
		"IPAddress": "IP", "ClientIpAddress": "IP", "DeviceName": "Host", "HostCustomEntity": "Host", "Identity": ""} {
		if got := wellKnownEntity(col); got != typ {
			t.Errorf("column %s holds %q entities, want %q", col, got, typ)
		}
	}
}

func TestTimelineBuckets(t *testing.T) {
	rules := []*Rule{{Name: "a"}, {Name: "b", index: 1}}
	at := time.Date(2026, 11, 20, 9, 10, 0, 0, time.UTC)
	tl := newTimeline(rules, []ruleTime{{0, at}, {1, at.Add(20 * time.Minute)}, {0, at.Add(3 * time.Hour)}, {0, time.Time{}}})
	if tl.Unit != "hour" || tl.Buckets != 4 || tl.Peak != 2 || tl.Untimed != 1 || len(tl.Bars) != 3 {
		t.Fatalf("timeline %+v", tl)
	}
	if tl.Bars[0].H+tl.Bars[1].H != plotBottom-plotTop || tl.Bars[1].Y+tl.Bars[1].H != tl.Bars[0].Y {
		t.Errorf("the peak hour's two bars do not stack to the full height: %+v", tl.Bars[:2])
	}
	long := newTimeline(rules, []ruleTime{{0, at}, {0, at.Add(10 * 24 * time.Hour)}})
	if long.Unit != "day" || long.Buckets != 11 {
		t.Errorf("over 10 days: %d buckets of a %s, want 11 days", long.Buckets, long.Unit)
	}
}

// Rule metadata, file names and entity values land in the page's text and attributes: each is
// escaped for where it lands.
func TestReportEscapesEveryContext(t *testing.T) {
	hostile := `"><script>alert(3)</script><b onmouseover="x">`
	r := &Rule{Name: hostile, File: hostile, Severity: hostile, Description: hostile, Tactics: []string{hostile},
		Columns: []string{hostile}, Warnings: []string{hostile}, Color: ruleColors[0], Alerts: 1,
		Shown: []*Alert{{Values: []string{hostile}, Sources: []string{hostile}}}}
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	rep := &Report{Run: Run{Command: "detect run", Inputs: []string{hostile}, Rejected: map[string]int{hostile: 1}, Files: 1},
		Rules: []*Rule{r}, Records: newRecords(), MaxAlerts: DefaultMaxAlerts,
		Entities: []*Entity{{EntityRef: EntityRef{Type: hostile, Value: hostile}, Alerts: 1, Rules: []*Rule{r}, First: at, Last: at}}}
	rep.Timeline = newTimeline(rep.Rules, []ruleTime{{0, at}})
	page := render(t, rep)
	for _, raw := range []string{"<script>alert(3)", `<b onmouseover`} {
		if strings.Contains(page, raw) {
			i := strings.Index(page, raw)
			t.Errorf("%q reached the page unescaped: ...%s...", raw, page[max(0, i-80):i+40])
		}
	}
	if !strings.Contains(page, `data-filter="&#34;&gt;&lt;script&gt;alert(3)&lt;/script&gt;&lt;b onmouseover=&#34;x&#34;&gt;"`) {
		t.Error("the entity's link does not carry its value, escaped for the attribute")
	}
}
