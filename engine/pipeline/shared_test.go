package pipeline

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/signin-detect/detect/engine/record"
)

// sharingRules begin alike in ways a shared start must tell apart: the same wheres then different
// ones; the same where text over a param of another value (not the same where); a let; a join
// whose right side starts from a stage among the shared wheres, and one from the pipeline's start.
var sharingRules = map[string]string{
	"teams-then-none": `table: AADNonInteractiveUserSignInLogs
params: {apps: [Microsoft Teams]}
stages:
  - name: home
    where: HomeTenantId == ResourceTenantId
  - name: app
    where: AppDisplayName in apps
  - where: IncomingTokenType == "none"
  - project: [AppDisplayName, IncomingTokenType, SessionId]
`,
	"teams-then-refresh": `table: AADNonInteractiveUserSignInLogs
params: {apps: [Microsoft Teams]}
stages:
  - name: home
    where: HomeTenantId == ResourceTenantId
  - name: app
    where: AppDisplayName in apps
  - where: IncomingTokenType == "refreshToken"
  - project: [AppDisplayName, IncomingTokenType, SessionId]
`,
	"cli-then-none": `table: AADNonInteractiveUserSignInLogs
params: {apps: [Microsoft Azure CLI]}
stages:
  - name: home
    where: HomeTenantId == ResourceTenantId
  - name: app
    where: AppDisplayName in apps
  - where: IncomingTokenType == "none"
  - project: [AppDisplayName, IncomingTokenType, SessionId]
`,
	"with-a-let": `table: AADNonInteractiveUserSignInLogs
let:
  failed:
    table: AADNonInteractiveUserSignInLogs
    stages:
      - where: HomeTenantId == ResourceTenantId
      - where: ResultType != "0"
      - summarize:
          aggregates: [Failures: count()]
          by: [SessionId]
stages:
  - name: home
    where: HomeTenantId == ResourceTenantId
  - join:
      kind: inner
      on: [SessionId]
      right:
        from: failed
  - project: [SessionId, Failures, AppDisplayName]
`,
	"join-from-the-start": `table: AADNonInteractiveUserSignInLogs
params: {apps: [Microsoft Teams]}
stages:
  - name: home
    where: HomeTenantId == ResourceTenantId
  - name: app
    where: AppDisplayName in apps
  - join:
      kind: inner
      on: [SessionId]
      right:
        stages:
          - where: IncomingTokenType != "none"
  - project: [SessionId, AppDisplayName, AppDisplayName1]
`,
}

