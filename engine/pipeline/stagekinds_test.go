package pipeline

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// oneStageCases hold, for every stage kind, a rule of that one stage over oneStageRows, the columns
// to show of its result and the rows it gives. A kind registered without its case fails
// TestEveryStageKind.
var oneStageCases = map[string]struct {
	stage string
	cols  []string
	want  []string
}{
	rule.Where: {`where: AppDisplayName == "Teams"`, []string{"AppDisplayName"},
		[]string{"AppDisplayName=Teams @1", "AppDisplayName=Teams @3"}},
	rule.Extend: {`extend: {Upper: toupper(AppDisplayName)}`, []string{"AppDisplayName", "Upper"},
		[]string{"AppDisplayName=Teams Upper=TEAMS @1", "AppDisplayName=Word Upper=WORD @2", "AppDisplayName=Teams Upper=TEAMS @3"}},
	rule.Project: {`project: [App: AppDisplayName, SessionId]`, []string{"App", "SessionId"},
		[]string{"App=Teams SessionId=s1 @1", "App=Word SessionId=s1 @2", "App=Teams SessionId=s2 @3"}},
	rule.ProjectRename: {`project-rename: {App: AppDisplayName}`, []string{"App", "AppDisplayName"},
		[]string{"App=Teams AppDisplayName=<nil> @1", "App=Word AppDisplayName=<nil> @2", "App=Teams AppDisplayName=<nil> @3"}},
	rule.Join: {`join: {kind: inner, on: [SessionId]}`, []string{"AppDisplayName", "AppDisplayName1"},
		[]string{"AppDisplayName=Teams AppDisplayName1=Teams @1,1", "AppDisplayName=Teams AppDisplayName1=Word @1,2",
			"AppDisplayName=Word AppDisplayName1=Teams @2,1", "AppDisplayName=Word AppDisplayName1=Word @2,2",
			"AppDisplayName=Teams AppDisplayName1=Teams @3,3"}},
	rule.Summarize: {`summarize: {aggregates: [count()], by: [SessionId]}`, []string{"SessionId", "count_"},
		[]string{"SessionId=s1 count_=2 @1,2", "SessionId=s2 count_=1 @3"}},
	rule.MvExpand: {`mv-expand: {Part: 'todynamic("[1, 2]")'}`, []string{"AppDisplayName", "Part"},
		[]string{"AppDisplayName=Teams Part=1 @1", "AppDisplayName=Teams Part=2 @1", "AppDisplayName=Word Part=1 @2",
			"AppDisplayName=Word Part=2 @2", "AppDisplayName=Teams Part=1 @3", "AppDisplayName=Teams Part=2 @3"}},
	rule.Distinct: {`distinct: [SessionId]`, []string{"SessionId"},
		[]string{"SessionId=s1 @1,2", "SessionId=s2 @3"}},
	rule.UnionStage: {`union: {withsource: Src, of: [AADNonInteractiveUserSignInLogs]}`, []string{"Src", "AppDisplayName"},
		[]string{"Src=union_arg0 AppDisplayName=Teams @1", "Src=union_arg0 AppDisplayName=Word @2", "Src=union_arg0 AppDisplayName=Teams @3",
			"Src=AADNonInteractiveUserSignInLogs AppDisplayName=Teams @1", "Src=AADNonInteractiveUserSignInLogs AppDisplayName=Word @2",
			"Src=AADNonInteractiveUserSignInLogs AppDisplayName=Teams @3"}},
	rule.ProjectAway: {`project-away: ['Session*', TimeGenerated]`, []string{"AppDisplayName", "SessionId"},
		[]string{"AppDisplayName=Teams SessionId=<nil> @1", "AppDisplayName=Word SessionId=<nil> @2", "AppDisplayName=Teams SessionId=<nil> @3"}},
	rule.ProjectKeep: {`project-keep: ['Session*']`, []string{"AppDisplayName", "SessionId"},
		[]string{"AppDisplayName=<nil> SessionId=s1 @1", "AppDisplayName=<nil> SessionId=s1 @2", "AppDisplayName=<nil> SessionId=s2 @3"}},
	rule.ProjectReorder: {`project-reorder: [SessionId]`, []string{"SessionId", "AppDisplayName"},
		[]string{"SessionId=s1 AppDisplayName=Teams @1", "SessionId=s1 AppDisplayName=Word @2", "SessionId=s2 AppDisplayName=Teams @3"}},
	rule.Parse: {`parse: 'AppDisplayName with "T" Rest'`, []string{"AppDisplayName", "Rest"},
		[]string{"AppDisplayName=Teams Rest=eams @1", "AppDisplayName=Word Rest= @2", "AppDisplayName=Teams Rest=eams @3"}},
	rule.ParseWhere: {`parse-where: 'AppDisplayName with "T" Rest'`, []string{"AppDisplayName", "Rest"},
		[]string{"AppDisplayName=Teams Rest=eams @1", "AppDisplayName=Teams Rest=eams @3"}},
	rule.Sort: {`sort: [AppDisplayName asc, TimeGenerated desc]`, []string{"AppDisplayName", "SessionId"},
		[]string{"AppDisplayName=Teams SessionId=s2 @3", "AppDisplayName=Teams SessionId=s1 @1", "AppDisplayName=Word SessionId=s1 @2"}},
	rule.Top: {`top: {count: 2, by: TimeGenerated}`, []string{"AppDisplayName"},
		[]string{"AppDisplayName=Teams @3", "AppDisplayName=Word @2"}},
	rule.Take: {`take: 2`, []string{"AppDisplayName"},
		[]string{"AppDisplayName=Teams @1", "AppDisplayName=Word @2"}},
	rule.Serialize: {`serialize: {N: row_number(), Prev: 'prev(AppDisplayName, 1, "-")'}`, []string{"N", "Prev"},
		[]string{"N=1 Prev=- @1", "N=2 Prev=Teams @2", "N=3 Prev=Word @3"}},
	rule.MvApply: {`mv-apply: {expand: [Part: 'todynamic("[3, 1, 2]")'], on: [top: {count: 1, by: Part}]}`, []string{"AppDisplayName", "Part"},
		[]string{"AppDisplayName=Teams Part=3 @1", "AppDisplayName=Word Part=3 @2", "AppDisplayName=Teams Part=3 @3"}},
	rule.MakeSeries: {`make-series: {aggregates: [count()], on: TimeGenerated, step: 1m, by: [AppDisplayName]}`, []string{"AppDisplayName", "count_"},
		[]string{"AppDisplayName=Teams count_=[1 0 1] @1,3", "AppDisplayName=Word count_=[0 1 0] @2"}},
	rule.LookupStage: {`lookup: {on: [SessionId]}`, []string{"AppDisplayName", "AppDisplayName1", "SessionId1"},
		[]string{"AppDisplayName=Teams AppDisplayName1=Teams SessionId1=<nil> @1,1", "AppDisplayName=Teams AppDisplayName1=Word SessionId1=<nil> @1,2",
			"AppDisplayName=Word AppDisplayName1=Teams SessionId1=<nil> @2,1", "AppDisplayName=Word AppDisplayName1=Word SessionId1=<nil> @2,2",
			"AppDisplayName=Teams AppDisplayName1=Teams SessionId1=<nil> @3,3"}},
	// No row's IPAddress is in a range; return_unmatched keeps them, the range null.
	rule.IPv4Lookup: {"ipv4-lookup: {from: ranges, ip: IPAddress, range: Range, return_unmatched: true}\n" +
		"let:\n  ranges:\n    table: AADNonInteractiveUserSignInLogs\n    stages:\n      - project:\n          - Range: '\"10.0.0.0/8\"'",
		[]string{"AppDisplayName", "Range"},
		[]string{"AppDisplayName=Teams Range= @1", "AppDisplayName=Word Range= @2", "AppDisplayName=Teams Range= @3"}},
}

