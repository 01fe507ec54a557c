package pipeline

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/signin-detect/detect/engine/record"
)

// A hunt evaluates a rule as a Sentinel scheduled rule at instants Schedule.First, First+Every,
// ..., each evaluation with now at its instant over the rows of (instant - queryPeriod, instant].
// Running the rule over each window would run every row through the stages once per window that
// holds it (queryPeriod/Every times). A rule a stream can run (row-wise stages around at most one
// inner join) is instead evaluated in one pass over its rows in time order, each row carrying the
// set of instants whose window holds it, as the stream would run it:
//
//   - a row at t is in the window of the instants in [t, t+queryPeriod);
//   - a stage that reads no clock gives the same rows at every instant, so it runs once and its
//     rows carry the instants of the row they came from;
//   - a where that reads the clock (TimeGenerated > ago(2h)) runs at each of the row's instants
//     and keeps the row for those at which it holds;
//   - any other stage that reads the clock (extend Age = now() - TimeGenerated) gives other rows at
//     each instant: then each row runs through the stages once per instant, as the windows would;
//   - a join pairs a row with the other side's held rows under its key, for the instants both
//     carry (an evaluation pairs only the rows of its own window), and forgets a held row once it
//     is queryPeriod older than the newest row, as a stream does.
//
// Each row the rule gives is thus found with the instants whose evaluation gives it; it is handed
// on with the first of them once no later row can give one at that instant or before, in the order
// of the instants and, within one instant, in the order the evaluation at that instant gives its
// rows (the rows' read order; a join's pairs in left order, then right order). A rule that fails
// at an instant (a stage's error, or a join's pairs over the budget at that instant) fails there,
// as the evaluation would: the rows of the instants before it are handed on, none after.

// Schedule is when a scheduled rule is evaluated: Count instants from First, Every apart.
type Schedule struct {
	First time.Time
	Every time.Duration
	Count int
}

// Found is a row a scheduled rule gives, with the first instant whose evaluation gives it.
type Found struct {
	Row record.Row
	At  time.Time
}

// InstantError is a scheduled rule's failure at an instant: the evaluation then would have failed.
type InstantError struct {
	At  time.Time
	Err error
}

func (e *InstantError) Error() string { return e.Err.Error() }
func (e *InstantError) Unwrap() error { return e.Err }

// Scheduled evaluates a plan at the instants of a schedule in one pass over its rows.
type Scheduled struct {
	stream *Stream // the plan's stages, split around its join as a stream runs them
	sched  Schedule
	period time.Duration
	clock  *time.Time
	emit   func(Found) error
	// perInstant is set when a stage other than a where reads the clock: each row then runs
	// through the stages once per instant.
	perInstant bool

	left, right map[string][]timedRow
	queue       []queued
	head        int
	newest      time.Time

	// pending holds the rows found that may not be handed on yet; settled is the instant before
	// which everything found has been handed on.
	pending []foundRow
	settled int
	// foundAt counts, for each instant, the rows its evaluation gives; pairsAt the pairs its
	// join makes, for the budget.
	foundAt, pairsAt []int
	// failAt is the first instant at which the rule fails (Count: none), failure why.
	failAt  int
	failure error
}

// instants are indexes of a schedule's instants: ascending, disjoint spans [lo, hi).
type instants []span

type span struct{ lo, hi int }

func (s instants) first() int { return s[0].lo }

func (s instants) each(f func(k int)) {
	for _, sp := range s {
		for k := sp.lo; k < sp.hi; k++ {
			f(k)
		}
	}
}

// with is s with k added, k after every instant of s.
func (s instants) with(k int) instants {
	if n := len(s); n > 0 && s[n-1].hi == k {
		s[n-1].hi++
		return s
	}
	return append(s, span{k, k + 1})
}

// intersect is the instants in both a and b.
func intersect(a, b instants) instants {
	var out instants
	for i, j := 0, 0; i < len(a) && j < len(b); {
		if lo, hi := max(a[i].lo, b[j].lo), min(a[i].hi, b[j].hi); lo < hi {
			out = append(out, span{lo, hi})
		}
		if a[i].hi < b[j].hi {
			i++
		} else {
			j++
		}
	}
	return out
}

// timedRow is a row with the instants whose evaluations have it, and where an evaluation has it
// among its rows: the read position of the row(s) it came from and its place among the rows made
// of them, one pair of numbers per side of a join.
type timedRow struct {
	row   record.Row
	at    instants
	order []int
}

type foundRow struct {
	timedRow
	first int
}

