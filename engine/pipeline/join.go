package pipeline

import (
	"fmt"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// join pairs the rows so far (the left side) with the rows of its right side, as its kind says.
// https://learn.microsoft.com/kusto/query/join-operator
type join struct {
	kind                *rule.JoinKind
	leftKeys, rightKeys []string
	// source is where the right side starts; nil for the rows the pipeline started from.
	source *source
	right  []*Stage
	// rightNames maps each right-side column to its name in the joined row; rightCols are those
	// columns as the joined row has them (leftouter fills them with nulls), leftCols the left
	// side's (rightouter fills them with nulls).
	rightNames map[string]string
	rightCols  []Column
	leftCols   []Column
	// leftFilter and rightFilter are wheres written after the join that read one side only, run
	// over that side's rows before they pair (see pushDown).
	leftFilter, rightFilter conditions
}

// planJoin plans a join stage of a pipeline that started with start.
func planJoin(c *compiler, s *rule.Stage, left, start flow) (operator, flow) {
	return c.join(s, left, start, false)
}

// join plans a join, or (lookup) a lookup, whose output leaves out the right side's key columns.
func (c *compiler) join(s *rule.Stage, left, start flow, lookup bool) (operator, flow) {
	spec := s.Join
	kind, ok := rule.LookupJoinKind(spec.Kind)
	if !ok {
		c.errs.Add(s.Pos, "join kind %q is not supported", spec.Kind)
		return nil, left
	}
	j := &join{kind: kind, rightNames: map[string]string{}}
	rightStart := start
	switch {
	case len(spec.Tables) > 0:
		j.source, rightStart = c.tablesSource(spec.Tables)
	case spec.From != "":
		if src, f, ok := c.fromSource(spec.From, s.Pos, "join right from", true); ok {
			j.source, rightStart = src, f
		}
	}
	var right flow
	j.right, right = c.stages(spec.Right, rightStart)
	for _, k := range spec.On {
		li, ri := indexOf(left.cols, k.Column), indexOf(right.cols, k.Right)
		if li < 0 || ri < 0 {
			c.keyError(k, li >= 0, ri >= 0, left.cols, right.cols)
			continue
		}
		lt, rt := left.cols[li].Type, right.cols[ri].Type
		if lt != rt && lt != kql.Dynamic && rt != kql.Dynamic {
			c.errs.Add(k.Pos, "join key %s is a %s on the left and a %s on the right; KQL joins keys of one type (convert one side with tostring(), todatetime(), ...)", k.Column, lt, rt)
			continue
		}
		c.used[k.Column], c.used[k.Right] = true, true
		j.leftKeys = append(j.leftKeys, k.Column)
		j.rightKeys = append(j.rightKeys, k.Right)
	}
	switch j.kind.Columns {
	case rule.LeftSide:
		return j, left
	case rule.RightSide:
		for _, col := range right.cols {
			j.rightNames[col.Name] = col.Name
		}
		j.rightCols = right.cols
		return j, right
	}
	j.leftCols = left.cols
	// KQL keeps every left column and adds every right one; a right column whose name is taken
	// gets the smallest number that makes it unique (ResultType1, then ResultType2, ...).
	// https://learn.microsoft.com/kusto/query/join-operator
	out := flow{cols: append([]Column(nil), left.cols...), wide: append(append([]string(nil), left.wide...), right.wide...)}
	taken := map[string]bool{}
	for _, col := range left.cols {
		taken[col.Name] = true
	}
	rightKey := map[string]bool{}
	if lookup {
		for _, k := range j.rightKeys {
			rightKey[k] = true
		}
	}
	for _, col := range right.cols {
		if rightKey[col.Name] {
			continue
		}
		name := col.Name
		for n := 1; taken[name]; n++ {
			name = fmt.Sprintf("%s%d", col.Name, n)
		}
		taken[name] = true
		j.rightNames[col.Name] = name
		if name != col.Name {
			c.alias(name, col.Name)
		}
		j.rightCols = append(j.rightCols, Column{name, col.Type})
	}
	out.cols = append(out.cols, j.rightCols...)
	return j, out
}

func (c *compiler) keyError(k *rule.Key, inLeft, inRight bool, left, right []Column) {
	if k.Column == k.Right {
		side := "left"
		if inLeft {
			side = "right"
		} else if !inRight {
			side = "left and right"
		}
		c.errs.Add(k.Pos, "join key %s is not a column of the %s side%s", k.Column, side, hint(k.Column, append(append([]Column(nil), left...), right...)))
		return
	}
	if !inLeft {
		c.errs.Add(k.Pos, "join key $left.%s == $right.%s: no column %s on the left side%s", k.Column, k.Right, k.Column, hint(k.Column, left))
	}
	if !inRight {
		c.errs.Add(k.Pos, "join key $left.%s == $right.%s: no column %s on the right side%s", k.Column, k.Right, k.Right, hint(k.Right, right))
	}
}

// run runs a join. Keys compare as == does, so strings case-sensitively; empty strings match
// each other, and a null key matches nothing. Rows come in left order, and for each left row in
// right order. What each kind keeps is its row of rule.JoinKinds.
// https://learn.microsoft.com/kusto/query/join-operator
func (j *join) run(r *runner, s *Stage, left, input []record.Row, st *StageStats) ([]record.Row, error) {
	right, rightStats, err := r.rightSide(j, input)
	st.RightStages = rightStats
	if err != nil {
		return nil, err
	}
	st.Right = len(right)
	right = r.filterRows(j.rightFilter, right)
	left = r.filterRows(j.leftFilter, left)
	index := map[string][]int{}
	for i, k := range r.joinKeys(right, j.rightKeys, nil) {
		if k.ok {
			index[k.key] = append(index[k.key], i)
		}
	}
	var leftKeys []rowKey
	if j.kind.DedupLeft && (j.kind.UnmatchedLeft || r.tracer != nil) {
		leftKeys = r.joinKeys(left, j.leftKeys, nil)
	} else {
		// A left row's key finds its partners and, for a kind that keeps the first left row of
		// each key (innerunique), tells the first; of an unmatched row, only a trace (a later
		// row of its key is a duplicate, not unpaired) or a kind giving such rows would read it.
		leftKeys = r.joinKeys(left, j.leftKeys, index)
	}
	if err := j.checkPairs(r.plan.budget.JoinPairs, s, left, leftKeys, index); err != nil {
		return nil, err
	}
	var out []record.Row
	var b record.Builder
	matched := map[string]bool{}
	firstOfKey := map[string]bool{}
	k := j.kind
	keepsRight := k.MatchedRight || k.UnmatchedRight
	var rightMatched []bool
	if keepsRight {
		rightMatched = make([]bool, len(right))
	}
	for li := range left {
		l := &left[li]
		key, ok := leftKeys[li].key, leftKeys[li].ok
		var partners []int
		if ok {
			if k.DedupLeft {
				if firstOfKey[key] {
					continue
				}
				firstOfKey[key] = true
			}
			partners = index[key]
		}
		if len(partners) == 0 {
			switch {
			case !k.UnmatchedLeft:
				if r.tracer != nil {
					r.tracer.Unpaired(s, *l)
				}
			case k.Columns == rule.LeftSide:
				out = append(out, *l)
			default:
				out = append(out, j.pair(&b, l, nil, s.live))
			}
			continue
		}
		matched[key] = true
		if keepsRight {
			for _, ri := range partners {
				rightMatched[ri] = true
			}
		}
		if k.MatchedLeft {
			out = append(out, *l)
		}
		if k.Pairs {
			for _, ri := range partners {
				pair := j.pair(&b, l, &right[ri], s.live)
				out = append(out, pair)
				if r.tracer != nil {
					r.tracer.Paired(s, pair)
				}
			}
		}
	}
	// The right rows a right join keeps come after the left rows', in right order.
	if keepsRight {
		for ri := range right {
			switch {
			case rightMatched[ri] && k.MatchedRight, !rightMatched[ri] && k.UnmatchedRight && k.Columns == rule.RightSide:
				out = append(out, right[ri])
			case !rightMatched[ri] && k.UnmatchedRight:
				out = append(out, j.pair(&b, nil, &right[ri], s.live))
			}
		}
	}
	st.Keys = len(matched)
	return out, nil
}

// rightSide runs a join's right side, from its source or from the rows the pipeline started from
// (input), or after the wheres it begins with when they ran once for several plans (see RunFrom).
func (r *runner) rightSide(j *join, input []record.Row) ([]record.Row, []StageStats, error) {
	if rs := r.start.rightOf(j); rs != nil {
		return r.sharedRight(j, rs)
	}
	start := input
	if j.source != nil {
		var err error
		if start, err = r.rows(j.source); err != nil {
			return nil, nil, err
		}
	}
	return r.stages(j.right, start, start)
}

// checkPairs counts the pairs the join would make, before it makes any, and fails when they are
// more than limit (0: no limit), naming the key that makes the most.
func (j *join) checkPairs(limit int, s *Stage, left []record.Row, leftKeys []rowKey, index map[string][]int) error {
	if limit <= 0 || !j.kind.Pairs {
		return nil
	}
	total := 0
	perKey := map[string]int{}
	firstRow := map[string]int{}
	for li, k := range leftKeys {
		partners := len(index[k.key])
		if !k.ok || partners == 0 || (j.kind.DedupLeft && perKey[k.key] > 0) {
			continue
		}
		if _, seen := firstRow[k.key]; !seen {
			firstRow[k.key] = li
		}
		perKey[k.key] += partners
		total += partners
	}
	if total <= limit {
		return nil
	}
	hottest := ""
	for key, n := range perKey {
		if hottest == "" || n > perKey[hottest] || (n == perKey[hottest] && key < hottest) {
			hottest = key
		}
	}
	n, partners := perKey[hottest], len(index[hottest])
	return &BudgetError{Stage: s, What: "join pairs", Flag: "--max-join-pairs", Limit: limit, Made: total,
		Hottest: describeKey(j.leftKeys, left[firstRow[hottest]]),
		Count:   fmt.Sprintf("%d pairs: %d left rows with %d right rows", n, n/partners, partners)}
}

func (j *join) live(s *Stage, after columnSet) columnSet {
	switch j.kind.Columns {
	case rule.LeftSide:
		return after.with(j.leftKeys...)
	case rule.RightSide:
		markLive(j.right, after.with(j.rightKeys...))
		return columnSet{}.with(j.leftKeys...)
	}
	var rightNeed columnSet
	if after != nil {
		rightNeed = columnSet{}
		for orig, name := range j.rightNames {
			if after[name] {
				rightNeed[orig] = true
			}
		}
	}
	markLive(j.right, rightNeed.with(j.rightKeys...))
	return after.with(j.leftKeys...)
}

func (j *join) follow(origin map[string]string) (map[string]string, bool) { return noneAsIs(origin) }
func (j *join) filter() *kqlexpr.Program                                  { return nil }
func (j *join) rowWise() bool                                             { return false }
func (j *join) splittable() bool                                          { return false }

// pair makes the joined row of l and rr, or of one of them alone (the other side's columns null)
// when the other is nil, with the columns read later (live).
// The rows are built with values, whose layouts the pairs share.
func (j *join) pair(values *record.Builder, l, rr *record.Row, live columnSet) record.Row {
	if l == nil {
		for _, col := range j.leftCols {
			if live.has(col.Name) {
				values.Set(col.Name, col.Type.Zero())
			}
		}
		j.putRight(values, rr, live)
		return values.Row(rr.Sources)
	}
	for k, v := range l.All() {
		if live.has(k) {
			values.Add(k, v)
		}
	}
	if rr == nil {
		for _, col := range j.rightCols {
			if live.has(col.Name) {
				values.Set(col.Name, col.Type.Zero())
			}
		}
		return values.Row(l.Sources)
	}
	j.putRight(values, rr, live)
	sources := make([]record.Source, 0, len(l.Sources)+len(rr.Sources))
	return values.Row(append(append(sources, l.Sources...), rr.Sources...))
}

// putRight puts the right row's columns read later into values, under their joined names.
func (j *join) putRight(values *record.Builder, rr *record.Row, live columnSet) {
	for k, v := range rr.All() {
		if name, ok := j.rightNames[k]; ok && live.has(name) {
			values.Set(name, v)
		}
	}
}
