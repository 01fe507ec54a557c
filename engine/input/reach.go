package input

import (
	"encoding/binary"
	"slices"
	"time"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/schema"
)

// A Filter's conditions are of two kinds. Most read columns whose values repeat (an app, a token
// type, a tenant, a result): their answers are kept by the text of those columns, so a record that
// repeats them is neither decoded nor tested again, and one lookup tells which targets it reaches.
// Others read columns whose values hardly repeat (a device's details, a time): keeping their answers
// would fill a table with keys met once and make every lookup miss, so they are tested, only for
// the records that meet every cheap condition of a way they are on. Which columns repeat is found
// by looking at the first records each reading goroutine sees.
const (
	filterTrial   = 256 // records looked at before judging the columns
	filterRepeats = 4   // a column repeats when it has at most 1 value per filterRepeats records
	maxAnswers    = 1 << 16
)

// compiledFilter is a Filter for one converter: each condition's columns as the converter's
// column indexes.
type compiledFilter struct {
	*Filter
	// columns indexes the filter's columns in the converter's; conds each condition's.
	columns []int
	conds   [][]int
	// lookback tells the conditions that are some target's lookback: never kept by text.
	lookback []bool
}

func compileFilter(f *Filter, cols []schema.Column) *compiledFilter {
	cf := &compiledFilter{Filter: f, lookback: make([]bool, len(f.Conditions))}
	index := func(name string) int {
		return slices.IndexFunc(cols, func(c schema.Column) bool { return c.Name == name })
	}
	for _, c := range f.Conditions {
		var idx []int
		for _, name := range c.Columns {
			if i := index(name); i >= 0 {
				idx = append(idx, i)
				if !slices.Contains(cf.columns, i) {
					cf.columns = append(cf.columns, i)
				}
			}
		}
		cf.conds = append(cf.conds, idx)
	}
	for _, t := range f.Targets {
		for _, c := range t.Lookbacks {
			cf.lookback[c] = true
		}
	}
	return cf
}

// filterRoom is what one goroutine keeps to filter the records of one converter.
type filterRoom struct {
	f     *compiledFilter
	tests []func(map[string]any) bool
	// known holds, for the record at hand, each condition's answer (0 not yet tested, 1 met,
	// 2 failed); few the filter columns decoded for it; failed is set when one failed to decode.
	known  []int8
	few    map[string]any
	failed bool
	// seen counts the records filtered; distinct holds, during the trial, the texts of each filter
	// column (as f.columns orders them).
	seen     int
	distinct []map[string]bool
	// After the trial: cheap tells the conditions kept by text, keyed the columns they read, ways
	// each target's ways with their cheap conditions first; answers holds what is known for a
	// text of the keyed columns.
	cheap   []bool
	keyed   []int
	ways    [][][]int
	answers map[string]*answer
	key     []byte
	// reaches holds each reach set made, by its bits; bits is room for a record's.
	reaches map[string]*Reach
	bits    []uint64
	// record is the record missed tells the targets of, which holdsForRecord (made once, as a
	// closure made for each record would be an allocation each) tests.
	record struct {
		c    *converter
		hits []found
		strs *interner
	}
	holdsForRecord func(condition int) bool
}

// answer is what the cheap conditions say for a text of the keyed columns: each one's answer and,
// when they alone settle it, the targets reached.
type answer struct {
	known   []int8
	reach   *Reach
	settled bool
}

func newFilterRoom(f *compiledFilter) *filterRoom {
	r := &filterRoom{f: f, known: make([]int8, len(f.Conditions)), few: map[string]any{},
		answers: map[string]*answer{}, reaches: map[string]*Reach{}, bits: make([]uint64, (len(f.Targets)+63)/64)}
	r.holdsForRecord = func(i int) bool { return r.holds(r.record.c, r.record.hits, r.record.strs, i) }
	for _, c := range f.Conditions {
		r.tests = append(r.tests, c.NewTest())
	}
	for range f.columns {
		r.distinct = append(r.distinct, map[string]bool{})
	}
	r.ways = make([][][]int, len(f.Targets))
	for t, target := range f.Targets {
		r.ways[t] = target.Ways
	}
	return r
}

