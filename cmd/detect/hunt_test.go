package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/session"
)

const (
	rulesDir  = "../../rules/"
	bofRule   = "../../rules/entra/bof-token-request.yaml"
	auditRule = "../../rules/audit/conditional-access-policy-deleted.yaml"
)

// The fixtures of every shipped rule, for runs that select among them.
var everyFixture = []string{fixture, "../../fixtures/entra", "../../fixtures/audit/la.ndjson"}

func TestHuntStampsEachAlertWithItsFirstWindow(t *testing.T) {
	r := detect(t, "", "hunt", "--rule", v2Rule, "--every", "1h", fixture)
	if r.status != 0 || len(r.alerts) == 0 {
		t.Fatalf("status %d, %d alerts\n%s", r.status, len(r.alerts), r.stderr)
	}
	for _, a := range r.alerts {
		window, err := time.Parse(time.RFC3339Nano, a["_window"].(string))
		if err != nil {
			t.Fatalf("_window: %v", err)
		}
		if window.Truncate(time.Hour) != window {
			t.Errorf("_window %s is not on the hour", window)
		}
		second, _ := time.Parse(time.RFC3339Nano, a["SecondRequestTimeGenerated"].(string))
		// The first evaluation that sees the second login is the hour after it.
		if want := second.Truncate(time.Hour).Add(time.Hour); !window.Equal(want) {
			t.Errorf("alert of a second login at %s first found at %s, want %s", second, window, want)
		}
	}
	if !regexp.MustCompile(`evaluated \d+ times, 2026-11-20T\d\d:00:00.0000000Z to 2026-11-20T12:00:00.0000000Z`).MatchString(r.stderr) {
		t.Errorf("the summary does not say how often the rule was evaluated:\n%s", r.stderr)
	}
	if !regexp.MustCompile(`\d+ alerts found, [1-9]\d* of them again`).MatchString(r.stderr) {
		t.Errorf("over 6h windows every hour, alerts are found again; the summary does not say so:\n%s", r.stderr)
	}
}

func TestHuntRefusesNow(t *testing.T) {
	r := detect(t, "", "hunt", "--rule", v2Rule, "--now", now, fixture)
	if r.status != 1 || !strings.Contains(r.stderr, "--now does not apply") {
		t.Errorf("status %d\n%s", r.status, r.stderr)
	}
}

// _rule carries what a responder triages by, and _time is the newest TimeGenerated of the
// records an alert was made from: for a FOCI pair, the second login's.
func TestAlertsCarryTheRulesTriageFactsAndTheirTime(t *testing.T) {
	r := detect(t, "", "run", "--rule", v2Rule, "--now", now, fixture)
	if len(r.alerts) == 0 {
		t.Fatal(r.stderr)
	}
	for _, a := range r.alerts {
		rule := a["_rule"].(map[string]any)
		if rule["severity"] != "Medium" || len(rule["tactics"].([]any)) != 2 || rule["techniques"].([]any)[0] != "T1651" || rule["file"] != v2Rule {
			t.Errorf("_rule: %v", rule)
		}
		first, _ := time.Parse(time.RFC3339Nano, a["FirstRequestTimeGenerated"].(string))
		second, _ := time.Parse(time.RFC3339Nano, a["SecondRequestTimeGenerated"].(string))
		newest := first
		if second.After(first) {
			newest = second
		}
		if got, _ := time.Parse(time.RFC3339Nano, a["_time"].(string)); !got.Equal(newest) {
			t.Errorf("_time %s, want the newer login's %s", got, newest)
		}
	}
}

func TestMinSeverityAndTagSelectRules(t *testing.T) {
	high := detect(t, "", "run", "--rule", rulesDir, "--now", now, "--min-severity", "High", everyFixture[0], everyFixture[1], everyFixture[2])
	if high.status != 0 {
		t.Fatalf("status %d\n%s", high.status, high.stderr)
	}
	for _, line := range strings.Split(high.stderr, "\n") {
		if strings.HasPrefix(line, "  ") && strings.Contains(line, "alerts") && !strings.Contains(line, ": High: ") {
			t.Errorf("--min-severity High ran a rule below: %s", line)
		}
	}
	if !strings.Contains(high.stderr, "bof-token-request.yaml: High:") {
		t.Errorf("--min-severity High left out a High rule:\n%s", high.stderr)
	}
	// T1550 selects the rule whose technique is T1550.001, and only it.
	tag := detect(t, "", "run", "--rule", rulesDir, "--now", now, "--tag", "T1550", everyFixture[1])
	if !strings.Contains(tag.stderr, "whfb-prt-overlap.yaml: Medium:") || strings.Contains(tag.stderr, "foci") || strings.Contains(tag.stderr, "bof-token") {
		t.Errorf("--tag T1550:\n%s", tag.stderr)
	}
	tactic := detect(t, "", "run", "--rule", rulesDir, "--now", now, "--tag", "initialaccess", everyFixture[1])
	if !strings.Contains(tactic.stderr, "devicecode-risky-user.yaml") || strings.Contains(tactic.stderr, "whfb") {
		t.Errorf("--tag initialaccess:\n%s", tactic.stderr)
	}
	none := detect(t, "", "run", "--rule", v2Rule, "--min-severity", "High", fixture)
	if none.status != 1 || !strings.Contains(none.stderr, "none of the 1 rules has severity High or higher") {
		t.Errorf("no rule selected: status %d\n%s", none.status, none.stderr)
	}
	if bad := detect(t, "", "run", "--rule", v2Rule, "--min-severity", "Severe", fixture); bad.status != 1 || !strings.Contains(bad.stderr, "Informational, Low, Medium, High") {
		t.Errorf("bad severity: status %d\n%s", bad.status, bad.stderr)
	}
}