func oneStageRows() []record.Row {
	at := now.Add(-time.Hour)
	return []record.Row{
		signin(1, map[string]any{"AppDisplayName": "Teams", "SessionId": "s1", "TimeGenerated": at}),
		signin(2, map[string]any{"AppDisplayName": "Word", "SessionId": "s1", "TimeGenerated": at.Add(time.Minute)}),
		signin(3, map[string]any{"AppDisplayName": "Teams", "SessionId": "s2", "TimeGenerated": at.Add(2 * time.Minute)}),
	}
}

// Every registered stage kind is decoded by package rule, compiles and runs as a rule of that one
// stage, streams when it works row by row, and has its row in the README's stage table; and every
// kind package rule decodes is registered.
func TestEveryStageKind(t *testing.T) {
	if got, want := slices.Sorted(slices.Values(StageKinds())), slices.Sorted(slices.Values(rule.StageKinds)); !reflect.DeepEqual(got, want) {
		t.Errorf("the engine runs the stage kinds %q; package rule decodes %q", got, want)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range StageKinds() {
		if !strings.Contains(string(readme), "\n| `"+kind+"` | `"+kind+":") {
			t.Errorf("stage kind %s has no row in the README's stage table (| `%s` | `%s: ...` | semantics |)", kind, kind, kind)
		}
		c, ok := oneStageCases[kind]
		if !ok {
			t.Errorf("stage kind %s has no case in oneStageCases", kind)
			continue
		}
		var clock time.Time
		path := filepath.Join(t.TempDir(), "rule.yaml")
		body := header + "queryPeriod: 1d\nstages:\n  - " + c.stage + "\n"
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := rule.Load(path)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		p, err := Compile(r, Options{Now: now, Clock: &clock})
		if err != nil {
			t.Errorf("%s: %v", kind, err)
			continue
		}
		if p.Stages[0].Rule.Kind != kind {
			t.Errorf("%s: the stage was decoded as a %s", kind, p.Stages[0].Rule.Kind)
		}
		expectRows(t, kind, show(run(t, p, oneStageRows()...), c.cols...), c.want)

		op := p.Stages[0].op
		if op.splittable() && !op.rowWise() {
			t.Errorf("%s: splittable but not row-wise", kind)
		}
		var streamed []record.Row
		s, err := NewStream(p, &clock, func(row record.Row) error { streamed = append(streamed, row); return nil })
		j, isJoin := op.(*join)
		if streams := err == nil; streams != (op.rowWise() || isJoin && j.kind.Streamable) {
			t.Errorf("%s: row-wise %v, but NewStream says %v", kind, op.rowWise(), err)
		}
		if err != nil {
			continue
		}
		for _, row := range oneStageRows() {
			if err := s.Push(row); err != nil {
				t.Fatal(err)
			}
		}
		want := c.want
		if isJoin {
			// A stream pairs a row with the other side's rows that came before it, and itself.
			want = []string{"AppDisplayName=Teams AppDisplayName1=Teams @1,1", "AppDisplayName=Word AppDisplayName1=Teams @2,1",
				"AppDisplayName=Teams AppDisplayName1=Word @1,2", "AppDisplayName=Word AppDisplayName1=Word @2,2",
				"AppDisplayName=Teams AppDisplayName1=Teams @3,3"}
		}
		expectRows(t, kind+" streamed", show(streamed, c.cols...), want)
	}
}