// judge ends the trial: the conditions whose columns repeat become cheap, and each way tests them
// first.
func (r *filterRoom) judge() {
	repeats := map[int]bool{}
	for k, col := range r.f.columns {
		repeats[col] = len(r.distinct[k])*filterRepeats <= r.seen
	}
	r.distinct = nil
	r.cheap = make([]bool, len(r.f.Conditions))
	for i, cols := range r.f.conds {
		r.cheap[i] = !r.f.lookback[i] && !slices.ContainsFunc(cols, func(c int) bool { return !repeats[c] })
		if r.cheap[i] {
			for _, c := range cols {
				if !slices.Contains(r.keyed, c) {
					r.keyed = append(r.keyed, c)
				}
			}
		}
	}
	slices.Sort(r.keyed)
	for t, ways := range r.ways {
		ordered := make([][]int, len(ways))
		for w, way := range ways {
			ordered[w] = append([]int(nil), way...)
			slices.SortStableFunc(ordered[w], func(a, b int) int {
				switch {
				case r.cheap[a] == r.cheap[b]:
					return 0
				case r.cheap[a]:
					return -1
				}
				return 1
			})
		}
		r.ways[t] = ordered
	}
}

// holds tells whether condition i holds for the record, decoding its columns and testing it once.
func (r *filterRoom) holds(c *converter, hits []found, strs *interner, i int) bool {
	if r.known[i] == 0 {
		for _, col := range r.f.conds[i] {
			if _, done := r.few[c.columns[col].Name]; !done && c.value(col, hits, strs, r.few) != nil {
				r.failed = true
			}
		}
		r.known[i] = 2
		if r.failed || r.tests[i](r.few) {
			r.known[i] = 1
		}
	}
	return r.known[i] == 1
}

// reach is the set of targets the record reaches (nil when none); settled tells whether the cheap
// conditions alone said it.
func (r *filterRoom) reach(c *converter, hits []found, strs *interner) (reach *Reach, settled bool) {
	settled = true
	clear(r.bits)
	for t, ways := range r.ways {
		if len(ways) == 0 {
			r.bits[t/64] |= 1 << (t % 64)
			continue
		}
		for _, way := range ways {
			met := true
			for _, cond := range way {
				if r.cheap == nil || !r.cheap[cond] {
					settled = false
				}
				if !r.holds(c, hits, strs, cond) {
					met = false
					break
				}
			}
			if met {
				r.bits[t/64] |= 1 << (t % 64)
				break
			}
		}
	}
	if !slices.ContainsFunc(r.bits, func(b uint64) bool { return b != 0 }) {
		return nil, settled
	}
	key := make([]byte, 0, 8*len(r.bits))
	for _, b := range r.bits {
		key = binary.LittleEndian.AppendUint64(key, b)
	}
	if known, ok := r.reaches[string(key)]; ok {
		return known, settled
	}
	reach = &Reach{bits: slices.Clone(r.bits)}
	r.reaches[string(key)] = reach
	return reach, settled
}

