package session

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/output"
	"github.com/signin-detect/detect/engine/pipeline"
	"github.com/signin-detect/detect/engine/record"
)

// A hunt runs each rule over a whole export as Sentinel would have run it as a scheduled rule all
// along: at every instant that is a whole multiple of the rule's queryFrequency since
// 1970-01-01T00:00:00Z (--every overrides it; without either, the queryPeriod), with now at that
// instant and the records of the rule's queryPeriod up to it, (now - queryPeriod, now], as the
// rows of its tables. An alert found at several instants is written once, with the first of them
// (its window); two alerts are the same when their rule and projected values are equal.
//
// The input is read once and each table's rows indexed by TimeGenerated, so that an evaluation
// reads only its window's rows; a record without a TimeGenerated is in no window. A rule a stream
// can run is evaluated incrementally instead: its rows go through it once, in time order, each
// with the instants whose window holds it (pipeline.Scheduled), which gives the alerts of every
// evaluation, each with the first instant that finds it, as evaluating it at each instant would.

// HuntConfig is what a hunt reads and when it evaluates the rules.
type HuntConfig struct {
	Input Input
	// From and To bound the instants (zero: from the oldest record to the first instant at or
	// after the newest).
	From, To time.Time
	// Every, when set, is how often every rule is evaluated, instead of its queryFrequency.
	Every time.Duration
	// PerInstant evaluates every rule at each instant over its window's rows, even those that
	// could be evaluated incrementally (to compare the two).
	PerInstant bool
}

// Hunt is a hunt ready to go: its rules planned against a clock each evaluation sets, and its
// input read and indexed by time.
type Hunt struct {
	Plans []*pipeline.Plan
	Read  *Read
	// Untimed counts the rows of each table that have no TimeGenerated, which no window holds.
	Untimed map[string]int
	cfg     HuntConfig
	clock   *time.Time
	byTime  map[string]timeIndex
}

// timeIndex is a table's rows in the order they were read, and their positions sorted by
// TimeGenerated with those times, so that a window's rows are found by two binary searches and
// handed on in the order they were read (as a batch run over the same input has them: make_list
// and the like keep that order).
type timeIndex struct {
	rows   []record.Row
	byTime []int
	times  []time.Time
}

// window is the rows with a time in (from, to], in the order they were read; all up to to when
// from is zero.
func (ix timeIndex) window(from, to time.Time) []record.Row {
	lo := 0
	if !from.IsZero() {
		lo = sort.Search(len(ix.times), func(i int) bool { return ix.times[i].After(from) })
	}
	hi := sort.Search(len(ix.times), func(i int) bool { return ix.times[i].After(to) })
	if hi <= lo {
		return nil
	}
	positions := ix.byTime[lo:hi]
	if !slices.IsSorted(positions) { // input read in time order needs no sorting
		positions = slices.Sorted(slices.Values(positions))
	}
	rows := make([]record.Row, len(positions))
	for i, p := range positions {
		rows[i] = ix.rows[p]
	}
	return rows
}

// PrepareHunt compiles the rules against a clock and reads the input once.
func PrepareHunt(rs *Rules, cfg HuntConfig, hooks Hooks) (*Hunt, error) {
	clock := new(time.Time)
	plans, err := rs.Compile(pipeline.Options{Clock: clock})
	if err != nil {
		return nil, err
	}
	h := &Hunt{Plans: plans, cfg: cfg, clock: clock, Untimed: map[string]int{}, byTime: map[string]timeIndex{}}
	for _, p := range plans {
		if _, err := h.every(p); err != nil {
			return nil, err
		}
	}
	if hooks.BeforeRead != nil {
		if err := hooks.BeforeRead(plans); err != nil {
			return nil, err
		}
	}
	h.Read = newRead(hooks, nil)
	if err := readInput(plans, newReadFilters(plans, false), false, cfg.Input, h.Read, false); err != nil {
		return nil, err
	}
	for table, rows := range h.Read.Rows {
		ix := timeIndex{}
		for _, row := range rows {
			if _, ok := row.Get(pipeline.TimeColumn).(time.Time); ok {
				ix.byTime = append(ix.byTime, len(ix.rows))
				ix.rows = append(ix.rows, row)
			} else {
				h.Untimed[table]++
			}
		}
		timeOf := func(p int) time.Time { return ix.rows[p].Get(pipeline.TimeColumn).(time.Time) }
		sort.SliceStable(ix.byTime, func(i, j int) bool { return timeOf(ix.byTime[i]).Before(timeOf(ix.byTime[j])) })
		ix.times = make([]time.Time, len(ix.byTime))
		for i, p := range ix.byTime {
			ix.times[i] = timeOf(p)
		}
		h.byTime[table] = ix
	}
	return h, nil
}

// every is how often plan is evaluated.
func (h *Hunt) every(p *pipeline.Plan) (time.Duration, error) {
	m := p.Rule.Meta
	switch {
	case h.cfg.Every > 0:
		return h.cfg.Every, nil
	case m.QueryFrequency > 0:
		return m.QueryFrequency, nil
	case m.QueryPeriod > 0:
		return m.QueryPeriod, nil
	}
	return 0, fmt.Errorf("%s: the rule has neither queryFrequency nor queryPeriod: give --every to say how often to evaluate it", p.Rule.File)
}

// Instants are the instants plan is evaluated at: the whole multiples of every since the Unix
// epoch from the hunt's start to its end.
func (h *Hunt) Instants(p *pipeline.Plan) []time.Time {
	every, _ := h.every(p)
	from, to := h.cfg.From, h.cfg.To
	if from.IsZero() {
		from = h.Read.Oldest
	}
	if to.IsZero() {
		to = alignUp(h.Read.Newest, every)
	}
	if from.IsZero() || to.Before(from) {
		return nil
	}
	var out []time.Time
	for t := alignUp(from, every); !t.After(to); t = t.Add(every) {
		out = append(out, t)
	}
	return out
}

