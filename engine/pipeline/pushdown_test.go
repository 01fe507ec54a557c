package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// pushdownRule joins sign-ins of a session, then filters the pairs on the left row only (through a
// project that renames), on the right row only (through a rename the right side made and a copy an
// extend made; one that keeps the empty right columns of an unmatched leftouter row), and on both;
// a where on a computed column cannot move.
func pushdownRule(kind string) string {
	return `stages:
  - where: IncomingTokenType == "none"
  - join:
      kind: ` + kind + `
      on: [SessionId]
      right:
        stages:
          - where: IncomingTokenType != "none"
          - project-rename: {SecondApp: AppDisplayName}
  - extend:
      Gap: datetime_diff('minute', TimeGenerated1, TimeGenerated)
      Second: SecondApp
  - where: isnull(Gap) or Gap >= 0
  - project:
      - FirstApp: AppDisplayName
      - FirstResult: ResultType
      - Second
      - Gap
      - SessionId
  - where: FirstResult == 0
  - where: Second != "Outlook Mobile"
  - where: FirstApp != Second
`
}

// leftOnlyRule is pushdownRule for the joins that keep only left columns.
const leftOnlyRule = `stages:
  - where: IncomingTokenType == "none"
  - join:
      kind: %s
      on: [SessionId]
      right:
        stages:
          - where: IncomingTokenType != "none"
  - project-rename: {FirstResult: ResultType}
  - where: FirstResult == 0
`

// rightOnlyRule is pushdownRule for the joins that keep only right columns.
const rightOnlyRule = `stages:
  - where: IncomingTokenType == "none"
  - join:
      kind: %s
      on: [SessionId]
      right:
        stages:
          - where: IncomingTokenType != "none"
  - project-rename: {SecondResult: ResultType}
  - where: SecondResult == 0
  - where: AppDisplayName != "Outlook Mobile"
`

