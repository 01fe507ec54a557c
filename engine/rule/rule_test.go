package rule

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const base = `id: 5b0f5a52-8d3c-4f1e-9a57-3c2b1d0e9f8a
name: base
severity: Low
table: AADNonInteractiveUserSignInLogs
params:
  maxTimeDiff: 90
  apps: [a, b]
stages:
  - name: one
    where: AppId == "1"
  - name: pair
    join:
      kind: inner
      on: [SessionId]
      right:
        stages:
          - name: right-one
            where: AppId == "r"
  - name: cols
    project:
      - AppId
      - Renamed: AppDisplayName
`

func stageOrder(stages []*Stage) string {
	var names []string
	for _, s := range stages {
		name := s.Name
		if name == "" {
			name = s.Kind
		}
		if s.Join != nil {
			name += "(" + stageOrder(s.Join.Right) + ")"
		}
		names = append(names, name)
	}
	return strings.Join(names, " ")
}

func TestVariantsStateOnlyTheirDifferences(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "base.yaml", base)
	path := write(t, dir, "variant.yaml", `id: 7c1e6b63-9e4d-4a2f-8b68-4d3c2e1f0a9b
name: variant
extends: base.yaml
params:
  maxTimeDiff: 30
  extra: x
stages:
  - before: one
    name: zero
    where: AppId != ""
  - after: right-one
    name: right-two
    where: AppId != "s"
  - replace: one
    where: AppId == "2"
  - update: cols
    project:
      - Renamed: AppId
      - Added: SessionId
  - remove: right-one
  - name: last
    where: "true"
`)
	v, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := stageOrder(v.Stages); got != "zero one pair(right-two) cols last" {
		t.Errorf("variant stages: %s", got)
	}
	if v.Stages[1].Where.Source != `AppId == "2"` {
		t.Errorf("replaced stage: %s", v.Stages[1].Where.Source)
	}
	var cols []string
	for _, c := range v.Stages[3].Columns {
		cols = append(cols, c.Column+"="+c.Expr.Source)
	}
	if strings.Join(cols, " ") != "AppId=AppId Renamed=AppId Added=SessionId" {
		t.Errorf("updated projection: %v", cols)
	}
	if v.Meta.Name != "variant" || v.Meta.Severity != "Low" || v.Meta.Table != "AADNonInteractiveUserSignInLogs" || v.Base != filepath.Join(dir, "base.yaml") {
		t.Errorf("metadata: %+v", v.Meta)
	}
	params := map[string]any{}
	for _, p := range v.Params {
		params[p.Name] = p.Value
	}
	if params["maxTimeDiff"] != int64(30) || params["extra"] != "x" || len(params["apps"].([]any)) != 2 {
		t.Errorf("params: %v", params)
	}
	// The base is unchanged by its variant.
	b, err := Load(filepath.Join(dir, "base.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := stageOrder(b.Stages); got != "one pair(right-one) cols" {
		t.Errorf("base stages: %s", got)
	}
}

func TestEveryMistakeIsReportedAtItsPlace(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "base.yaml", base)
	broken := write(t, dir, "broken.yaml", `id: not-a-guid
name: broken
severity: Severe
tactics: [Execution, Hacking]
relevantTechniques: [T1651, X1]
queryPeriod: 6 hours
colour: blue
params:
  maxTimeDiff: [1, {a: b}]
stages:
  - name: one
    where: AppId == "1"
    extend:
      X: "1"
  - name: one
    filter: AppId == "x"
  - join:
      kind: cross
      on: [SessionId]
  - name: one
    where: AppId == "2"
`)
	_, err := Load(broken)
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{
		"broken.yaml:1:1: missing required key \"table\"",
		"broken.yaml:1:5: id must be a GUID",
		"broken.yaml:3:11: severity must be one of Informational, Low, Medium, High",
		"broken.yaml:4:22: unknown tactic \"Hacking\"",
		"broken.yaml:5:29: relevantTechniques: \"X1\" is not a MITRE technique id",
		"broken.yaml:6:14: queryPeriod: not a timespan",
		"broken.yaml:7:1: rule: unknown key \"colour\"",
		"broken.yaml:9:20: param maxTimeDiff: a list param holds single values, not a mapping",
		"broken.yaml:13:5: a stage has one kind; this one has both where and extend",
		"broken.yaml:20:5: stage name \"one\" is already used at",
		"broken.yaml:16:5: unknown stage kind \"filter\"",
		"broken.yaml:18:13: join kind \"cross\" is not supported",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%s", want, err)
		}
	}

	variant := write(t, dir, "variant.yaml", `id: 7c1e6b63-9e4d-4a2f-8b68-4d3c2e1f0a9b
name: variant
extends: base.yaml
params:
  maxTimeDiff: ninety
stages:
  - replace: nope
    where: "true"
  - update: one
    where: "true"
  - remove: cols
    where: "true"
`)
	_, err = Load(variant)
	for _, want := range []string{
		"variant.yaml:5:3: param maxTimeDiff is a whole number in the base rule",
		"variant.yaml:7:5: replace \"nope\": the base rule has no stage of that name (its stages: one, pair, right-one, cols)",
		"variant.yaml:9:5: update \"one\": update changes columns of a project, extend or project-rename; use replace for a where",
		"variant.yaml:11:5: remove takes only the name of the stage to remove",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}

	missing := write(t, dir, "orphan.yaml", "id: 7c1e6b63-9e4d-4a2f-8b68-4d3c2e1f0a9b\nname: orphan\nextends: gone.yaml\n")
	if _, err := Load(missing); err == nil || !strings.Contains(err.Error(), "orphan.yaml:3:10: base rule "+filepath.Join(dir, "gone.yaml")+": no such file") {
		t.Errorf("missing base: %v", err)
	}
	loop := write(t, dir, "loop-a.yaml", "id: 7c1e6b63-9e4d-4a2f-8b68-4d3c2e1f0a9b\nname: a\nextends: loop-b.yaml\n")
	write(t, dir, "loop-b.yaml", "id: 7c1e6b63-9e4d-4a2f-8b68-4d3c2e1f0a9c\nname: b\nextends: loop-a.yaml\n")
	if _, err := Load(loop); err == nil || !strings.Contains(err.Error(), "makes a loop of variants") {
		t.Errorf("loop: %v", err)
	}
	bad := write(t, dir, "bad.yaml", "id: x\n  name: [\n")
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "bad.yaml:2:1: YAML:") {
		t.Errorf("YAML syntax: %v", err)
	}
}

