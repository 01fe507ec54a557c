package session

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/signin-detect/detect/engine/input"
	"github.com/signin-detect/detect/engine/pipeline"
	"github.com/signin-detect/detect/engine/record"
)

// Hooks let a caller watch reading; each may be nil.
type Hooks struct {
	// Reject gets each rejected record or file, as it is found.
	Reject func(input.Rejection)
	// Reading wraps the reader of each file as it is opened (a progress line counts its bytes);
	// read is what was read so far.
	Reading func(r io.Reader, read *Read) io.Reader
	// Done is called when every file was read.
	Done func()
	// BeforeRead, when set, is given the plans of a batch before any input is read; an error
	// stops the run there (detect run opens --output in it, so that an output that cannot be
	// written fails before a long read).
	BeforeRead func([]*pipeline.Plan) error
}

// Read is what reading gave: the rows of each table the plans read (none when a stream took
// them), and what was counted on the way. It is the input.Sink of every file.
type Read struct {
	Rows    map[string][]record.Row
	Files   int
	Records int
	// ByTable counts the records read of each table the plans read, rows made or not.
	ByTable map[string]int
	// OtherTables counts the records of tables no plan reads, by table; Rejections the rejected
	// records and files, by reason.
	OtherTables map[string]int
	Rejections  map[string]int
	// Oldest and Newest are the oldest and newest TimeGenerated read, filtered-out records
	// included.
	Oldest, Newest time.Time
	hooks          Hooks
	// reaches holds, beside each row of Rows, the targets of its table's filter it reaches.
	reaches map[string][]*input.Reach
	// onRow, when set, takes each row instead of Rows (a stream keeps none); rowErr is the first
	// error it returned, after which no row is handed on.
	onRow func(table string, row record.Row, at time.Time, dated bool, reach *input.Reach) error
	// onFiltered, when set, takes each record that reaches no plan, by its time (a stream's clock
	// moves with it).
	onFiltered func(table string, at time.Time, dated bool, src record.Source) error
	rowErr     error
	// mu guards what reading counts and hands on, for a stream that is stopped, or checkpointed,
	// while it reads; once stopped, nothing more is counted or handed on.
	mu      sync.Mutex
	stopped bool
	// timeColumn reads each row's TimeGenerated (under mu).
	timeColumn *record.Columns
}

func newRead(hooks Hooks, onRow func(string, record.Row, time.Time, bool, *input.Reach) error) *Read {
	return &Read{Rows: map[string][]record.Row{}, reaches: map[string][]*input.Reach{}, ByTable: map[string]int{}, OtherTables: map[string]int{}, Rejections: map[string]int{}, hooks: hooks, onRow: onRow}
}

// locked runs f while nothing is read.
func (r *Read) locked(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f()
}

// stop ends reading: what arrives after is neither counted nor handed on.
func (r *Read) stop() { r.locked(func() { r.stopped = true }) }

// readInput reads every file once, keeping of each record the columns the plans read of its table
// (every column with allColumns), or handing each row to onRow as it comes when onRow is not nil.
// With filters, a record no plan can use (see pipeline.ReadFilter) is counted but no row is made
// of it.
// A stream (live) reads each file that is not a regular one (standard input, a pipe) as its lines
// arrive.
func readInput(plans []*pipeline.Plan, filters *readFilters, allColumns bool, in Input, read *Read, live bool) error {
	hooks := read.hooks
	var want []input.Want
	index := map[string]int{}
	for _, p := range plans {
		for _, need := range p.Inputs {
			i, ok := index[need.Table.Name]
			if !ok {
				i = len(want)
				index[need.Table.Name] = i
				want = append(want, input.Want{Table: need.Table})
			}
			columns := need.Columns
			if allColumns {
				columns = nil
				for _, col := range need.Table.Columns {
					columns = append(columns, col.Name)
				}
			}
			want[i].Columns = union(want[i].Columns, columns)
			if _, ok := need.Table.Column(pipeline.TimeColumn); ok {
				// an alert's time is the newest of its records' (and a hunt indexes rows by it)
				want[i].Columns = union(want[i].Columns, []string{pipeline.TimeColumn})
			}
		}
	}
	for i, w := range want {
		if filters == nil || filters.byTable[w.Table.Name] == nil {
			continue
		}
		f := *filters.byTable[w.Table.Name]
		if slices.Contains(w.Columns, pipeline.TimeColumn) {
			// so that the newest time counts the records filtered out too
			f.Time = pipeline.TimeColumn
		}
		want[i].Filter = &f
	}
	reader, err := input.NewReader(want, in.Format)
	if err != nil {
		return err
	}
	if in.Table != "" {
		reader.TableOfUntold(in.Table)
	}
	limits := input.DefaultLimits
	if in.Limits != nil {
		limits = *in.Limits
	}
	limits.Now = time.Now().UTC()
	limits.FollowClock = live
	reader.SetLimits(limits)
	files, unreadable := input.Files(in.Files, in.Glob)
	for _, r := range unreadable {
		read.Reject(r)
	}
	wrap := func(r io.Reader) io.Reader {
		if hooks.Reading != nil {
			return hooks.Reading(r, read)
		}
		return r
	}
	for _, name := range files {
		f, err := input.Open(name, in.Stdin)
		if err != nil {
			read.Reject(input.Unreadable(name, err))
			continue
		}
		read.locked(func() {
			if !read.stopped {
				read.Files++
			}
		})
		if live && input.Live(name, f, in.Stdin) {
			reader.ReadLive(name, wrap(f), read)
		} else {
			reader.Read(name, wrap(f), read)
		}
		f.Close()
	}
	for _, extra := range in.Extra {
		reader.Read(extra.Name, wrap(extra.Reader), read)
	}
	if hooks.Done != nil {
		hooks.Done()
	}
	return nil
}

