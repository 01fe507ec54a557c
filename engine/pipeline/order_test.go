package pipeline

import (
	"strings"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/record"
)

// orderRows hold N = toint(AppDisplayName): 3, 1, null, 2, 1 (lines 1 to 5).
func orderRows() []record.Row {
	var rows []record.Row
	for i, app := range []string{"3", "1", "", "2", "1"} {
		rows = append(rows, signin(i+1, map[string]any{"AppDisplayName": app, "TimeGenerated": now.Add(-time.Duration(5-i) * time.Minute)}))
	}
	return rows
}

const withN = "stages:\n  - extend: {N: toint(AppDisplayName)}\n"

// https://learn.microsoft.com/kusto/query/sort-operator: desc unless asc is written; nulls last
// when desc and first when asc unless written; equal keys keep their order (lines 2 and 5).
func TestSortAsLearnDefinesIt(t *testing.T) {
	for _, c := range []struct {
		key  string
		want []string
	}{
		{"N", []string{"N=3 @1", "N=2 @4", "N=1 @2", "N=1 @5", "N=<nil> @3"}},
		{"N desc", []string{"N=3 @1", "N=2 @4", "N=1 @2", "N=1 @5", "N=<nil> @3"}},
		{"N asc", []string{"N=<nil> @3", "N=1 @2", "N=1 @5", "N=2 @4", "N=3 @1"}},
		{"N asc nulls last", []string{"N=1 @2", "N=1 @5", "N=2 @4", "N=3 @1", "N=<nil> @3"}},
		{"N desc nulls first", []string{"N=<nil> @3", "N=3 @1", "N=2 @4", "N=1 @2", "N=1 @5"}},
		{"[N asc, TimeGenerated desc]", []string{"N=<nil> @3", "N=1 @5", "N=1 @2", "N=2 @4", "N=3 @1"}},
	} {
		p := mustCompile(t, withN+"  - sort: "+c.key+"\n")
		expectRows(t, "sort "+c.key, show(run(t, p, orderRows()...), "N"), c.want)
	}
}

// make_list lists values in the order they come, so after a sort in the sorted order (nulls are
// not listed). https://learn.microsoft.com/kusto/query/make-list-aggregation-function
func TestMakeListAfterSortKeepsItsOrder(t *testing.T) {
	p := mustCompile(t, withN+"  - sort: N asc\n  - summarize: {aggregates: [make_list(N)]}\n")
	expectRows(t, "make_list", show(run(t, p, orderRows()...), "list_N"), []string{"list_N=[1 1 2 3] @3,2,5,4,1"})
}

// https://learn.microsoft.com/kusto/query/top-operator: the first N by the key, desc and nulls
// last unless written; https://learn.microsoft.com/kusto/query/take-operator: the first N rows.
func TestTopAndTake(t *testing.T) {
	for _, c := range []struct {
		stage string
		want  []string
	}{
		{"top: {count: 2, by: N}", []string{"N=3 @1", "N=2 @4"}},
		{"top: {count: 2, by: N asc}", []string{"N=<nil> @3", "N=1 @2"}},
		{"top: {count: 2, by: N asc nulls last}", []string{"N=1 @2", "N=1 @5"}},
		{"top: {count: 9, by: N}", []string{"N=3 @1", "N=2 @4", "N=1 @2", "N=1 @5", "N=<nil> @3"}},
		{"take: 2", []string{"N=3 @1", "N=1 @2"}},
		{"take: 0", nil},
	} {
		p := mustCompile(t, withN+"  - "+c.stage+"\n")
		expectRows(t, c.stage, show(run(t, p, orderRows()...), "N"), c.want)
	}
}

// A where after a take or a top filters the rows they kept: neither the read filter nor anything
// else may run it before them, where it would change which rows they keep. After a sort it may.
func TestFiltersStayAfterTakeAndTop(t *testing.T) {
	for _, c := range []struct {
		stage      string
		readFilter bool
		want       []string
	}{
		{"take: 1", false, nil},
		{"top: {count: 1, by: N}", false, nil},
		{"sort: N", true, []string{"N=1 @2", "N=1 @5"}},
	} {
		p := mustCompile(t, withN+"  - "+c.stage+"\n  - where: AppDisplayName == \"1\"\n")
		if got := p.ReadFilters(false)[p.Inputs[0].Table.Name] != nil; got != c.readFilter {
			t.Errorf("%s then where: read filter %v, want %v", c.stage, got, c.readFilter)
		}
		expectRows(t, c.stage+" then where", show(run(t, p, orderRows()...), "N"), c.want)
	}
}

