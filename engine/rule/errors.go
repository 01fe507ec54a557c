package rule

import (
	"fmt"
	"sort"
	"strings"
)

// Position is a place in a rule file. Line and Column count from 1; a zero Line means the file as
// a whole.
type Position struct {
	File         string
	Line, Column int
}

func (p Position) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Column == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// Error is one problem in a rule file, at its place. Skip marks a file of another format that
// could not be imported (a Sentinel rule using KQL without a translation yet): the other rules
// still run.
type Error struct {
	Pos  Position
	Msg  string
	Skip bool
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Errors is every problem found in one or more rule files, so that an author sees them all at
// once. It is only returned as an error when it holds at least one.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Skips splits es into the problems and the skipped files.
func (es Errors) Skips() (problems, skipped Errors) {
	for _, e := range es {
		if e.Skip {
			skipped = append(skipped, e)
		} else {
			problems = append(problems, e)
		}
	}
	return problems, skipped
}

// Add records a problem at pos.
func (es *Errors) Add(pos Position, format string, args ...any) {
	*es = append(*es, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// Err returns the errors sorted by place, or nil when there are none.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	sorted := append(Errors(nil), es...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i].Pos, sorted[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return sorted
}
