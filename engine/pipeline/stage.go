package pipeline

import (
	"slices"

	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// A stage kind is one type, the operator its planner makes, which carries every fact the planner,
// the runners and the stream need; no code outside a kind's own file asks which kind a stage is,
// except for the join (whose right side is a pipeline of its own). docs/engine.md says how to add
// a kind.

// operator is a planned stage of one kind.
type operator interface {
	// live records what of its own work the stage must do when only after is read after it (nil:
	// every column), and returns the columns it reads from its input.
	live(s *Stage, after columnSet) columnSet
	// follow carries origin, which maps columns to the columns they are copies of, through the
	// stage: it tells false when no column passes it as it is, so that no filter written after the
	// stage can be run before it (see pushDown and ReadFilter).
	follow(origin map[string]string) (map[string]string, bool)
	// filter is the predicate of a stage that only keeps or drops rows, or nil.
	filter() *kqlexpr.Program
	// rowWise tells whether each output row comes from one input row alone, so that the stage can
	// run on one row at a time (a stream).
	rowWise() bool
	// splittable tells whether the stage can run on parts of its rows at once, each part with a
	// runner of its own, and the parts' results joined in order.
	splittable() bool
	// run runs the stage over rows; input is the rows the pipeline started from.
	run(r *runner, s *Stage, rows, input []record.Row, st *StageStats) ([]record.Row, error)
}

// orderKeeper is implemented by the kinds whose rows are a serialized row set, which window
// functions read: those that make one (sort, top, serialize) and those that keep one (where,
// extend, project, project-rename, take, mv-expand). Every other kind ends it, as in KQL.
// https://learn.microsoft.com/kusto/query/window-functions
type orderKeeper interface {
	keepsOrder(serializedIn bool) bool
}

// stageKind is a registered stage kind: its name in rule files (decoded by package rule) and its
// planner, which checks the stage against the flow that reaches it (reporting every problem at its
// place in the rule file) and gives its operator and the flow after it. start is the flow the
// pipeline started from.
type stageKind struct {
	name string
	plan func(c *compiler, s *rule.Stage, f, start flow) (operator, flow)
}

// stageKinds are every stage kind, in the order the README's stage table documents them. (Set in
// init: the join's planner plans the stages of its right side, which reads this list.)
var stageKinds []stageKind

func init() {
	stageKinds = []stageKind{
		{rule.Where, planWhere},
		{rule.Extend, planExtend},
		{rule.Project, planProject},
		{rule.ProjectRename, planProjectRename},
		{rule.Join, planJoin},
		{rule.Summarize, planSummarize},
		{rule.MvExpand, planMvExpand},
		{rule.Distinct, planDistinct},
		{rule.UnionStage, planUnion},
		{rule.ProjectAway, planProjectAway},
		{rule.ProjectKeep, planProjectKeep},
		{rule.ProjectReorder, planProjectReorder},
		{rule.Parse, planParse},
		{rule.ParseWhere, planParseWhere},
		{rule.Sort, planSort},
		{rule.Top, planTop},
		{rule.Take, planTake},
		{rule.MakeSeries, planMakeSeries},
		{rule.Serialize, planSerialize},
		{rule.MvApply, planMvApply},
		{rule.LookupStage, planLookup},
		{rule.IPv4Lookup, planIPv4Lookup},
	}
}

// StageKinds lists the names of the stage kinds the engine plans and runs.
func StageKinds() []string {
	out := make([]string, len(stageKinds))
	for i, k := range stageKinds {
		out[i] = k.name
	}
	return out
}

func kindNamed(name string) (stageKind, bool) {
	for _, k := range stageKinds {
		if k.name == name {
			return k, true
		}
	}
	return stageKind{}, false
}

// stage plans one stage of a pipeline that started with start.
func (c *compiler) stage(s *rule.Stage, f, start flow) (*Stage, flow) {
	ps := &Stage{Rule: s, In: f.cols, Out: f.cols}
	kind, ok := kindNamed(s.Kind)
	if !ok {
		c.errs.Add(s.Pos, "stage kind %q is not one the engine runs (it runs %v)", s.Kind, StageKinds())
		return ps, f
	}
	serializedIn := f.serialized
	c.serialized = serializedIn
	compiled := len(c.programs)
	ps.op, f = kind.plan(c, s, f, start)
	ps.readsClock = slices.ContainsFunc(c.programs[compiled:], func(p *kqlexpr.Program) bool { return p.ReadsClock })
	keeper, ok := ps.op.(orderKeeper)
	f.serialized = ok && keeper.keepsOrder(serializedIn)
	ps.Out = f.cols
	return ps, f
}

// stage runs one stage, on parts of its rows at once where it can.
func (r *runner) stage(s *Stage, rows, input []record.Row, st *StageStats) ([]record.Row, error) {
	if r.parts(len(rows)) > 1 && s.op.splittable() {
		return r.split(s, rows)
	}
	return s.op.run(r, s, rows, input, st)
}

// asIs is the follow of a stage that passes every column as it is.
func asIs(origin map[string]string) (map[string]string, bool) { return origin, true }

// noneAsIs is the follow of a stage that makes new rows, through which no filter may move.
func noneAsIs(map[string]string) (map[string]string, bool) { return nil, false }
