package session

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/input"
	"github.com/signin-detect/detect/engine/output"
)

const testRule = `id: 5b0f5a52-8d3c-4f1e-9a57-3c2b1d0e9f8a
name: session test
severity: Low
table: AADNonInteractiveUserSignInLogs
params: {app: Microsoft Teams}
stages:
  - name: lookback
    where: TimeGenerated > ago("1h")
  - where: AppDisplayName == app
  - project: [AppDisplayName, TimeGenerated]
`

// signins are five sign-ins an hour apart up to 12:00, every other one of Teams, and a line that is
// not JSON.
const signins = `{"Type":"AADNonInteractiveUserSignInLogs","TimeGenerated":"2026-11-20T08:00:00Z","AppDisplayName":"Microsoft Teams"}
{"Type":"AADNonInteractiveUserSignInLogs","TimeGenerated":"2026-11-20T09:00:00Z","AppDisplayName":"Microsoft Word"}
{"Type":"AADNonInteractiveUserSignInLogs","TimeGenerated":"2026-11-20T10:00:00Z","AppDisplayName":"Microsoft Teams"}
{"Type":"AADNonInteractiveUserSignInLogs","TimeGenerated":"2026-11-20T11:00:00Z","AppDisplayName":"Microsoft Word"}
{"Type":"AADNonInteractiveUserSignInLogs","TimeGenerated":"2026-11-20T11:30:00Z","AppDisplayName":"Microsoft Teams"}
not json
`

func setup(t *testing.T) (rulePath, logPath string) {
	dir := t.TempDir()
	rulePath, logPath = filepath.Join(dir, "rule.yaml"), filepath.Join(dir, "signins.ndjson")
	if err := os.WriteFile(rulePath, []byte(testRule), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logPath, []byte(signins), 0o644); err != nil {
		t.Fatal(err)
	}
	return rulePath, logPath
}