// Plans that begin with the same wheres run them once (ShareStarts), yet each gives, from its own
// rows, the rows and the statistics it gives run alone: the shipped FOCI rules (which share their
// lookback and three wheres, and whose joins' right sides start from the foci-client stage with
// the same refresh-login where) and the rules above, each plan given another part of the rows, as
// read filters give.
func TestSharedStartsGiveEachPlanItsOwnRun(t *testing.T) {
	paths, err := filepath.Glob("../../rules/foci/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var plans []*Plan
	var names []string
	for _, path := range paths {
		if !strings.HasSuffix(path, ".test.yaml") {
			plans = append(plans, loadPlan(t, path))
			names = append(names, filepath.Base(path))
		}
	}
	for _, name := range []string{"teams-then-none", "teams-then-refresh", "cli-then-none", "with-a-let", "join-from-the-start"} {
		plans = append(plans, mustCompileBody(t, sharingRules[name]))
		names = append(names, name)
	}
	all := fociSignins(t)
	// The shared wheres, as the plans' own, run on parts of the rows at once.
	defer func(n int) { splitRows = n }(splitRows)
	splitRows = 256
	// Plan i can use about four rows in five, a different four for each; the first plan every row.
	reach := func(i int) func(int) bool {
		if i == 0 {
			return nil
		}
		return func(k int) bool { return (k*2654435761+i*40503)>>7%5 != 0 }
	}
	starts := ShareStarts(plans, map[string][]record.Row{nonInteractive: all}, func(i int, table string) func(int) bool {
		if table != nonInteractive {
			t.Fatalf("plan %d asked for table %s", i, table)
		}
		return reach(i)
	})
	shared, rightShared := map[string]int{}, map[string]int{}
	for i, p := range plans {
		var own []record.Row
		for k, row := range all {
			if reach(i) == nil || reach(i)(k) {
				own = append(own, row)
			}
		}
		tables := map[string][]record.Row{nonInteractive: own}
		want, wantStats, err := p.Run(tables)
		if err != nil {
			t.Fatal(err)
		}
		// Given its rows of the table, or not: its start makes them (a let, a join's right side).
		for _, given := range []map[string][]record.Row{tables, {}} {
			if len(given) == 0 && starts[i] == nil {
				continue
			}
			got, gotStats, err := p.RunFrom(given, starts[i])
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rowMaps(got), rowMaps(want)) {
				t.Errorf("%s (%d tables given): %d rows from its shared start, %d run alone", names[i], len(given), len(got), len(want))
			}
			if !reflect.DeepEqual(gotStats, wantStats) {
				t.Errorf("%s (%d tables given): stats from its shared start\n%s\nrun alone\n%s", names[i], len(given), statsText(gotStats), statsText(wantStats))
			}
		}
		if len(want) == 0 && !strings.HasPrefix(names[i], "cli") {
			t.Errorf("%s gives no rows: the test tests nothing", names[i])
		}
		if starts[i] != nil {
			shared[names[i]] = len(starts[i].kept)
			for _, rs := range starts[i].rights {
				rightShared[names[i]] += len(rs.kept)
			}
		}
	}
	// The FOCI rules share the lookback, home-tenant, foci-client and first-login wheres; the
	// Teams rules their two wheres; the rule with a let and the join from the start share home
	// with them; cli-then-none reads another value of apps, so shares only home.
	wantShared := map[string]int{"teams-then-none": 2, "teams-then-refresh": 2, "join-from-the-start": 2, "with-a-let": 1, "cli-then-none": 1}
	for _, name := range names[:len(names)-len(sharingRules)] {
		wantShared[name] = 4
	}
	if !reflect.DeepEqual(shared, wantShared) {
		t.Errorf("wheres shared %v, want %v", shared, wantShared)
	}
	// The FOCI rules' joins start from foci-client, and their right sides share refresh-login.
	wantRight := map[string]int{}
	for _, name := range names[:len(names)-len(sharingRules)] {
		wantRight[name] = 1
	}
	if !reflect.DeepEqual(rightShared, wantRight) {
		t.Errorf("right sides' wheres shared %v, want %v", rightShared, wantRight)
	}
}

// A shared where that gives null on some row is run again by each plan, so that each counts the
// nulls of its own rows, as the run's summary reports them.
func TestASharedWhereThatGivesNullsIsEachPlans(t *testing.T) {
	body := func(last string) string {
		return `table: AADNonInteractiveUserSignInLogs
stages:
  - where: todynamic(DeviceDetail).isCompliant + 1 > 0
  - where: ` + last + `
`
	}
	plans := []*Plan{mustCompileBody(t, body(`IncomingTokenType == "none"`)), mustCompileBody(t, body(`IncomingTokenType != "none"`))}
	all := fociSignins(t)
	reaches := []func(int) bool{func(k int) bool { return k%2 == 0 }, func(k int) bool { return k%3 == 0 }}
	starts := ShareStarts(plans, map[string][]record.Row{nonInteractive: all}, func(i int, _ string) func(int) bool { return reaches[i] })
	for i, p := range plans {
		if starts[i] != nil {
			t.Errorf("plan %d starts after %d shared wheres, which gave nulls", i, len(starts[i].kept))
		}
		var own []record.Row
		for k, row := range all {
			if reaches[i](k) {
				own = append(own, row)
			}
		}
		if _, _, err := p.RunFrom(map[string][]record.Row{nonInteractive: own}, starts[i]); err != nil {
			t.Fatal(err)
		}
		nulls := p.RuntimeNulls()
		if len(nulls) != 1 || nulls[0].Count != int64(len(own)) {
			t.Errorf("plan %d counted %+v nulls over its %d rows", i, nulls, len(own))
		}
	}
}

func rowMaps(rows []record.Row) []string {
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprint(r.Map(), r.Sources))
	}
	return out
}

func statsText(stats []StageStats) string {
	var b strings.Builder
	for _, st := range stats {
		fmt.Fprintf(&b, "  %s in %d out %d right %d keys %d\n", st.Stage.Rule.Label(), st.In, st.Out, st.Right, st.Keys)
		for _, r := range st.RightStages {
			fmt.Fprintf(&b, "    %s in %d out %d\n", r.Stage.Rule.Label(), r.In, r.Out)
		}
	}
	return b.String()
}