// test finds the targets a record reaches, from the answers kept for the text of its keyed
// columns when there are some; settled tells that the cheap conditions alone said it (so no
// target's lookback was tested).
func (r *filterRoom) test(c *converter, hits []found, strs *interner) (reach *Reach, settled bool) {
	clear(r.known)
	clear(r.few)
	r.failed = false
	if r.cheap == nil {
		r.seen++
		for k, col := range r.f.columns {
			// A long text is counted as a value seen once, not held (see long.go).
			if d := r.distinct[k]; len(d)*filterRepeats <= filterTrial && !isLong(len(hits[col].raw)) {
				d[string(hits[col].raw)] = true
			}
		}
		reach, _ = r.reach(c, hits, strs)
		if r.seen == filterTrial {
			r.judge()
		}
		return reach, false
	}
	// The key is each keyed column's length and text (walkFields keeps the text of every value it
	// finds), or 0 for a column that is absent or constant. A record with a long text there (see
	// long.go) is judged without the answers, which would hold a copy of it.
	remember := !slices.ContainsFunc(r.keyed, func(i int) bool { return isLong(len(hits[i].raw)) })
	key := r.key[:0]
	for _, i := range r.keyed {
		if h := hits[i]; remember && h.ok && c.sources[i].constant == nil {
			key = binary.AppendUvarint(append(key, 1), uint64(len(h.raw)))
			key = append(key, h.raw...)
		} else {
			key = append(key, 0)
		}
	}
	r.key = key
	if a, ok := r.answers[string(key)]; ok && remember {
		if a.settled {
			return a.reach, true
		}
		copy(r.known, a.known)
		return r.reach(c, hits, strs)
	}
	for i, cheap := range r.cheap {
		if cheap {
			r.holds(c, hits, strs, i)
		}
	}
	if r.failed {
		return nil, false
	}
	a := &answer{known: slices.Clone(r.known)}
	for i, cheap := range r.cheap {
		if !cheap {
			a.known[i] = 0
		}
	}
	a.reach, a.settled = r.reach(c, hits, strs)
	if remember && len(r.answers) < maxAnswers {
		r.answers[string(key)] = a
	}
	return a.reach, a.settled
}

// missed calls each target's Missed for a record that does not reach it but meets every other
// condition than its lookbacks on one of its ways.
func (r *filterRoom) missed(c *converter, hits []found, strs *interner, reach *Reach) {
	r.record.c, r.record.hits, r.record.strs = c, hits, strs
	for t, target := range r.f.Targets {
		if target.Missed == nil || (reach != nil && reach.Has(t)) {
			continue
		}
		for _, way := range r.ways[t] {
			if !slices.ContainsFunc(way, func(i int) bool { return !slices.Contains(target.Lookbacks, i) && !r.holdsForRecord(i) }) {
				target.Missed(r.holdsForRecord)
				break
			}
		}
	}
}

// filteredValues is values for a converter with a filter: the targets the record reaches, and its
// row when it reaches some. One that reaches none gets the rest of its columns checked only, so
// that it is rejected exactly when its whole row would be, and reports its time.
func (c *converter) filteredValues(hits []found, strs *interner, room *filterRoom, findLate func()) (converted, error) {
	// On a failure, values tells which column failed first, as it would without a filter.
	canonical := func() (converted, error) {
		findLate()
		_, err := c.values(hits, strs)
		return converted{}, err
	}
	reach, settled := room.test(c, hits, strs)
	if room.failed {
		return canonical()
	}
	if reach == nil {
		out := converted{dropped: true}
		if k := c.reportedTime; k >= 0 {
			if v, done := room.few[c.columns[k].Name]; done {
				out.at, out.dated = v.(time.Time)
			} else if t, dated, err := c.datetime(k, hits); err == nil {
				out.at, out.dated = t, dated
			} else {
				return canonical()
			}
		}
		for _, i := range c.checked {
			if _, done := room.few[c.columns[i].Name]; done || i == c.reportedTime {
				continue
			}
			if c.columns[i].Type == kql.Datetime {
				if _, _, err := c.datetime(i, hits); err != nil {
					return canonical()
				}
			} else if _, err := c.slot(i, hits, nil); err != nil {
				return canonical()
			}
		}
		if !settled {
			room.missed(c, hits, strs, nil)
		}
		return out, nil
	}
	findLate()
	values := make([]any, len(c.columns))
	for i, col := range c.columns {
		if v, done := room.few[col.Name]; done {
			values[i] = v
			continue
		}
		v, err := c.slot(i, hits, strs)
		if err != nil {
			return canonical()
		}
		values[i] = v
	}
	if !settled {
		room.missed(c, hits, strs, reach)
	}
	return converted{values: values, reach: reach}, nil
}