func collect(t *testing.T, b *Batch) ([]output.Alert, []Result) {
	t.Helper()
	var alerts []output.Alert
	results, err := b.Run(func(a output.Alert) error { alerts = append(alerts, a); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return alerts, results
}

// A batch reads through the read filter (a record no stage can use makes no row, yet is counted and
// moves the newest time), runs, and returns the lookback's drops as a warning: data, with its place,
// saying which --now would look back from the newest record. With a fixed now the lookback is in
// the read filter: it drops the 3 rows the other wheres keep while reading, and still reports them.
func TestBatchRunsThroughTheReadFilterAndReturnsWarnings(t *testing.T) {
	rulePath, logPath := setup(t)
	rules, err := Load([]string{rulePath}, nil, Tuning{})
	if err != nil {
		t.Fatal(err)
	}
	var rejected []input.Rejection
	now := Now{At: time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)}
	b, err := Prepare(rules, Config{Now: now, Input: Input{Files: []string{logPath}}},
		Hooks{Reject: func(r input.Rejection) { rejected = append(rejected, r) }})
	if err != nil {
		t.Fatal(err)
	}
	if b.Read.Records != 5 || len(b.Read.Rows["AADNonInteractiveUserSignInLogs"]) != 0 || len(rejected) != 1 || b.Read.Rejected() != 1 {
		t.Errorf("read %d records, kept %d rows, rejected %v", b.Read.Records, len(b.Read.Rows["AADNonInteractiveUserSignInLogs"]), rejected)
	}
	if !b.Read.Newest.Equal(time.Date(2026, 11, 20, 11, 30, 0, 0, time.UTC)) {
		t.Errorf("newest %v: a record the filter dropped counts too", b.Read.Newest)
	}
	alerts, results := collect(t, b)
	if len(alerts) != 0 || results[0].Alerts != 0 || len(results[0].Warnings) != 1 {
		t.Fatalf("alerts %v, results %+v", alerts, results)
	}
	w := results[0].Warnings[0]
	want := rulePath + ":7:5: the lookback in stage lookback dropped 3 of the 3 rows that reached it as older than its window before now (2026-11-20T14:00:00.0000000Z); the newest record is from 2026-11-20T11:30:00.0000000Z: pass --now latest (or --now 2026-11-20T11:30:00Z) to look back from there"
	if w.Kind != Lookback || w.String() != want {
		t.Errorf("warning %s\nwant    %s", w, want)
	}
}

// With --now latest the plans are compiled again against the newest record read; --set tunes the
// param; a named reader is read as a file is.
func TestLatestNowAndTuning(t *testing.T) {
	rulePath, _ := setup(t)
	rules, err := Load([]string{rulePath}, nil, Tuning{Sets: []string{"app=Microsoft Word"}})
	if err != nil {
		t.Fatal(err)
	}
	in := Input{Extra: []Named{{Name: "inline", Reader: strings.NewReader(signins)}}}
	b, err := Prepare(rules, Config{Now: Now{Latest: true}, Input: in}, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	alerts, results := collect(t, b)
	if !b.Now.Equal(time.Date(2026, 11, 20, 11, 30, 0, 0, time.UTC)) || len(alerts) != 1 ||
		alerts[0].Row.Get("AppDisplayName") != "Microsoft Word" || alerts[0].Row.Sources[0].String() != "inline:4" {
		t.Errorf("now %v, alerts %+v", b.Now, alerts)
	}
	if len(results[0].Warnings) != 1 || !strings.Contains(results[0].Warnings[0].Message, "dropped 1 of the 2 rows") {
		t.Errorf("warnings %v", results[0].Warnings)
	}
	for _, bad := range []Tuning{{Sets: []string{"nosuch=1"}}, {Sets: []string{"app"}}, {Lookups: []string{"nosuch=x.csv"}}} {
		if _, err := Load([]string{rulePath}, nil, bad); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

// Several rules' filters keep each one's selectivity: a record is made a row only when some rule
// can use it, and each rule gets only the rows it can use, even beside a rule that uses every row
// (one without a where, over two tables).
func TestEachRuleGetsOnlyTheRowsItCanReach(t *testing.T) {
	dir := t.TempDir()
	rule := func(name, table, stages string) string {
		path := filepath.Join(dir, name+".yaml")
		text := "id: 5b0f5a52-8d3c-4f1e-9a57-3c2b1d0e9f8" + name[:1] + "\nname: " + name + "\nseverity: Low\ntable: " + table + "\nstages:\n" + stages
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	teams := rule("a-teams", "AADNonInteractiveUserSignInLogs", "  - where: AppDisplayName == \"Microsoft Teams\"\n  - project: [AppDisplayName]\n")
	word := rule("b-word", "AADNonInteractiveUserSignInLogs", "  - where: AppDisplayName == \"Microsoft Word\"\n  - project: [AppDisplayName]\n")
	every := rule("c-every", "[SigninLogs, AADNonInteractiveUserSignInLogs]", "  - project: [AppDisplayName]\n")
	logPath := filepath.Join(dir, "signins.ndjson")
	text := signins + `{"Type":"AADNonInteractiveUserSignInLogs","TimeGenerated":"2026-11-20T11:40:00Z","AppDisplayName":"Outlook"}` + "\n"
	if err := os.WriteFile(logPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		rules []string
		built int
		rows  []int
	}{
		{[]string{teams}, 3, []int{3}},
		{[]string{teams, word}, 5, []int{3, 2}},
		{[]string{teams, word, every}, 6, []int{3, 2, 6}},
	} {
		rules, err := Load(c.rules, nil, Tuning{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := Prepare(rules, Config{Now: Now{Latest: true}, Input: Input{Files: []string{logPath}}}, Hooks{})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(b.Read.Rows["AADNonInteractiveUserSignInLogs"]); got != c.built || b.Read.Records != 6 {
			t.Errorf("%d rules: %d rows made of %d records, want %d", len(c.rules), got, b.Read.Records, c.built)
		}
		_, results := collect(t, b)
		for i, res := range results {
			if got := res.Stats[0].In; got != c.rows[i] {
				t.Errorf("%d rules: %s got %d rows, want %d", len(c.rules), res.Plan.Rule.Meta.Name, got, c.rows[i])
			}
		}
	}
}

// Rules run together (planned and run side by side, the wheres they begin with run once) give, in
// rule order, the alerts and warnings each gives alone: the 8 FOCI rules over their fixture, with a
// fixed now (lookbacks in the read filter) and with --now latest (lookbacks in place).
func TestRulesTogetherGiveWhatEachGivesAlone(t *testing.T) {
	paths, err := filepath.Glob("../../rules/foci/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rulePaths []string
	for _, path := range paths {
		if !strings.HasSuffix(path, ".test.yaml") {
			rulePaths = append(rulePaths, path)
		}
	}
	in := Input{Files: []string{"../../fixtures/foci/signins.ndjson"}}
	run := func(paths []string, now Now) (alerts []string, warnings []string) {
		rules, err := Load(paths, nil, Tuning{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := Prepare(rules, Config{Now: now, Input: in}, Hooks{})
		if err != nil {
			t.Fatal(err)
		}
		got, results := collect(t, b)
		for _, a := range got {
			alerts = append(alerts, a.Rule.File+" "+fmt.Sprint(a.Row.Map(), a.Row.Sources))
		}
		for _, res := range results {
			for _, w := range res.Warnings {
				warnings = append(warnings, w.String())
			}
		}
		return alerts, warnings
	}
	for _, now := range []Now{{Latest: true}, {At: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}} {
		together, togetherWarnings := run(rulePaths, now)
		var alone, aloneWarnings []string
		for _, path := range rulePaths {
			alerts, warnings := run([]string{path}, now)
			alone = append(alone, alerts...)
			aloneWarnings = append(aloneWarnings, warnings...)
		}
		if len(alone) < 100 || len(aloneWarnings) < 8 {
			t.Fatalf("now %v: %d alerts, %d warnings alone: the test tests nothing", now, len(alone), len(aloneWarnings))
		}
		if !slices.Equal(together, alone) {
			t.Errorf("now %v: %d alerts together, %d alone, or in another order", now, len(together), len(alone))
		}
		if !slices.Equal(togetherWarnings, aloneWarnings) {
			t.Errorf("now %v: warnings together\n%s\nalone\n%s", now, strings.Join(togetherWarnings, "\n"), strings.Join(aloneWarnings, "\n"))
		}
	}
}

// A write that fails stops the run: Run returns its error once the plans it started are done,
// having written nothing after it.
func TestAFailedWriteStopsTheRun(t *testing.T) {
	rules, err := Load([]string{"../../rules/foci"}, nil, Tuning{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Prepare(rules, Config{Now: Now{Latest: true}, Input: Input{Files: []string{"../../fixtures/foci/signins.ndjson"}}}, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	failed := fmt.Errorf("disk full")
	writes := 0
	_, err = b.Run(func(output.Alert) error {
		writes++
		if writes == 3 {
			return failed
		}
		return nil
	})
	if err != failed || writes != 3 {
		t.Errorf("Run gave %v after %d writes, want %v after 3", err, writes, failed)
	}
}
