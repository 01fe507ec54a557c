package main

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const (
	shapesDir     = "../../fixtures/shapes"
	garbageDir    = "../../fixtures/garbage"
	auditDir      = "../../fixtures/audit"
	fociRules     = "../../rules/foci/"
	signinLogRule = shapesDir + "/signinlogs-rule.yaml"
	shapesNow     = "2026-11-20T12:00:00Z"
)

func TestFixturesAreUpToDate(t *testing.T) {
	for dir, files := range map[string]map[string][]byte{shapesDir: renderShapes(), garbageDir: renderGarbage(), auditDir: renderAudit()} {
		for name, want := range files {
			path := filepath.Join(dir, name)
			if *update {
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s is not what cmd/detect/fixtures_render_test.go renders (%v): run make fixtures", path, err)
			}
		}
	}
}

// The alerts each rule raises on the fixture set, worked out by hand in fixtures/shapes/README.md.
var shapeAlerts = map[string]int{
	"v2.yaml": 4, "v2-second-result.yaml": 4, "v1.yaml": 3, "v1-window.yaml": 3, "v1-ga-scope.yaml": 3,
	"v2-ga-scope.yaml": 3, "v1-ga-noncompliant.yaml": 2, "v2-ga-noncompliant.yaml": 2, "signinlogs-rule.yaml": 2,
}

// alertsByRule counts a run's alerts by the base name of their rule file.
func alertsByRule(r result) map[string]int {
	counts := map[string]int{}
	for name := range shapeAlerts {
		counts[name] = 0
	}
	for _, a := range r.alerts {
		counts[filepath.Base(a["_rule"].(map[string]any)["file"].(string))]++
	}
	return counts
}

func TestEveryShapeGivesTheSameAlerts(t *testing.T) {
	run := func(file string) result {
		return detect(t, "", "run", "--rule", fociRules, "--rule", signinLogRule, "--now", shapesNow, file)
	}
	ref := run(filepath.Join(shapesDir, "la.ndjson"))
	if ref.status != 0 || !strings.Contains(ref.stderr, ", 0 rejected, 26 alerts") {
		t.Fatalf("la.ndjson: status %d\n%s", ref.status, ref.stderr)
	}
	for name, n := range alertsByRule(ref) {
		if n != shapeAlerts[name] {
			t.Errorf("%s raised %d alerts, want %d", name, n, shapeAlerts[name])
		}
	}
	// Gina's interactive Teams sign-in must not reach the non-interactive rules: it would pair with
	// her Azure CLI refresh token. It is one of the two sign-ins the SigninLogs rule sees.
	gina := guid("session g")
	for _, a := range ref.alerts {
		rule := filepath.Base(a["_rule"].(map[string]any)["file"].(string))
		if rule != "signinlogs-rule.yaml" && a["SessionId"] == gina {
			t.Errorf("%s alerted on the interactive sign-in", rule)
		}
		if rule == "signinlogs-rule.yaml" && a["UserPrincipalName"] == gina {
			t.Errorf("the SigninLogs rule saw a non-interactive sign-in")
		}
	}
	want := withoutSources(ref.alerts)
	names := sortedNames(renderShapes())
	if len(names) != 27 {
		t.Fatalf("%d shape files, want 9 shapes, plain, gzip and zstd", len(names))
	}
	for _, name := range names {
		got := run(filepath.Join(shapesDir, name))
		if got.status != 0 || !strings.Contains(got.stderr, "summary: 1 files, 19 records read, 0 rejected, 26 alerts") {
			t.Errorf("%s: status %d\n%s", name, got.status, got.stderr)
			continue
		}
		if withoutSources(got.alerts) != want {
			t.Errorf("%s gives other alerts than la.ndjson:\n%s\nwant:\n%s", name, withoutSources(got.alerts), want)
		}
	}
}

