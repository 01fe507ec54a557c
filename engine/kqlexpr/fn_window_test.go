package kqlexpr

import (
	"reflect"
	"testing"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/signin-detect/detect/engine/kql"
)

// rowsWindow is a serialized row set for the tests, at row i.
type rowsWindow struct {
	rows  []map[string]any
	i     int
	carry map[string]*any
}

func (w *rowsWindow) At(offset int, column string) (any, bool) {
	j := w.i + offset
	if j < 0 || j >= len(w.rows) {
		return nil, false
	}
	return w.rows[j][column], true
}

func (w *rowsWindow) Carry(name string) *any {
	if w.carry[name] == nil {
		w.carry[name] = new(any)
	}
	return w.carry[name]
}

// runWindow runs source over each row of rows in turn, as a stage over a serialized row set does.
func runWindow(t *testing.T, source string, rows []map[string]any) []any {
	t.Helper()
	e := env()
	e.Serialized = true
	e.Columns = map[string]kql.Type{"N": kql.Long, "T": kql.Datetime, "S": kql.String}
	p, err := Compile(source, e)
	if err != nil {
		t.Fatalf("compile %q: %v", source, err)
	}
	if !p.Window {
		t.Fatalf("%s: not a window program", source)
	}
	w := &rowsWindow{rows: rows, carry: map[string]*any{}}
	var machine vm.VM
	var out []any
	for i, row := range rows {
		w.i = i
		v, _ := p.RunIn(&machine, row, w)
		out = append(out, v)
	}
	return out
}

func TestWindowFunctions(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	rows := []map[string]any{
		{"N": int64(1), "T": at, "S": "a"},
		{"N": int64(2), "T": at.Add(5 * time.Minute), "S": "a"},
		{"N": int64(3), "T": at.Add(40 * time.Minute), "S": "b"},
		{"N": int64(4), "T": at.Add(45 * time.Minute), "S": "b"},
	}
	for _, c := range []struct {
		source string
		want   []any
	}{
		// https://learn.microsoft.com/kusto/query/prev-function
		{`prev(N)`, []any{nil, int64(1), int64(2), int64(3)}},
		{`prev(N, 2)`, []any{nil, nil, int64(1), int64(2)}},
		{`prev(N, 1, 0)`, []any{int64(0), int64(1), int64(2), int64(3)}},
		{`N - prev(N, 1, 0)`, []any{int64(1), int64(1), int64(1), int64(1)}},
		// https://learn.microsoft.com/kusto/query/next-function
		{`next(S)`, []any{"a", "b", "b", nil}},
		{`next(N, 1, -1)`, []any{int64(2), int64(3), int64(4), int64(-1)}},
		// https://learn.microsoft.com/kusto/query/row-number-function
		{`row_number()`, []any{int64(1), int64(2), int64(3), int64(4)}},
		{`row_number(10)`, []any{int64(10), int64(11), int64(12), int64(13)}},
		{`row_number(1, S != prev(S))`, []any{int64(1), int64(2), int64(1), int64(2)}},
		// https://learn.microsoft.com/kusto/query/row-window-session-function: a new session 30m
		// after the previous row, or 1h after the session's first
		{`row_window_session(T, totimespan("1h"), totimespan("30m"))`, []any{at, at, at.Add(40 * time.Minute), at.Add(40 * time.Minute)}},
		{`row_window_session(T, totimespan("10m"), totimespan("30m"))`, []any{at, at, at.Add(40 * time.Minute), at.Add(40 * time.Minute)}},
		{`row_window_session(T, totimespan("1h"), totimespan("1h"), S != prev(S))`, []any{at, at, at.Add(40 * time.Minute), at.Add(40 * time.Minute)}},
		{`row_window_session(T, totimespan("1h"), totimespan("1h"))`, []any{at, at, at, at}},
	} {
		if got := runWindow(t, c.source, rows); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s = %v, want %v", c.source, got, c.want)
		}
	}
}

// KQL runs window functions over serialized rows only, and prev and next read a column.
func TestWindowFunctionsNeedSerializedRows(t *testing.T) {
	e := env()
	e.Columns = map[string]kql.Type{"N": kql.Long}
	if _, err := Compile(`prev(N)`, e); err == nil {
		t.Error("prev compiled over rows that are not serialized")
	}
	e.Serialized = true
	if _, err := Compile(`prev(N + 1)`, e); err == nil {
		t.Error("prev of an expression compiled")
	}
	if p, err := Compile(`prev(N) + 1`, e); err != nil || p.Type != kql.Long {
		t.Errorf("prev(N) + 1: %v, type %v", err, p)
	}
}