// https://learn.microsoft.com/kusto/query/make-series-operator: per group, each aggregate's value
// in each bin from `from` to `to` (excluded) in steps of `step`, default= where no row falls
// (0 unless given); the axis is the bins' starts; columns: keys, aggregates, axis.
func TestMakeSeries(t *testing.T) {
	at := func(line int, user string, ago time.Duration) record.Row {
		return signin(line, map[string]any{"UserPrincipalName": user, "TimeGenerated": now.Add(-ago), "AppDisplayName": user + "app"})
	}
	rows := []record.Row{at(1, "a", 210*time.Minute), at(2, "a", 200*time.Minute), at(3, "b", 70*time.Minute),
		at(4, "a", 30*time.Minute), at(5, "a", 5*time.Hour)}
	p := mustCompile(t, `stages:
  - make-series:
      aggregates: [N: count() default=-1, dcount(AppDisplayName)]
      on: TimeGenerated
      from: ago("4h")
      to: now()
      step: 1h
      by: [UserPrincipalName]
`)
	got := run(t, p, rows...)
	expectRows(t, "make-series", show(got, "UserPrincipalName", "N", "dcount_AppDisplayName"), []string{
		"UserPrincipalName=a N=[2 -1 -1 1] dcount_AppDisplayName=[1 0 0 1] @1,2,4",
		"UserPrincipalName=b N=[-1 -1 1 -1] dcount_AppDisplayName=[0 0 1 0] @3",
	})
	axis, _ := got[0].Get("TimeGenerated").([]any)
	if len(axis) != 4 || !axis[0].(time.Time).Equal(now.Add(-4*time.Hour)) || !axis[3].(time.Time).Equal(now.Add(-time.Hour)) {
		t.Errorf("axis %v, want the four hours from now-4h", axis)
	}
	if cols := columnNames(p.Output); cols != "UserPrincipalName, N, dcount_AppDisplayName, TimeGenerated" {
		t.Errorf("columns %s", cols)
	}

	// in range(start, stop, step): bins from bin(start, step) to bin(stop, step), stop included
	// (Learn's alternative syntax).
	p = mustCompile(t, "stages:\n  - make-series: {aggregates: [count()], on: TimeGenerated, in: 'range(ago(\"210m\"), now(), 1h)', by: [UserPrincipalName]}\n")
	expectRows(t, "in range", show(run(t, p, rows...), "UserPrincipalName", "count_"), []string{
		"UserPrincipalName=a count_=[2 0 0 1 0] @1,2,4", "UserPrincipalName=b count_=[0 0 1 0 0] @3"})

	// Without from and to: from the bin of the earliest row to the bin of the latest.
	p = mustCompile(t, "stages:\n  - make-series: {aggregates: [count()], on: TimeGenerated, step: 1h}\n")
	expectRows(t, "no range", show(run(t, p, rows...), "count_"), []string{"count_=[1 2 0 1 1] @1,2,3,4,5"})
}

// (A, B, ...) = f(...) assigns the columns of a function that gives several; top then sorts by
// one. https://learn.microsoft.com/kusto/query/series-fit-line-function
func TestExtendTupleOfSeriesFitLine(t *testing.T) {
	p := mustCompile(t, `stages:
  - extend: {Y: 'todynamic(iff(AppDisplayName == "up", "[1, 2, 3]", "[3, 2, 1]"))'}
  - extend: {"(RSquare, Slope)": series_fit_line(Y)}
  - top: {count: 1, by: Slope desc}
`)
	rows := []record.Row{signin(1, map[string]any{"AppDisplayName": "down"}), signin(2, map[string]any{"AppDisplayName": "up"})}
	expectRows(t, "tuple", show(run(t, p, rows...), "RSquare", "Slope"), []string{"RSquare=1 Slope=1 @2"})
	if _, err := compileRule(t, "stages:\n  - extend: {\"(A, B)\": strlen(AppDisplayName)}\n"); err == nil {
		t.Error("a tuple of a function that gives one column compiled")
	}
}

// An unnamed call of a function that gives several columns names them f_Col_column, as KQL does
// (series_decompose_anomalies(x) gives series_decompose_anomalies_x_ad_flag ...).
// https://learn.microsoft.com/kusto/query/series-decompose-anomalies-function
func TestUnnamedSeriesCallNamesItsColumns(t *testing.T) {
	p := mustCompile(t, `stages:
  - extend: {Y: 'todynamic("[1, 2, 3]")'}
  - extend: [series_fit_line(Y)]
  - project: [series_fit_line_Y_slope, series_fit_line_Y_line_fit]
`)
	expectRows(t, "unnamed", show(run(t, p, signin(1, nil)), "series_fit_line_Y_slope", "series_fit_line_Y_line_fit"),
		[]string{"series_fit_line_Y_slope=1 series_fit_line_Y_line_fit=[1 2 3] @1"})
	if _, err := compileRule(t, "stages:\n  - extend: [strlen(AppDisplayName)]\n"); err == nil {
		t.Error("an unnamed extend of a one-column function compiled")
	}
}