func TestSummaryListsAlertsByRuleAndSeverity(t *testing.T) {
	r := detect(t, "", "run", "--rule", rulesDir, "--now", now, everyFixture[0], everyFixture[1], everyFixture[2])
	m := regexp.MustCompile(`(?m)^summary: .*, (\d+) alerts \(High (\d+), Medium (\d+), Low (\d+)\)$`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no summary by severity:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "  ../../rules/foci/v2.yaml: Medium: 23 alerts\n") || !strings.Contains(r.stderr, "bof-token-request.yaml: High: ") {
		t.Errorf("the summary does not list each rule with its severity:\n%s", r.stderr)
	}
}

func TestTerminalFormats(t *testing.T) {
	t.Setenv("COLUMNS", "100")
	table := detect(t, "", "run", "--rule", v2Rule, "--now", now, "--format", "table", fixture)
	lines := strings.Split(strings.TrimSpace(table.stdout), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[1], "_time") || !strings.Contains(lines[1], "severity  rule") {
		t.Fatalf("table:\n%s", table.stdout)
	}
	for _, line := range lines {
		if n := len([]rune(line)); n > 100 {
			t.Errorf("a line of %d characters in a 100-column terminal: %s", n, line)
		}
	}
	if !strings.Contains(table.stdout, "…") || strings.Contains(table.stdout, "summary") || !strings.Contains(table.stderr, "summary:") {
		t.Errorf("long values are cut, the summary stays on stderr:\n%s", table.stdout)
	}
	picked := detect(t, "", "run", "--rule", v2Rule, "--now", now, "--format", "table", "--columns", "IPAddress,Identity", fixture)
	if header := strings.Split(picked.stdout, "\n")[1]; strings.Join(strings.Fields(header), " ") != "_time severity rule IPAddress Identity" {
		t.Errorf("--columns IPAddress,Identity: header %q", header)
	}
	list := detect(t, "", "run", "--rule", v2Rule, "--now", now, "--format", "list", fixture)
	blocks := strings.Split(strings.TrimSpace(list.stdout), "\n\n")
	if len(blocks) != 23 {
		t.Fatalf("list: %d blocks for 23 alerts", len(blocks))
	}
	if !strings.Contains(blocks[0], "\nseverity: Medium\n") || !strings.Contains(blocks[0], "\nSessionId: ") || !strings.Contains(blocks[0], "\n_sources: ") {
		t.Errorf("list block:\n%s", blocks[0])
	}
	for _, line := range strings.Split(list.stdout, "\n") {
		if n := len([]rune(line)); n > 100 {
			t.Errorf("list line of %d characters is not wrapped: %s", n, line)
		}
	}
}