// NewScheduled prepares plan, compiled with Options.Clock = clock, to be evaluated at the instants
// of sched; emit gets each row found. It tells why when the plan cannot be (see NewStream).
func NewScheduled(plan *Plan, clock *time.Time, sched Schedule, emit func(Found) error) (*Scheduled, error) {
	stream, err := NewStream(plan, clock, nil)
	if err != nil {
		return nil, err
	}
	sc := &Scheduled{stream: stream, sched: sched, period: plan.Rule.Meta.QueryPeriod, clock: clock, emit: emit,
		left: map[string][]timedRow{}, right: map[string][]timedRow{}, foundAt: make([]int, sched.Count), failAt: sched.Count}
	if plan.budget.JoinPairs > 0 && stream.join != nil {
		sc.pairsAt = make([]int, sched.Count)
	}
	stages := slices.Concat(stream.prefix, stream.suffix)
	if stream.joinOp != nil {
		stages = append(stages, stream.joinOp.right...)
	}
	sc.perInstant = slices.ContainsFunc(stages, func(st *Stage) bool { return st.readsClock && st.op.filter() == nil })
	return sc, nil
}

// instant is the time of the k-th instant.
func (sc *Scheduled) instant(k int) time.Time {
	return sc.sched.First.Add(time.Duration(k) * sc.sched.Every)
}

// firstAtOrAfter is the index of the first instant at or after t (Count when none is).
func (sc *Scheduled) firstAtOrAfter(t time.Time) int {
	d := t.Sub(sc.sched.First)
	if d <= 0 {
		return 0
	}
	return int(min((d+sc.sched.Every-1)/sc.sched.Every, time.Duration(sc.sched.Count)))
}

// Push evaluates one row, at pos in the order the rows were read; rows come in time order (rows of
// the same time in read order).
func (sc *Scheduled) Push(row record.Row, pos int) error {
	at, _ := row.Get(TimeColumn).(time.Time)
	// Later rows are at or after at, so what they give is at the instants from it on.
	lo := sc.firstAtOrAfter(at)
	if err := sc.settle(lo); err != nil || sc.failAt < sc.sched.Count && lo >= sc.failAt {
		return cmp.Or(err, sc.failed())
	}
	if at.After(sc.newest) {
		sc.newest = at
		sc.forget()
	}
	// The row is in the window of the instants in [at, at+queryPeriod).
	hi := sc.firstAtOrAfter(at.Add(sc.period))
	if lo >= hi {
		return nil
	}
	if !sc.perInstant {
		return sc.through(row, pos, at, instants{{lo, hi}})
	}
	for k := lo; k < hi; k++ {
		if err := sc.through(row, pos, at, instants{{k, k + 1}}); err != nil {
			return err
		}
	}
	return nil
}

// Finish hands on what is left once every row was pushed, and tells the failure, if the rule
// failed.
func (sc *Scheduled) Finish() error {
	if err := sc.settle(sc.sched.Count); err != nil {
		return err
	}
	return sc.failed()
}

// Evaluated is how many evaluations ran (up to and with the one that failed); Found how many rows
// they gave in all.
func (sc *Scheduled) Evaluated() int { return min(sc.failAt+1, sc.sched.Count) }

func (sc *Scheduled) Found() int {
	n := 0
	for _, c := range sc.foundAt[:sc.failAt] {
		n += c
	}
	return n
}

func (sc *Scheduled) failed() error {
	if sc.failure == nil {
		return nil
	}
	return &InstantError{At: sc.instant(sc.failAt), Err: sc.failure}
}

// fail records that the evaluation at instant k fails with err, unless one before it does.
func (sc *Scheduled) fail(k int, err error) {
	if k < sc.failAt {
		sc.failAt, sc.failure = k, err
	}
}

// through runs one row, dated when, at the instants at, through the rule.
func (sc *Scheduled) through(row record.Row, pos int, when time.Time, at instants) error {
	s := sc.stream
	rows := []timedRow{{row: row, at: at}}
	var fromBranch []timedRow
	if s.branch == 0 {
		fromBranch = rows
	}
	for i, st := range s.prefix {
		rows = sc.stage(st, rows)
		if i+1 == s.branch {
			fromBranch = rows
		}
	}
	numbered(rows, pos)
	if s.join == nil {
		sc.found(rows)
		return nil
	}
	right := fromBranch
	for _, st := range s.joinOp.right {
		right = sc.stage(st, right)
	}
	numbered(right, pos)
	j := s.joinOp
	for _, l := range rows {
		if !sc.stream.r.hold(j.leftFilter, l.row) {
			continue
		}
		if key, ok := joinKey(l.row, j.leftKeys); ok {
			for _, rr := range sc.right[key] {
				sc.pair(l, rr)
			}
			sc.hold(false, key, l, when)
		}
	}
	for _, rr := range right {
		if !sc.stream.r.hold(j.rightFilter, rr.row) {
			continue
		}
		if key, ok := joinKey(rr.row, j.rightKeys); ok {
			for _, l := range sc.left[key] {
				sc.pair(l, rr)
			}
			sc.hold(true, key, rr, when)
		}
	}
	return nil
}

// numbered gives the rows made of the row read at pos their place among them.
func numbered(rows []timedRow, pos int) {
	for i := range rows {
		rows[i].order = []int{pos, i}
	}
}