// mv-expand ... to typeof(T) gives the expanded column the type T, converting each element as
// the to* function of T does. https://learn.microsoft.com/kusto/query/mv-expand-operator
func TestMvExpandToTypeof(t *testing.T) {
	p := mustCompile(t, `stages:
  - make-series: {aggregates: [count()], on: TimeGenerated, step: 1h}
  - mv-expand:
      - count_ to typeof(double)
      - TimeGenerated to typeof(datetime)
      - Text: 'todynamic("[\"7\", \"x\"]") to typeof(long)'
`)
	rows := []record.Row{signin(1, map[string]any{"TimeGenerated": now.Add(-90 * time.Minute)}), signin(2, map[string]any{"TimeGenerated": now.Add(-10 * time.Minute)})}
	got := run(t, p, rows...)
	if len(got) != 2 || got[0].Get("count_") != 1.0 || got[0].Get("Text") != int64(7) || got[1].Get("Text") != nil {
		t.Fatalf("rows %v", show(got, "count_", "TimeGenerated", "Text"))
	}
	if _, ok := got[1].Get("TimeGenerated").(time.Time); !ok {
		t.Errorf("TimeGenerated is %T", got[1].Get("TimeGenerated"))
	}
	if types := typesOf(p.Output); types["count_"].String() != "real" || types["TimeGenerated"].String() != "datetime" || types["Text"].String() != "long" {
		t.Errorf("types %v", types)
	}
}

// Window functions read the rows around the current one of a serialized row set: after sort, top
// or serialize, and the stages that keep the order; summarize ends it, and a window function after
// it is a check error. https://learn.microsoft.com/kusto/query/window-functions
func TestWindowFunctionsOverSerializedRows(t *testing.T) {
	p := mustCompile(t, withN+`  - sort: N asc nulls last
  - where: isnotnull(N)
  - extend: {Prev: 'prev(N, 1, 0)', Rank: 'row_number(1, N != prev(N))'}
  - where: N != prev(N)
`)
	expectRows(t, "after sort", show(run(t, p, orderRows()...), "N", "Prev", "Rank"),
		[]string{"N=1 Prev=0 Rank=1 @2", "N=2 Prev=1 Rank=1 @4", "N=3 Prev=2 Rank=1 @1"})

	p = mustCompile(t, withN+"  - serialize: {Row: row_number()}\n  - top: {count: 2, by: Row}\n  - extend: {Next: next(Row)}\n")
	expectRows(t, "serialize then top", show(run(t, p, orderRows()...), "Row", "Next"), []string{"Row=5 Next=4 @5", "Row=4 Next=<nil> @4"})

	for _, body := range []string{
		withN + "  - extend: {P: prev(N)}\n",
		withN + "  - sort: N\n  - summarize: {aggregates: [count()], by: [N]}\n  - extend: {P: prev(N)}\n",
		withN + "  - sort: N\n  - distinct: [N]\n  - where: prev(N) == 1\n",
	} {
		if _, err := compileRule(t, body); err == nil || !strings.Contains(err.Error(), "serialized") {
			t.Errorf("a window function over rows that are not serialized: %v\n%s", err, body)
		}
	}
}

// with_itemindex=Name adds each element's index in its array, from 0.
// https://learn.microsoft.com/kusto/query/mv-expand-operator
func TestMvExpandWithItemIndex(t *testing.T) {
	p := mustCompile(t, `stages:
  - mv-expand:
      - with_itemindex=Index
      - Part: 'todynamic("[\"x\", \"y\"]")'
`)
	expectRows(t, "with_itemindex", show(run(t, p, signin(1, nil)), "Index", "Part"), []string{"Index=0 Part=x @1", "Index=1 Part=y @1"})
}

// https://learn.microsoft.com/kusto/query/mv-apply-operator: each row's array becomes a subtable
// of the expanded column alone, the subquery runs over it, and its result rows get the row's
// other columns: here the two largest values of each row, and a summarize per row.
func TestMvApply(t *testing.T) {
	rows := []record.Row{
		signin(1, map[string]any{"AppDisplayName": "[5, 1, 9, 3]", "SessionId": "s1"}),
		signin(2, map[string]any{"AppDisplayName": "[2]", "SessionId": "s2"}),
		signin(3, map[string]any{"AppDisplayName": "[]", "SessionId": "s3"}),
	}
	p := mustCompile(t, `stages:
  - mv-apply:
      expand: [M: todynamic(AppDisplayName) to typeof(long)]
      on:
        - where: M > 1
        - top: {count: 2, by: M desc}
        - extend: {Double: M * 2}
`)
	expectRows(t, "top 2 per row", show(run(t, p, rows...), "SessionId", "M", "Double"),
		[]string{"SessionId=s1 M=9 Double=18 @1", "SessionId=s1 M=5 Double=10 @1", "SessionId=s2 M=2 Double=4 @2"})
	p = mustCompile(t, `stages:
  - mv-apply:
      expand: [M: todynamic(AppDisplayName)]
      on: [summarize: {aggregates: [Total: sum(tolong(M)), count()]}]
`)
	expectRows(t, "summarize per row", show(run(t, p, rows...), "SessionId", "Total", "count_"),
		[]string{"SessionId=s1 Total=18 count_=4 @1", "SessionId=s2 Total=2 count_=1 @2", "SessionId=s3 Total=0 count_=0 @3"})
	if _, err := compileRule(t, "stages:\n  - mv-apply: {expand: [M: todynamic(AppDisplayName)], on: [where: SessionId == \"s1\"]}\n"); err == nil {
		t.Error("the subquery read a column that is not in its subtable")
	}
}