// Row keeps a row of a table the plans read.
func (r *Read) Row(table string, row record.Row) { r.RowReaching(table, row, nil) }

// RowReaching keeps a row of a table the plans read, which reaches the targets of the table's
// filter that reach says (every one when nil).
func (r *Read) RowReaching(table string, row record.Row, reach *input.Reach) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	r.Records++
	r.ByTable[table]++
	if r.timeColumn == nil {
		r.timeColumn = record.NewColumns(pipeline.TimeColumn)
	}
	t, dated := r.timeColumn.Get(row, 0).(time.Time)
	if dated {
		r.seen(t)
		for i := range row.Sources {
			row.Sources[i].Time = t
		}
	}
	switch {
	case r.onRow == nil:
		r.Rows[table] = append(r.Rows[table], row)
		r.reaches[table] = append(r.reaches[table], reach)
	case r.rowErr == nil:
		r.rowErr = r.onRow(table, row, t, dated, reach)
	}
}

// seen moves the input's time span to take in t.
func (r *Read) seen(t time.Time) {
	if t.After(r.Newest) {
		r.Newest = t
	}
	if r.Oldest.IsZero() || t.Before(r.Oldest) {
		r.Oldest = t
	}
}

// Filtered counts a record no plan can use, which the reader made no row of.
func (r *Read) Filtered(table string, at time.Time, dated bool) {
	r.FilteredAt(table, at, dated, record.Source{})
}

// FilteredAt is Filtered of the record read at src. A stream passes it on by its time (onFiltered),
// so that it moves the stream's clock (and may be late) as its row would.
func (r *Read) FilteredAt(table string, at time.Time, dated bool, src record.Source) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	r.Records++
	r.ByTable[table]++
	if dated {
		r.seen(at)
	}
	if r.onFiltered != nil && r.rowErr == nil {
		r.rowErr = r.onFiltered(table, at, dated, src)
	}
}

// reachesNone is the reach of a record no plan can use.
var reachesNone = &input.Reach{}

// Other counts a record of a table no plan reads.
func (r *Read) Other(table string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	r.OtherTables[table]++
	r.Records++
}

// Reject counts a rejected record or file and hands it to the Reject hook.
func (r *Read) Reject(rej input.Rejection) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	r.reject(rej)
}

// reject is Reject, with mu held.
func (r *Read) reject(rej input.Rejection) {
	r.Rejections[rej.Reason]++
	if r.hooks.Reject != nil {
		r.hooks.Reject(rej)
	}
}

// Rejected is how many records and files were rejected.
func (r *Read) Rejected() int {
	n := 0
	for _, c := range r.Rejections {
		n += c
	}
	return n
}

// Summary is the input side of a run's summary line: "2 files, 120 records read (5 of tables no
// rule reads: SigninLogs 5), 1 rejected (malformed JSON 1)".
func (r *Read) Summary() string {
	line := fmt.Sprintf("%d files, %d records read", r.Files, r.Records)
	if len(r.OtherTables) > 0 {
		n := 0
		for _, c := range r.OtherTables {
			n += c
		}
		line += fmt.Sprintf(" (%d of tables no rule reads: %s)", n, counts(r.OtherTables))
	}
	line += fmt.Sprintf(", %d rejected", r.Rejected())
	if len(r.Rejections) > 0 {
		line += " (" + counts(r.Rejections) + ")"
	}
	return line
}