func compileAs(t *testing.T, body string, asWritten bool) *Plan {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rule.yaml")
	if err := os.WriteFile(path, []byte(header+body), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := rule.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(r, Options{Now: now, AsWritten: asWritten})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// pushdownRows are sessions of several sign-ins whose first app, result and second app vary, so
// that each of the filters keeps some pairs and drops others, with keys repeated on both sides, and
// a few sessions with no second sign-in.
func pushdownRows() []record.Row {
	apps := []string{"Microsoft Teams", "Microsoft Azure CLI", "Microsoft Azure PowerShell", "Outlook Mobile"}
	tokens := []string{"none", "refreshToken", "none", "primaryRefreshToken", "refreshToken"}
	var rows []record.Row
	start := now.Add(-3 * time.Hour)
	for i := range 240 {
		rows = append(rows, signin(i+1, map[string]any{
			"SessionId":         fmt.Sprintf("s%d", i%17),
			"AppDisplayName":    apps[(i*7)%len(apps)],
			"IncomingTokenType": tokens[(i*3)%len(tokens)],
			"ResultType":        []string{"0", "0", "50126"}[i%3],
			"TimeGenerated":     start.Add(time.Duration(i*37) * time.Second),
		}))
	}
	// Sessions with a first sign-in and nothing after it, for leftouter, fullouter and leftanti.
	for i := range 6 {
		rows = append(rows, signin(300+i, map[string]any{
			"SessionId": fmt.Sprintf("alone%d", i), "AppDisplayName": apps[i%len(apps)], "IncomingTokenType": "none",
			"ResultType": []string{"0", "50126"}[i%2], "TimeGenerated": start.Add(time.Duration(i) * time.Minute),
		}))
	}
	// Sessions with a second sign-in and no first one, for rightouter, fullouter and rightanti.
	for i := range 6 {
		rows = append(rows, signin(320+i, map[string]any{
			"SessionId": fmt.Sprintf("late%d", i), "AppDisplayName": apps[i%len(apps)], "IncomingTokenType": "refreshToken",
			"ResultType": []string{"0", "50126"}[i%2], "TimeGenerated": start.Add(time.Duration(i) * time.Minute),
		}))
	}
	// A session whose only second sign-in every filter on the right drops.
	rows = append(rows,
		signin(310, map[string]any{"SessionId": "outlook", "AppDisplayName": "Microsoft Teams", "IncomingTokenType": "none",
			"ResultType": "0", "TimeGenerated": start}),
		signin(311, map[string]any{"SessionId": "outlook", "AppDisplayName": "Outlook Mobile", "IncomingTokenType": "refreshToken",
			"ResultType": "0", "TimeGenerated": start.Add(time.Minute)}))
	return rows
}

// Moving a where below a join must not change a single row of the result, nor its order, for any
// join kind: as written and as planned give the same rows.
func TestWheresPushedBelowAJoinGiveTheRowsAsWritten(t *testing.T) {
	rows := pushdownRows()
	for _, kind := range []string{"inner", "innerunique", "leftouter", "rightouter", "fullouter"} {
		written := run(t, compileAs(t, pushdownRule(kind), true), rows...)
		pushed := run(t, compileAs(t, pushdownRule(kind), false), rows...)
		if len(written) == 0 {
			t.Fatalf("%s: the rule finds nothing; the test data tests nothing", kind)
		}
		if !reflect.DeepEqual(written, pushed) {
			t.Errorf("%s: pushed down, %d rows; as written, %d", kind, len(pushed), len(written))
		}
	}
	for kind, rule := range map[string]string{"leftsemi": leftOnlyRule, "leftanti": leftOnlyRule, "rightsemi": rightOnlyRule, "rightanti": rightOnlyRule} {
		body := fmt.Sprintf(rule, kind)
		written := run(t, compileAs(t, body, true), rows...)
		pushed := run(t, compileAs(t, body, false), rows...)
		if len(written) == 0 || !reflect.DeepEqual(written, pushed) {
			t.Errorf("%s: pushed down, %d rows; as written, %d", kind, len(pushed), len(written))
		}
	}
}

// Which wheres move, and where to: each side gets the ones that read only its columns, under the
// names they have there, as far as the join kind allows.
func TestWhichWheresArePushedBelowAJoin(t *testing.T) {
	describe := func(cs conditions) []string {
		var out []string
		for _, c := range cs {
			out = append(out, fmt.Sprintf("%s %v", c.prog.Source, c.names))
		}
		return out
	}
	cases := []struct {
		kind        string
		left, right []string
	}{
		{"inner", []string{"FirstResult == 0 map[FirstResult:ResultType]"},
			[]string{`Second != "Outlook Mobile" map[Second:SecondApp]`}},
		// innerunique keeps the first left row of a key before pairing: the left rows stay whole.
		{"innerunique", nil, []string{`Second != "Outlook Mobile" map[Second:SecondApp]`}},
		// leftouter keeps a left row whose partners all go: the right rows stay whole.
		{"leftouter", []string{"FirstResult == 0 map[FirstResult:ResultType]"}, nil},
		// rightouter, the other way round; fullouter keeps both sides' unmatched rows.
		{"rightouter", nil, []string{`Second != "Outlook Mobile" map[Second:SecondApp]`}},
		{"fullouter", nil, nil},
	}
	for _, c := range cases {
		j := compileAs(t, pushdownRule(c.kind), false).Stages[1].op.(*join)
		if got := describe(j.leftFilter); !reflect.DeepEqual(got, c.left) {
			t.Errorf("%s: left side filtered by %q, want %q", c.kind, got, c.left)
		}
		if got := describe(j.rightFilter); !reflect.DeepEqual(got, c.right) {
			t.Errorf("%s: right side filtered by %q, want %q", c.kind, got, c.right)
		}
		if j := compileAs(t, pushdownRule(c.kind), true).Stages[1].op.(*join); len(j.leftFilter)+len(j.rightFilter) > 0 {
			t.Errorf("%s: as written, a where moved", c.kind)
		}
	}
}
