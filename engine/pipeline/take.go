package pipeline

import (
	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// takeStage keeps the first count rows (KQL's take, and its alias limit). Learn guarantees which
// rows only when the input is sorted; the engine keeps the first ones in the order they come, so
// that a run is repeatable.
// https://learn.microsoft.com/kusto/query/take-operator
type takeStage struct {
	count int64
}

func planTake(_ *compiler, s *rule.Stage, f, _ flow) (operator, flow) {
	return &takeStage{count: s.Count}, f
}

func (t *takeStage) run(_ *runner, _ *Stage, rows, _ []record.Row, _ *StageStats) ([]record.Row, error) {
	return rows[:min(int64(len(rows)), t.count)], nil
}

func (t *takeStage) live(_ *Stage, after columnSet) columnSet { return after }

// follow: no filter after a take may run before it, which would change the rows it keeps.
func (t *takeStage) follow(origin map[string]string) (map[string]string, bool) {
	return noneAsIs(origin)
}
func (t *takeStage) filter() *kqlexpr.Program { return nil }
func (t *takeStage) keepsOrder(in bool) bool  { return in }
func (t *takeStage) rowWise() bool            { return false }
func (t *takeStage) splittable() bool         { return false }