// counts lists "name n" pairs, sorted by name.
func counts(m map[string]int) string {
	var out []string
	for name, n := range m {
		out = append(out, fmt.Sprintf("%s %d", name, n))
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// readFilters is how the records of each table the plans read are filtered: a record is made a
// row only when some plan can use it, and each plan gets only the rows it can use (Read.reaches).
// With lookbacks, the plans' lookbacks are in the filters too, and rows they drop while reading
// are counted for the lookback report (missed).
type readFilters struct {
	byTable map[string]*input.Filter
	// target holds, for each table, the target of its filter that each plan is (-1: none).
	target map[string][]int
	missed map[*pipeline.Stage]*missedRows
}

// missedRows counts the records a lookback dropped while reading that reached it: In the records,
// Out those it kept (that another way's lookback dropped).
type missedRows struct{ in, out atomic.Int64 }

func newReadFilters(plans []*pipeline.Plan, lookbacks bool) *readFilters {
	rf := &readFilters{byTable: map[string]*input.Filter{}, target: map[string][]int{}, missed: map[*pipeline.Stage]*missedRows{}}
	for i, p := range plans {
		filters := p.ReadFilters(lookbacks)
		for _, need := range p.Inputs {
			table := need.Table.Name
			f := rf.byTable[table]
			if f == nil {
				f = &input.Filter{}
				rf.byTable[table] = f
				rf.target[table] = slices.Repeat([]int{-1}, len(plans))
			}
			rf.target[table][i] = len(f.Targets)
			f.Targets = append(f.Targets, rf.targetOf(f, filters[table]))
		}
	}
	for table, f := range rf.byTable {
		if !slices.ContainsFunc(f.Targets, func(t input.Target) bool { return len(t.Ways) > 0 }) {
			delete(rf.byTable, table) // every plan uses every record
		}
	}
	return rf
}

// targetOf adds a plan's filter of a table to the table's filter f, as a target.
func (rf *readFilters) targetOf(f *input.Filter, pf *pipeline.ReadFilter) input.Target {
	if pf == nil {
		return input.Target{}
	}
	base := len(f.Conditions)
	for i := range pf.Conditions() {
		f.Conditions = append(f.Conditions, input.Condition{Columns: pf.ConditionColumns(i), NewTest: func() func(map[string]any) bool { return pf.NewConditionTest(i) }})
	}
	var t input.Target
	for _, way := range pf.Ways() {
		shifted := make([]int, len(way))
		for k, c := range way {
			shifted[k] = base + c
		}
		t.Ways = append(t.Ways, shifted)
	}
	counts := map[int]*missedRows{}
	for i := range pf.Conditions() {
		if stage := pf.Lookback(i); stage != nil {
			t.Lookbacks = append(t.Lookbacks, base+i)
			if rf.missed[stage] == nil {
				rf.missed[stage] = &missedRows{}
			}
			counts[base+i] = rf.missed[stage]
		}
	}
	if len(counts) > 0 {
		t.Missed = func(holds func(int) bool) {
			for c, n := range counts {
				n.in.Add(1)
				if holds(c) {
					n.out.Add(1)
				}
			}
		}
	}
	return t
}

// rowsOf are the rows of each of plan i's tables it can use, but for the table except (which its
// shared start gives it: see pipeline.Plan.RunFrom).
func (rf *readFilters) rowsOf(i int, p *pipeline.Plan, read *Read, except string) map[string][]record.Row {
	out := map[string][]record.Row{}
	for _, need := range p.Inputs {
		table := need.Table.Name
		if table == except {
			continue
		}
		rows, reaches := read.Rows[table], read.reaches[table]
		target := -1
		if rf != nil && rf.target[table] != nil {
			target = rf.target[table][i]
		}
		if target < 0 || !slices.ContainsFunc(reaches, func(r *input.Reach) bool { return !r.Has(target) }) {
			out[table] = rows
			continue
		}
		n := 0
		for _, reach := range reaches {
			if reach.Has(target) {
				n++
			}
		}
		kept := make([]record.Row, 0, n)
		for k, row := range rows {
			if reaches[k].Has(target) {
				kept = append(kept, row)
			}
		}
		out[table] = kept
	}
	return out
}

// reachOf tells which of the rows of table plan i can use (nil: every one).
func (rf *readFilters) reachOf(i int, table string, read *Read) func(k int) bool {
	if rf == nil || rf.target[table] == nil || rf.target[table][i] < 0 {
		return nil
	}
	target, reaches := rf.target[table][i], read.reaches[table]
	return func(k int) bool { return reaches[k].Has(target) }
}

// countMissed adds to each lookback's counts the rows it dropped while reading, as if it had
// dropped them in its place.
func (rf *readFilters) countMissed(stats []pipeline.StageStats) {
	for i := range stats {
		st := &stats[i]
		if n := rf.missed[st.Stage]; n != nil {
			st.In += int(n.in.Load())
			st.Out += int(n.out.Load())
		}
		rf.countMissed(st.RightStages)
	}
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string{}, a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