// brokenExport is the FOCI fixture with eight lines of malformed JSON in it.
func brokenExport(t *testing.T) string {
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "broken.ndjson")
	first, rest, _ := strings.Cut(string(data), "\n")
	broken := first + "\n" + strings.Repeat("{\"TimeGenerated\": \n", 8) + rest
	if err := os.WriteFile(path, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRejectionsAreGroupedAndQuietPrintsOnlyTheSummary(t *testing.T) {
	path := brokenExport(t)
	r := detect(t, "", "run", "--rule", v2Rule, "--now", now, path)
	if n := strings.Count(r.stderr, ": malformed JSON"); n != 5 {
		t.Errorf("%d malformed JSON lines printed, want 5:\n%s", n, r.stderr)
	}
	if !strings.Contains(r.stderr, path+": ... and 3 more (malformed JSON)\n") {
		t.Errorf("no count of the rest:\n%s", r.stderr)
	}
	q := detect(t, "", "run", "-q", "--rule", v2Rule, "--now", now, path)
	if !strings.HasPrefix(q.stderr, "summary: 1 files, 120 records read, 8 rejected (malformed JSON 8), 23 alerts") {
		t.Errorf("-q:\n%s", q.stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(q.stderr), "\n") {
		if !strings.HasPrefix(line, "summary: ") && !strings.HasPrefix(line, "  ") {
			t.Errorf("-q printed more than the summary: %s", line)
		}
	}
	if len(q.alerts) != 23 {
		t.Errorf("-q: %d alerts, want 23", len(q.alerts))
	}
}

// A Log Analytics export without Type names no table; with rules of two tables, --table says
// which.
func TestTableNamesTheTableOfRecordsWithoutType(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bof.ndjson")
	record := `{"TimeGenerated":"2026-11-20T11:59:00Z","UserAgent":"python ur mum","ResourceIdentity":"797f4846-ba00-4fd7-ba43-dac1f8f63013","ResultType":"0"}` + "\n"
	if err := os.WriteFile(path, []byte(record), 0o644); err != nil {
		t.Fatal(err)
	}
	without := detect(t, "", "run", "--rule", bofRule, "--rule", auditRule, "--now", now, path)
	if without.status != 1 || !strings.Contains(without.stderr, "unknown table") {
		t.Errorf("without --table: status %d\n%s", without.status, without.stderr)
	}
	with := detect(t, "", "run", "--rule", bofRule, "--rule", auditRule, "--now", now, "--table", "AADNonInteractiveUserSignInLogs", path)
	if with.status != 0 || len(with.alerts) != 1 {
		t.Errorf("with --table: status %d, %d alerts\n%s", with.status, len(with.alerts), with.stderr)
	}
}

func TestMissingInputIsAnError(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.ndjson")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{filepath.Join(dir, "typo.ndjson")}, "input " + filepath.Join(dir, "typo.ndjson") + " does not exist"},
		{[]string{"--glob", "PT1H.json", dir}, "--glob PT1H.json matches no file in " + dir},
		{[]string{empty}, "no record was read from the 1 input files (1 rejected)"},
	} {
		for _, cmd := range []string{"run", "hunt"} {
			args := append([]string{cmd, "--rule", v2Rule}, c.args...)
			if r := detect(t, "", args...); r.status != 1 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("%v: status %d, want 1 and %q\n%s", args, r.status, c.want, r.stderr)
			}
		}
	}
}

func TestGlobAcceptsDoubleStar(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"top.json", "y=2026/m=11/PT1H.json", "y=2026/other.json"} {
		full := filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := detect(t, "", "run", "-q", "--rule", v2Rule, "--now", now, "--glob", "**/PT1H.json", dir)
	if !strings.HasPrefix(r.stderr, "summary: 1 files,") {
		t.Errorf("--glob **/PT1H.json read other files:\n%s", r.stderr)
	}
	r = detect(t, "", "run", "-q", "--rule", v2Rule, "--now", now, "--glob", "y=2026/**", dir)
	if !strings.HasPrefix(r.stderr, "summary: 2 files,") {
		t.Errorf("--glob y=2026/**:\n%s", r.stderr)
	}
}

func TestVersionAndHelp(t *testing.T) {
	v := detect(t, "", "--version")
	if v.status != 0 || !strings.HasPrefix(v.stdout, "detect ") {
		t.Errorf("--version: status %d, %q", v.status, v.stdout)
	}
	for _, cmd := range []string{"run", "hunt"} {
		h := detect(t, "", cmd, "--help")
		if h.status != 0 || h.stderr != "" || !strings.Contains(h.stdout, "\n  --rule value\n") || !strings.Contains(h.stdout, "\n  --min-severity string\n") || !strings.Contains(h.stdout, "\n  -q\n") {
			t.Errorf("%s --help: status %d, stderr %q\n%s", cmd, h.status, h.stderr, h.stdout)
		}
	}
	if h := detect(t, "", "hunt", "--help"); !strings.Contains(h.stdout, "--every") {
		t.Errorf("hunt --help has no --every:\n%s", h.stdout)
	}
}

func TestLookbackNoticeNamesHuntWhenTheInputSpansMoreThanTheWindow(t *testing.T) {
	r := detect(t, "", "run", "--rule", v2Rule, "--now", now, fixture)
	if !strings.Contains(r.stderr, "the input spans 06:41:51.0273178, more than the rule's window of 06:00:00: detect hunt evaluates the rule over all of it") {
		t.Errorf("the lookback notice does not name detect hunt:\n%s", r.stderr)
	}
	short := detect(t, "", "run", "--rule", bofRule, "--now", now, "../../fixtures/entra/bof-token-request/signins.ndjson")
	if strings.Contains(short.stderr, "detect hunt") && !strings.Contains(short.stderr, "more than the rule's window") {
		t.Errorf("%s", short.stderr)
	}
}

func TestProgressShowsShareAndTimeLeftWhenTheSizeIsKnown(t *testing.T) {
	var b strings.Builder
	start := time.Now()
	p := &progress{w: &b, on: true, start: start.Add(-2 * time.Second), total: 4 << 20, bytes: 1 << 20, read: &session.Read{Files: 1, Records: 9}}
	p.draw(start)
	if !strings.Contains(b.String(), "reading: 25%, 6s left, ") {
		t.Errorf("progress: %q", b.String())
	}
}
