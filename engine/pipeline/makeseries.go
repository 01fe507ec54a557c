package pipeline

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// makeSeries is KQL's make-series: for each group of its keys, one row holding, for each
// aggregate, an array of its value in each bin of the axis (the default where no row falls in a
// bin), and the axis itself: the array of the bins' starts.
// https://learn.microsoft.com/kusto/query/make-series-operator
//
// The bins run from `from` (or, without it, the bin of the smallest axis value in the input,
// bin(min, step)) in steps of `step`, up to `to` excluded (or, without it, to the bin of the
// largest axis value). Learn's alternative syntax, in range(start, stop, step), bins from
// bin(start, step) to bin(stop, step), stop included. Without from and to, Learn's wording leaves open whether each series gets
// its own range; the engine gives every series the input's range, so that all series line up,
// bin for bin, with one axis (as they do when from and to are given).
type makeSeries struct {
	keys     []assignment
	aggs     []*aggregate
	defaults []*kqlexpr.Program
	axis     assignment
	axisType kql.Type
	from, to *kqlexpr.Program
	step     assignment
	// stepLiteral is the step when written as a timespan or number literal (1h, 1d, 10).
	stepLiteral any
	// inRange is set for the alternative syntax, in range(start, stop, step): the bins run from
	// bin(start, step) to bin(stop, step), stop included.
	inRange bool
}

func planMakeSeries(c *compiler, s *rule.Stage, f, _ flow) (operator, flow) {
	spec := s.MakeSeries
	ms := &makeSeries{}
	var out []Column
	add := func(name string, t kql.Type, pos rule.Position) bool {
		if indexOf(out, name) >= 0 {
			c.errs.Add(pos, "make-series makes %s twice; name one of them (Name: ...)", name)
			return false
		}
		out = append(out, Column{name, t})
		return true
	}
	for _, k := range spec.By {
		name := k.Column
		if name == "" {
			src := strings.TrimSpace(k.Expr.Source)
			col, ok := kqlexpr.ColumnName(src)
			if !ok || indexOf(f.cols, col) < 0 {
				c.errs.Add(k.Pos, "make-series by %s: name this group key (- Name: %s), or give a column%s", src, src, hint(src, f.cols))
				continue
			}
			name = col
		}
		a := c.assignment(&rule.Assignment{Column: name, Expr: k.Expr, Pos: k.Pos}, f.cols)
		if add(name, c.typeOf(a, f.cols), k.Pos) {
			ms.keys = append(ms.keys, a)
		}
	}
	for i, a := range spec.Aggregates {
		agg := c.aggregate(a, f.cols)
		if agg == nil {
			continue
		}
		if agg.def.Picks || agg.typ != kql.Long && agg.typ != kql.Int && agg.typ != kql.Real {
			c.errs.Add(a.Expr.Pos, "make-series takes aggregates that give numbers (count, dcount, sum, avg, min, max ...); %s gives a %s", agg.def.Name, agg.typ)
			continue
		}
		var def *kqlexpr.Program
		if spec.Defaults[i] != nil {
			def = c.compile(spec.Defaults[i], nil)
		}
		if add(agg.column, kql.Dynamic, a.Pos) {
			ms.aggs = append(ms.aggs, agg)
			ms.defaults = append(ms.defaults, def)
		}
	}
	if spec.On != nil {
		name, ok := kqlexpr.ColumnName(spec.On.Source)
		if i := indexOf(f.cols, name); !ok || i < 0 {
			c.errs.Add(spec.On.Pos, "make-series on %s: the axis is a column%s", strings.TrimSpace(spec.On.Source), hint(name, f.cols))
		} else {
			c.used[name] = true
			ms.axis = assignment{column: name, copyOf: name}
			ms.axisType = f.cols[i].Type
			if t := ms.axisType; t != kql.Datetime && t != kql.Timespan && t != kql.Long && t != kql.Int {
				c.errs.Add(spec.On.Pos, "make-series on %s: the axis is a datetime, timespan or whole-number column; %s is a %s", name, name, t)
			}
			add(name, kql.Dynamic, spec.On.Pos)
		}
	}
	from, to, step := spec.From, spec.To, spec.Step
	if spec.In != nil {
		if parts := rangeArgs(spec.In); parts == nil {
			c.errs.Add(spec.In.Pos, "make-series in: write range(start, stop, step)")
		} else {
			ms.inRange = true
			from, to, step = parts[0], parts[1], parts[2]
		}
	}
	if from != nil {
		ms.from = c.compile(from, nil)
	}
	if to != nil {
		ms.to = c.compile(to, nil)
	}
	if step != nil {
		src := strings.TrimSpace(step.Source)
		if d, err := kql.ParseTimespan(src); err == nil && ms.axisType != kql.Long && ms.axisType != kql.Int {
			ms.stepLiteral = d
		} else if n, err := strconv.ParseInt(src, 10, 64); err == nil {
			ms.stepLiteral = n
		} else {
			ms.step = assignment{prog: c.compile(step, nil)}
		}
	}
	f.cols = out
	f.wide = nil
	return ms, f
}

