package pipeline

import (
	"fmt"
	"strings"

	"github.com/expr-lang/expr/vm"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/record"
)

// Tracer is told what the stages do to rows, so that a run can be explained row by row.
type Tracer interface {
	// Dropped: a where stage stopped row.
	Dropped(s *Stage, row record.Row)
	// Unpaired: a join found no right row for the left row.
	Unpaired(s *Stage, row record.Row)
	// Paired: a join made row from a left and a right row.
	Paired(s *Stage, row record.Row)
}

// Right is the stages of a join's right side (nil for other stages).
func (s *Stage) Right() []*Stage {
	if j, ok := s.op.(*join); ok {
		return j.right
	}
	return nil
}

// WhyDropped says why a where stage stopped row: the first part of its predicate (split at its
// top-level "and"s) that was not true, and the values of the columns that part read.
func (s *Stage) WhyDropped(row record.Row) string {
	w, ok := s.op.(*whereStage)
	if !ok {
		return ""
	}
	var machine vm.VM
	for _, part := range kqlexpr.Conjuncts(w.prog.Source) {
		prog, err := kqlexpr.Compile(part, w.env)
		if err != nil {
			continue
		}
		v, err := prog.Run(&machine, row.Map())
		if err != nil {
			return fmt.Sprintf("%s failed: %v", part, err)
		}
		if holds, _ := v.(bool); holds {
			continue
		}
		var values []string
		for _, col := range prog.Columns {
			values = append(values, col+" = "+quoted(row.Get(col)))
		}
		why := part + " is not true"
		if len(values) > 0 {
			why += ": " + strings.Join(values, ", ")
		}
		return why
	}
	return w.prog.Source + " is not true"
}

// quoted shows a value as a predicate would be written against it: text in quotes, other values
// bare, null as null.
func quoted(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("%q", x)
	}
	return kql.ToString(v)
}
