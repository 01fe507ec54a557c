package pipeline

import "github.com/signin-detect/detect/engine/record"

// rowWindow is the serialized row set a stage's window functions read (prev, next, row_number),
// at the row being computed. https://learn.microsoft.com/kusto/query/window-functions
type rowWindow struct {
	rows  []record.Row
	i     int
	carry map[string]*any
}

// windowOver gives the stage's window functions rows, when the stage calls any (else nil).
func (r *runner) windowOver(rows []record.Row, calls bool) *rowWindow {
	if !calls {
		return nil
	}
	r.window = &rowWindow{rows: rows}
	return r.window
}

// at moves the window to row i.
func (w *rowWindow) at(i int) {
	if w != nil {
		w.i = i
	}
}

// At is column's value in the row offset rows from the current one.
func (w *rowWindow) At(offset int, column string) (any, bool) {
	j := w.i + offset
	if j < 0 || j >= len(w.rows) {
		return nil, false
	}
	return w.rows[j].Get(column), true
}

// Carry is a value a window function keeps from row to row during the stage's run.
func (w *rowWindow) Carry(name string) *any {
	if w.carry == nil {
		w.carry = map[string]*any{}
	}
	if w.carry[name] == nil {
		w.carry[name] = new(any)
	}
	return w.carry[name]
}

// Kinds of other files that keep a serialized row set, as Learn's serialize page lists them
// (parse; project-away, whose type project-keep and project-reorder share).
// https://learn.microsoft.com/kusto/query/serialize-operator
func (p *parseStage) keepsOrder(in bool) bool { return in }
func (p *pickStage) keepsOrder(in bool) bool  { return in }