// bins is a make-series' axis: its first bin's start and its width, in the axis's units
// (nanoseconds for datetimes and timespans), and how many bins there are.
type bins struct {
	start, step int64
	n           int64
}

// units turns an axis value into the axis's units; ok is false for null.
func units(v any) (int64, bool) {
	switch x := v.(type) {
	case time.Time:
		return x.UnixNano(), true
	case time.Duration:
		return int64(x), true
	}
	if v == nil {
		return 0, false
	}
	return kql.ToLong(v)
}

// value turns units back into a value of the axis's type.
func (ms *makeSeries) value(u int64) any {
	switch ms.axisType {
	case kql.Datetime:
		return time.Unix(0, u).UTC()
	case kql.Timespan:
		return time.Duration(u)
	}
	return u
}

// scalar runs a program that reads no column.
func (r *runner) scalarValue(p *kqlexpr.Program) (any, error) {
	v, err := r.eval(p, record.Row{})
	return normalise(v), err
}

// bins works out the axis over the input's axis values (lo and hi, when any row has one).
func (ms *makeSeries) bins(r *runner, lo, hi any) (bins, bool, error) {
	stepValue := ms.stepLiteral
	if stepValue == nil {
		v, err := r.scalarValue(ms.step.prog)
		if err != nil {
			return bins{}, false, err
		}
		if s, ok := v.(string); ok {
			if d, err := kql.ParseTimespan(s); err == nil {
				v = d
			}
		}
		stepValue = v
	}
	step, ok := units(stepValue)
	if !ok || step <= 0 {
		return bins{}, false, fmt.Errorf("make-series step %v is not a positive timespan or number", stepValue)
	}
	var b bins
	b.step = step
	switch {
	case ms.from != nil:
		v, err := r.scalarValue(ms.from)
		if err != nil {
			return bins{}, false, err
		}
		if ms.inRange {
			if v, err = kql.Bin(v, stepValue); err != nil {
				return bins{}, false, err
			}
		}
		if b.start, ok = units(v); !ok {
			return bins{}, false, nil
		}
	case lo != nil:
		binned, err := kql.Bin(lo, stepValue)
		if err != nil {
			return bins{}, false, err
		}
		b.start, _ = units(binned)
	default:
		return bins{}, false, nil
	}
	switch {
	case ms.to != nil:
		v, err := r.scalarValue(ms.to)
		if err != nil {
			return bins{}, false, err
		}
		end, ok := units(v)
		if !ok {
			return bins{}, false, nil
		}
		b.n = (end - b.start + step - 1) / step
		if ms.inRange {
			b.n = floorDivide(end-b.start, step) + 1
		}
	case hi != nil:
		last, _ := units(hi)
		b.n = (last-b.start)/step + 1
	}
	if b.n <= 0 {
		return bins{}, false, nil
	}
	if b.n > 1<<20 {
		return bins{}, false, fmt.Errorf("make-series would make %d bins; KQL's limit is 1048576 (2^20): widen the step or narrow the range", b.n)
	}
	return b, true, nil
}

// rangeArgs splits range(start, stop, step) into its three arguments (the step may be a timespan
// literal such as 1d, which is no expression), nil when e is not such a call.
func rangeArgs(e *rule.Expr) []*rule.Expr {
	src := []rune(e.Source)
	open := strings.IndexRune(e.Source, '(')
	if open < 0 || strings.TrimSpace(e.Source[:open]) != "range" || !strings.HasSuffix(strings.TrimSpace(e.Source), ")") {
		return nil
	}
	start := len([]rune(e.Source[:open])) + 1
	end := len([]rune(strings.TrimRightFunc(e.Source, unicode.IsSpace))) - 1
	var parts []*rule.Expr
	depth, quote := 0, rune(0)
	from := start
	for i := start; i < end; i++ {
		r := src[i]
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'' || r == '`':
			quote = r
		case r == '(' || r == '[':
			depth++
		case r == ')' || r == ']':
			depth--
		case r == ',' && depth == 0:
			parts = append(parts, e.Part(from, i-from))
			from = i + 1
		}
	}
	parts = append(parts, e.Part(from, end-from))
	if len(parts) != 3 {
		return nil
	}
	return parts
}