// stage runs one row-wise stage over rows. A where that reads the clock runs at each instant of a
// row; any other stage once, with the clock at the row's first instant (in per-instant mode, its
// only one).
func (sc *Scheduled) stage(st *Stage, rows []timedRow) []timedRow {
	var out []timedRow
	for _, tr := range rows {
		if !st.readsClock || len(tr.at) == 1 && tr.at[0].hi-tr.at[0].lo == 1 {
			*sc.clock = sc.instant(tr.at.first())
			made, err := sc.stream.r.stage(st, []record.Row{tr.row}, nil, &StageStats{})
			if err != nil {
				sc.fail(tr.at.first(), err)
				continue
			}
			for _, row := range made {
				out = append(out, timedRow{row: row, at: tr.at})
			}
			continue
		}
		var kept instants
		tr.at.each(func(k int) {
			*sc.clock = sc.instant(k)
			made, err := sc.stream.r.stage(st, []record.Row{tr.row}, nil, &StageStats{})
			switch {
			case err != nil:
				sc.fail(k, err)
			case len(made) > 0:
				kept = kept.with(k)
			}
		})
		if len(kept) > 0 {
			out = append(out, timedRow{row: tr.row, at: kept})
		}
	}
	return out
}

// pair joins a left row with a right one for the instants both are in, and runs the pair through
// the stages after the join.
func (sc *Scheduled) pair(l, rr timedRow) {
	at := intersect(l.at, rr.at)
	if len(at) == 0 {
		return
	}
	if sc.pairsAt != nil {
		limit := sc.stream.plan.budget.JoinPairs
		at.each(func(k int) {
			if sc.pairsAt[k]++; sc.pairsAt[k] > limit {
				s := sc.stream
				sc.fail(k, &BudgetError{Stage: s.join, What: "join pairs", Flag: "--max-join-pairs", Limit: limit, Made: sc.pairsAt[k],
					Hottest: describeKey(s.joinOp.leftKeys, l.row),
					Count:   fmt.Sprintf("over %d pairs at %s, the latest from %s", limit, sc.instant(k).UTC().Format(time.RFC3339), sourcesText(rr.row.Sources))})
			}
		})
	}
	rows := []timedRow{{row: sc.stream.joinOp.pair(&sc.stream.pairs, &l.row, &rr.row, sc.stream.join.live), at: at}}
	for _, st := range sc.stream.suffix {
		rows = sc.stage(st, rows)
	}
	for i := range rows {
		rows[i].order = slices.Concat(l.order, rr.order)
	}
	sc.found(rows)
}

// queued is a row a side holds, by side, key and the time of the row it was made of, in the
// order held, to forget.
type queued struct {
	right bool
	key   string
	at    time.Time
}

// hold keeps a row of a side, made of a row dated at, to pair with the other side's later rows.
func (sc *Scheduled) hold(right bool, key string, tr timedRow, at time.Time) {
	side := sc.left
	if right {
		side = sc.right
	}
	side[key] = append(side[key], tr)
	sc.queue = append(sc.queue, queued{right: right, key: key, at: at})
}

// forget drops the held rows no later row shares an instant with: those at or before the newest
// row's time less the queryPeriod, whose instants are all before it.
func (sc *Scheduled) forget() {
	bound := sc.newest.Add(-sc.period)
	for sc.head < len(sc.queue) && !sc.queue[sc.head].at.After(bound) {
		q := sc.queue[sc.head]
		side := sc.left
		if q.right {
			side = sc.right
		}
		if rows := side[q.key]; len(rows) > 1 {
			side[q.key] = rows[1:]
		} else {
			delete(side, q.key)
		}
		sc.head++
	}
	if sc.head > 1024 && sc.head > len(sc.queue)/2 {
		sc.queue = append(sc.queue[:0:0], sc.queue[sc.head:]...)
		sc.head = 0
	}
}

// found keeps the rows the rule gave until their first instant is settled.
func (sc *Scheduled) found(rows []timedRow) {
	for _, tr := range rows {
		tr.at.each(func(k int) { sc.foundAt[k]++ })
		sc.pending = append(sc.pending, foundRow{timedRow: tr, first: tr.at.first()})
	}
}

// settle hands on the rows found at the instants before upTo (and before the failure, if any), by
// instant and in each instant in the order its evaluation gives them.
func (sc *Scheduled) settle(upTo int) error {
	upTo = min(upTo, sc.failAt)
	if upTo <= sc.settled {
		return nil
	}
	sc.settled = upTo
	var ready, later []foundRow
	for _, f := range sc.pending {
		if f.first < upTo {
			ready = append(ready, f)
		} else {
			later = append(later, f)
		}
	}
	sc.pending = later
	slices.SortStableFunc(ready, func(a, b foundRow) int {
		if a.first != b.first {
			return a.first - b.first
		}
		return slices.Compare(a.order, b.order)
	})
	for _, f := range ready {
		if err := sc.emit(Found{Row: f.row, At: sc.instant(f.first)}); err != nil {
			return err
		}
	}
	return nil
}