// alignUp is the first whole multiple of every since the Unix epoch at or after t.
func alignUp(t time.Time, every time.Duration) time.Time {
	ns := t.UnixNano()
	k := ns / int64(every)
	if k*int64(every) < ns {
		k++
	}
	return time.Unix(0, k*int64(every)).UTC()
}

// HuntResult is what hunting with one rule gave.
type HuntResult struct {
	Result
	// Instants is how many times the rule was evaluated; Found how many alerts the evaluations
	// gave before those found again were dropped.
	Instants, Found int
	// Incremental tells that the rule's rows went through it once (see pipeline.Scheduled), not
	// once per evaluation.
	Incremental bool
}

// Run evaluates each rule at each of its instants, over its window's rows, and hands each alert
// to write the first time it is found. A rule that fails while running has its Err set (its
// alerts found before stand) and the others run on; an error of write stops the hunt.
func (h *Hunt) Run(write func(output.Alert) error) ([]HuntResult, error) {
	results := make([]HuntResult, len(h.Plans))
	for i, plan := range h.Plans {
		res := &results[i]
		res.Plan = plan
		ref, columns := AlertShape(plan)
		entities := EntityShape(plan)
		seen := map[string]bool{}
		// write hands on an alert found at an instant, the first time it is found.
		write := func(row record.Row, at time.Time) error {
			key := alertKey(columns, row)
			if seen[key] {
				return nil
			}
			seen[key] = true
			res.Alerts++
			return write(output.Alert{Rule: ref, Columns: columns, Row: row, Entities: entities, Window: at})
		}
		res.Warnings = tablesWithoutRowsWarnings(runFacts{plan: plan, records: h.Read.ByTable})
		if incremental, err := h.incrementally(plan, res, write); incremental || err != nil {
			if err != nil {
				return results, err
			}
			continue
		}
		for _, at := range h.Instants(plan) {
			res.Instants++
			rows, err := h.evaluate(plan, at)
			if err != nil {
				res.Err = fmt.Errorf("at %s: %w", kql.FormatDatetime(at), err)
				break
			}
			if !plan.Rule.Meta.Passes(int64(len(rows))) {
				rows = nil // as in a batch run: no alert from a result that does not pass the trigger
			}
			res.Found += len(rows)
			for _, row := range rows {
				if err := write(row, at); err != nil {
					return results, err
				}
			}
		}
	}
	return results, nil
}

// incrementally evaluates plan at its instants in one pass over its rows, when it can be (a rule a
// stream runs, whose trigger is any alert: a trigger counts one evaluation's rows), handing each
// row found to write with its first instant. It tells whether it did; the error is write's.
func (h *Hunt) incrementally(plan *pipeline.Plan, res *HuntResult, write func(record.Row, time.Time) error) (bool, error) {
	if m := plan.Rule.Meta; h.cfg.PerInstant || m.TriggerOperator != "" && !(m.TriggerOperator == "gt" && m.TriggerThreshold == 0) {
		return false, nil
	}
	instants := h.Instants(plan)
	if len(instants) == 0 {
		return false, nil
	}
	every, _ := h.every(plan)
	var writeErr error
	sc, err := pipeline.NewScheduled(plan, h.clock, pipeline.Schedule{First: instants[0], Every: every, Count: len(instants)},
		func(f pipeline.Found) error {
			writeErr = write(f.Row, f.At)
			return writeErr
		})
	if err != nil {
		return false, nil // it cannot stream: evaluated at each instant
	}
	res.Incremental = true
	// Only the rows of the windows: after the first instant less the queryPeriod, up to the last.
	ix := h.byTime[plan.Inputs[0].Table.Name]
	from := instants[0].Add(-plan.Rule.Meta.QueryPeriod)
	lo := sort.Search(len(ix.times), func(i int) bool { return ix.times[i].After(from) })
	hi := sort.Search(len(ix.times), func(i int) bool { return ix.times[i].After(instants[len(instants)-1]) })
	for i := lo; i < hi && err == nil; i++ {
		err = sc.Push(ix.rows[ix.byTime[i]], ix.byTime[i])
	}
	if err == nil {
		err = sc.Finish()
	}
	res.Instants, res.Found = sc.Evaluated(), sc.Found()
	if writeErr != nil {
		return true, writeErr
	}
	var failed *pipeline.InstantError
	if errors.As(err, &failed) {
		res.Err = fmt.Errorf("at %s: %w", kql.FormatDatetime(failed.At), failed.Err)
	}
	return true, nil
}

// evaluate runs plan with now at at over the rows of its window.
func (h *Hunt) evaluate(plan *pipeline.Plan, at time.Time) ([]record.Row, error) {
	var from time.Time
	if period := plan.Rule.Meta.QueryPeriod; period > 0 {
		from = at.Add(-period)
	}
	tables := make(map[string][]record.Row, len(plan.Inputs))
	for _, in := range plan.Inputs {
		tables[in.Table.Name] = h.byTime[in.Table.Name].window(from, at)
	}
	*h.clock = at
	rows, _, err := plan.Run(tables)
	return rows, err
}

// alertKey is what tells an alert of a rule from another: its projected values.
func alertKey(columns []string, row record.Row) string {
	var b strings.Builder
	for _, col := range columns {
		v := row.Get(col)
		// the type as well as the text: the string "1" is not the long 1
		fmt.Fprintf(&b, "%T\x00%s\x00", v, kql.ToString(v))
	}
	return b.String()
}