func floorDivide(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// seriesGroup is one group of a make-series: its keys, each bin's aggregate states (made when a
// row first falls in the bin), and the records it was made from.
type seriesGroup struct {
	keys    []any
	rows    []*record.Row
	sources sourceSet
}

func (ms *makeSeries) run(r *runner, s *Stage, rows, _ []record.Row, _ *StageStats) ([]record.Row, error) {
	groups := map[string]*seriesGroup{}
	var order []*seriesGroup
	var lo, hi any
	var loU, hiU int64
	for i := range rows {
		row := &rows[i]
		u, ok := units(row.Get(ms.axis.column))
		if !ok {
			continue // a row without an axis value falls in no bin
		}
		if lo == nil || u < loU {
			lo, loU = row.Get(ms.axis.column), u
		}
		if hi == nil || u > hiU {
			hi, hiU = row.Get(ms.axis.column), u
		}
		keys, err := r.groupKeys(s, ms.keys, row)
		if err != nil {
			return nil, err
		}
		id := groupKey(keys)
		g, ok := groups[id]
		if !ok {
			if limit := r.plan.budget.Groups; limit > 0 && len(order) >= limit {
				return nil, ms.overBudget(s, limit, order, row)
			}
			g = &seriesGroup{keys: keys}
			groups[id] = g
			order = append(order, g)
		}
		g.rows = append(g.rows, row)
	}
	b, ok, err := ms.bins(r, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("%s: stage %s: %w", s.Rule.Pos, s.Rule.Label(), err)
	}
	if !ok {
		return nil, nil
	}
	defaults := make([]any, len(ms.aggs))
	for a, agg := range ms.aggs {
		defaults[a] = int64(0)
		if ms.defaults[a] != nil {
			v, err := r.scalarValue(ms.defaults[a])
			if err != nil {
				return nil, err
			}
			defaults[a] = v
		}
		if agg.typ == kql.Real {
			if f, ok := kql.ToReal(defaults[a]); ok {
				defaults[a] = f
			}
		}
	}
	consts, err := r.constsOf(ms.aggs)
	if err != nil {
		return nil, fmt.Errorf("%s: stage %s: %w", s.Rule.Pos, s.Rule.Label(), err)
	}
	axis := make([]any, b.n)
	for i := range axis {
		axis[i] = ms.value(b.start + int64(i)*b.step)
	}
	var out []record.Row
	var values record.Builder
	for _, g := range order {
		states := make([][]aggState, b.n)
		for _, row := range g.rows {
			u, _ := units(row.Get(ms.axis.column))
			if u < b.start {
				continue
			}
			bin := (u - b.start) / b.step
			if bin >= b.n {
				continue
			}
			if states[bin] == nil {
				for a, agg := range ms.aggs {
					states[bin] = append(states[bin], newState(agg, consts[a]))
				}
			}
			for a := range ms.aggs {
				if err := states[bin][a].add(r, row); err != nil {
					return nil, r.fail(s, *row, err)
				}
			}
			g.sources.add(row.Sources)
		}
		if len(g.sources.list) == 0 {
			continue // every row of the group fell outside the range
		}
		for k, key := range ms.keys {
			values.Set(key.column, g.keys[k])
		}
		for a, agg := range ms.aggs {
			series := make([]any, b.n)
			for i := range series {
				series[i] = defaults[a]
				if states[i] != nil {
					series[i] = normalise(states[i][a].state.Value())
				}
			}
			values.Set(agg.column, series)
		}
		values.Set(ms.axis.column, append([]any(nil), axis...))
		out = append(out, values.Row(g.sources.list))
	}
	return out, nil
}

// overBudget is the error of a make-series that would make more series than limit, at row, as a
// summarize's is: it names the largest group so far.
func (ms *makeSeries) overBudget(s *Stage, limit int, groups []*seriesGroup, row *record.Row) error {
	largest := groups[0]
	for _, g := range groups {
		if len(g.rows) > len(largest.rows) {
			largest = g
		}
	}
	columns := make([]string, len(ms.keys))
	var values record.Builder
	for k, key := range ms.keys {
		columns[k] = key.column
		values.Set(key.column, largest.keys[k])
	}
	return &BudgetError{Stage: s, What: "groups", Flag: "--max-groups", Limit: limit, Made: limit + 1,
		Hottest: describeKey(columns, values.Row(nil)), Count: fmt.Sprintf("%d rows, the largest group when the row from %s made one too many", len(largest.rows), sourcesText(row.Sources))}
}

func (ms *makeSeries) live(s *Stage, _ columnSet) columnSet { return setOf(s.In) }
func (ms *makeSeries) follow(origin map[string]string) (map[string]string, bool) {
	return noneAsIs(origin)
}
func (ms *makeSeries) filter() *kqlexpr.Program { return nil }
func (ms *makeSeries) rowWise() bool            { return false }
func (ms *makeSeries) splittable() bool         { return false }