func sortedNames(files map[string][]byte) []string {
	var names []string
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// A rule set reading one table takes the records that do not say their table as its own, and
// counts the other table's records without reading them.
func TestRecordsOfOtherTablesAreCounted(t *testing.T) {
	r := detect(t, "", "run", "--rule", fociRules+"v2.yaml", "--now", shapesNow, filepath.Join(shapesDir, "graph-pages.json.zst"))
	if r.status != 0 || len(r.alerts) != 4 || !strings.Contains(r.stderr, "summary: 1 files, 19 records read (2 of tables no rule reads: SigninLogs 2), 0 rejected, 4 alerts") {
		t.Errorf("status %d, %d alerts\n%s", r.status, len(r.alerts), r.stderr)
	}
}

func TestGarbageIsReportedAndTheValidRowsGiveTheSameAlerts(t *testing.T) {
	files := []string{"mixed.ndjson", "long-line.ndjson.gz", "truncated.ndjson.gz", "empty.ndjson"}
	var args []string
	for _, f := range files {
		args = append(args, filepath.Join(garbageDir, f))
	}
	// A file without read permission, unless running as root reads it anyway.
	unreadable := filepath.Join(t.TempDir(), "unreadable.ndjson")
	if err := os.WriteFile(unreadable, []byte(`{"AppId":"x"}`+"\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	canRead := false
	if f, err := os.Open(unreadable); err == nil {
		canRead = true
		f.Close()
	} else {
		args = append(args, unreadable)
	}
	want := []string{
		garbageDir + "/mixed.ndjson:3: malformed JSON: the line ends inside a JSON string",
		garbageDir + "/mixed.ndjson:5: wrong type: IsInteractive: want true or false, got \"maybe\"",
		garbageDir + "/mixed.ndjson:7: wrong type: TimeGenerated: not an ISO 8601 datetime: \"20/11/2026 08:30\"",
		garbageDir + "/mixed.ndjson:11: not a JSON object: \"\\\"a string, not a record\\\"\"",
		garbageDir + "/long-line.ndjson.gz:2: malformed JSON: the line ends inside a JSON string",
		garbageDir + "/truncated.ndjson.gz:3: corrupt compressed data: gzip: unexpected EOF; the file breaks off here, the records before were read",
		garbageDir + "/empty.ndjson: empty file",
	}
	summary := "summary: 4 files, 19 records read, 7 rejected (corrupt compressed data 1, empty file 1, malformed JSON 2, not a JSON object 1, wrong type 2), 26 alerts"
	if !canRead {
		want = append(want, unreadable+": unreadable file: permission denied")
		summary = "summary: 4 files, 19 records read, 8 rejected (corrupt compressed data 1, empty file 1, malformed JSON 2, not a JSON object 1, unreadable file 1, wrong type 2), 26 alerts"
	} else {
		t.Log("running as root: the unreadable file case is skipped")
	}
	base := []string{"run", "--rule", fociRules, "--rule", signinLogRule, "--now", shapesNow}
	got := detect(t, "", append(base, args...)...)
	var reported []string
	for _, line := range strings.Split(got.stderr, "\n") {
		if strings.HasPrefix(line, garbageDir) || strings.HasPrefix(line, unreadable) {
			reported = append(reported, line)
		}
	}
	if strings.Join(reported, "\n") != strings.Join(want, "\n") {
		t.Errorf("reported:\n%s\nwant:\n%s", strings.Join(reported, "\n"), strings.Join(want, "\n"))
	}
	if got.status != 0 || !strings.Contains(got.stderr, summary) {
		t.Errorf("status %d, want 0 and %s\n%s", got.status, summary, got.stderr)
	}
	clean := detect(t, "", append(base, filepath.Join(shapesDir, "la.ndjson"))...)
	if withoutSources(got.alerts) != withoutSources(clean.alerts) {
		t.Errorf("the valid rows among the garbage give other alerts than they do alone")
	}
	if strict := detect(t, "", append(append(base, "--strict"), args...)...); strict.status != 2 || len(strict.alerts) != len(clean.alerts) {
		t.Errorf("--strict: status %d, %d alerts", strict.status, len(strict.alerts))
	}
	if strict := detect(t, "", append(append(base, "--strict"), filepath.Join(shapesDir, "la.ndjson"))...); strict.status != 0 {
		t.Errorf("--strict without rejections: status %d", strict.status)
	}
}

// A folder is searched recursively; --glob picks the files; hidden files are left out.
func TestFoldersAndGlob(t *testing.T) {
	dir := t.TempDir()
	blob := filepath.Join(dir, "insights-logs-noninteractiveusersigninlogs", "y=2026", "m=11", "d=20", "h=08", "PT1H.json")
	if err := os.MkdirAll(filepath.Dir(blob), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(shapesDir, "diag-PT1H.json"))
	if err != nil {
		t.Fatal(err)
	}
	for path, text := range map[string][]byte{blob: data, filepath.Join(dir, "notes.txt"): []byte("not a log\n"), filepath.Join(dir, ".hidden.json"): []byte("{")} {
		if err := os.WriteFile(path, text, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := []string{"run", "--rule", fociRules + "v2.yaml", "--now", shapesNow}
	picked := detect(t, "", append(base, "--glob", "PT1H.json", dir)...)
	if picked.status != 0 || len(picked.alerts) != 4 || !strings.Contains(picked.stderr, "summary: 1 files, 19 records read") {
		t.Errorf("--glob PT1H.json: status %d, %d alerts\n%s", picked.status, len(picked.alerts), picked.stderr)
	}
	all := detect(t, "", append(base, dir)...)
	if !strings.Contains(all.stderr, "summary: 2 files") || !strings.Contains(all.stderr, "notes.txt:1: unknown file shape") || strings.Contains(all.stderr, ".hidden") {
		t.Errorf("without --glob:\n%s", all.stderr)
	}
	if bad := detect(t, "", append(base, "--glob", "[", dir)...); bad.status != 1 || !strings.Contains(bad.stderr, "--glob [") {
		t.Errorf("a bad glob: %d %s", bad.status, bad.stderr)
	}
}

func TestInputFormatOverridesTheSniffing(t *testing.T) {
	base := []string{"run", "--rule", fociRules + "v2.yaml", "--now", shapesNow}
	diag := filepath.Join(shapesDir, "diag-PT1H.json")
	if r := detect(t, "", append(base, "--input-format", "diagnostic", diag)...); r.status != 0 || len(r.alerts) != 4 {
		t.Errorf("diagnostic: status %d, %d alerts\n%s", r.status, len(r.alerts), r.stderr)
	}
	// Read as Log Analytics rows, the diagnostic records say no Type: taken as the rule's table,
	// they have no columns the rule can use, and nothing alerts.
	if r := detect(t, "", append(base, "--input-format", "loganalytics", diag)...); r.status != 0 || len(r.alerts) != 0 {
		t.Errorf("loganalytics: status %d, %d alerts\n%s", r.status, len(r.alerts), r.stderr)
	}
	if r := detect(t, "", append(base, "--input-format", "xml", diag)...); r.status != 1 || !strings.Contains(r.stderr, `unknown input format "xml"`) {
		t.Errorf("xml: %d %s", r.status, r.stderr)
	}
}