func TestExpressionPlacesMapIntoTheFile(t *testing.T) {
	dir := t.TempDir()
	path := write(t, dir, "r.yaml", `id: 5b0f5a52-8d3c-4f1e-9a57-3c2b1d0e9f8a
name: r
severity: Low
table: AADNonInteractiveUserSignInLogs
stages:
  - where: AppId == "1"
  - where: "AppId == '1'"
  - where: |
      AppId == "1"
        and SessionId != ""
  - where: >-
      AppId == "1"
      and SessionId != ""
  - where: AppId == "1"
      and SessionId != ""
`)
	r, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		stage, line, col int
		want             string
	}{
		{0, 1, 9, "r.yaml:6:21"},   // plain: the expression starts at column 12
		{1, 1, 9, "r.yaml:7:22"},   // quoted: one more for the quote
		{2, 2, 6, "r.yaml:10:13"},  // literal block: second line, indented 6
		{3, 1, 17, "r.yaml:13:11"}, // folded: "and SessionId" begins the second file line
		{4, 1, 17, "r.yaml:15:11"}, // plain over two lines
	}
	for _, c := range cases {
		if got := r.Stages[c.stage].Where.At(c.line, c.col).String(); !strings.HasSuffix(got, c.want) {
			t.Errorf("stage %d, %d:%d -> %s, want %s", c.stage, c.line, c.col, got, c.want)
		}
	}
}

func TestLookupsReadOneColumnOfACSV(t *testing.T) {
	dir := t.TempDir()
	upstream := write(t, dir, "upstream.csv", "client_id,application_name\r\n00b41c95-dab0-4487-9791-b9d2c32c80f2,Office 365 Management\r\n04b07795-8ddb-461a-bbee-02f9e1bf7b46,Microsoft Azure CLI")
	got, err := ReadLookup(upstream, "client_id")
	if err != nil || len(got) != 2 || got[1] != "04b07795-8ddb-461a-bbee-02f9e1bf7b46" {
		t.Errorf("upstream CSV: %v %v", got, err)
	}
	commented := write(t, dir, "ours.csv", "\ufeff# source: research\n\nid,name\n# a comment\nx,\"Name, with comma\"\n")
	if got, err := ReadLookup(commented, "name"); err != nil || len(got) != 1 || got[0] != "Name, with comma" {
		t.Errorf("commented CSV: %v %v", got, err)
	}
	if _, err := ReadLookup(upstream, "clientid"); err == nil || !strings.Contains(err.Error(), `has no column "clientid" in its header row (of 2 columns)`) {
		t.Errorf("missing column: %v", err)
	}
	if _, err := ReadLookup(filepath.Join(dir, "none.csv"), "x"); err == nil {
		t.Error("missing file")
	}
}

func TestSetParamReadsTheParamsType(t *testing.T) {
	dir := t.TempDir()
	r, err := Load(write(t, dir, "base.yaml", base))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetParam("maxTimeDiff", "45"); err != nil || r.Params[0].Value != int64(45) {
		t.Errorf("int: %v %v", r.Params[0].Value, err)
	}
	if err := r.SetParam("apps", "x, y,z"); err != nil || len(r.Params[1].Value.([]any)) != 3 {
		t.Errorf("list: %v %v", r.Params[1].Value, err)
	}
	if err := r.SetParam("maxTimeDiff", "soon"); err == nil {
		t.Error("a bad number must fail")
	}
	if err := r.SetParam("nope", "1"); err == nil {
		t.Error("an unknown param must fail")
	}
}

func TestLoadPathsFindsRulesInFolders(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "base.yaml", base)
	write(t, dir, "base.test.yaml", "cases: []\n")
	write(t, dir, "notes.txt", "not a rule")
	rules, err := LoadPaths([]string{dir})
	if err != nil || len(rules) != 1 {
		t.Fatalf("rules %d, %v", len(rules), err)
	}
	if _, err := LoadPaths([]string{filepath.Join(dir, "nope")}); err == nil {
		t.Error("a missing path must fail")
	}
}
