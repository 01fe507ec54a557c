package session

import (
	"fmt"
	"time"

	"github.com/signin-detect/detect/engine/input"
	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/output"
	"github.com/signin-detect/detect/engine/pipeline"
	"github.com/signin-detect/detect/engine/record"
)

// Stream is a streamed run: every rule runs on the rows as they arrive, its now the newest
// TimeGenerated passed on so far (one clock for all the rules), and each alert is written as soon
// as it is made. Rows that arrive out of order by up to Lateness are put back in order first (a
// reorder buffer): a row is passed on once the newest TimeGenerated read is Lateness past it, so
// that out-of-order input within Lateness gives the alerts of the same rows in order. A row older
// than a row already passed on is late: counted, and rejected as "late".
type Stream struct {
	Plans   []*pipeline.Plan
	Streams []*pipeline.Stream
	// Errs holds, for each rule, the error it failed with while running (the others run on).
	Errs     []error
	Lateness time.Duration
	// Late counts the rows rejected as late; Skipped the records a resumed stream had read before
	// (see Resume).
	Late, Skipped int
	clock         *time.Time
	read          *Read
	// filters says which rows each rule can use (see Read).
	filters  *readFilters
	write    func(output.Alert) error
	writeErr error

	// pending is the reorder buffer, oldest first; newest the newest TimeGenerated read, released
	// the newest passed on.
	pending          reorderBuffer
	seq              int
	newest, released time.Time
	// positions holds each file's last record taken (a resumed stream skips up to it: resume),
	// but for the file being read, whose last record is current (and the place to resume it
	// after, resumeAt when resuming): a map write and lookup per record cost a tenth of a stream's
	// work past reading. written holds the ids of alerts written after the checkpoint resumed
	// from, not to write again.
	positions map[string]record.Source
	current   record.Source
	resume    map[string]record.Source
	resumeAt  record.Source
	resuming  bool
	written   map[string]bool
}

// NewStream compiles the rules to stream, against a clock the input moves.
func NewStream(rs *Rules) (*Stream, error) {
	clock := new(time.Time)
	plans, err := rs.Compile(pipeline.Options{Clock: clock})
	if err != nil {
		return nil, err
	}
	s := &Stream{Plans: plans, Errs: make([]error, len(plans)), clock: clock, positions: map[string]record.Source{}, written: map[string]bool{}}
	s.read = newRead(Hooks{}, s.take)
	s.read.onFiltered = s.takeFiltered
	return s, nil
}

// Start prepares each rule to stream its alerts to write; it tells why when a rule cannot stream.
// Each alert carries its id (output.Alert.Identity).
func (s *Stream) Start(write func(output.Alert) error) error {
	s.write = write
	s.Streams = make([]*pipeline.Stream, len(s.Plans))
	for i, plan := range s.Plans {
		if m := plan.Rule.Meta; m.TriggerOperator != "" && !(m.TriggerOperator == "gt" && m.TriggerThreshold == 0) {
			// A trigger counts the rows of one scheduled run; a stream has no runs to count.
			return fmt.Errorf("%s: a rule whose trigger is %s %d counts a whole run's rows; it cannot stream", plan.Rule.File, m.TriggerOperator, m.TriggerThreshold)
		}
		ref, columns := AlertShape(plan)
		entities := EntityShape(plan)
		emit := func(row record.Row) error {
			a := output.Alert{Rule: ref, Columns: columns, Row: row, Entities: entities}
			a.ID = a.Identity()
			if s.written[a.ID] {
				delete(s.written, a.ID)
				return nil
			}
			if err := s.write(a); err != nil {
				s.writeErr = err
				return err
			}
			return nil
		}
		var err error
		if s.Streams[i], err = pipeline.NewStream(plan, s.clock, emit); err != nil {
			return err
		}
	}
	return nil
}

// Read reads the input, each file that is not a regular one (standard input, a pipe) as its lines
// arrive, and passes each row on to the rules that read its table. At the end of the input, the
// reorder buffer is passed on whole. It returns the error writing an alert gave, after which no
// more rows were passed on; a rule's own failure is in Errs.
func (s *Stream) Read(in Input, hooks Hooks) (*Read, error) {
	s.read.locked(func() { s.read.hooks = hooks })
	s.filters = newReadFilters(s.Plans, false)
	if err := readInput(s.Plans, s.filters, false, in, s.read, true); err != nil {
		return nil, err
	}
	s.read.locked(s.drain)
	return s.read, s.read.rowErr
}

// Stop ends reading (from another goroutine, on a signal, say): nothing read after is passed on.
// With drain, the rows of the reorder buffer are passed on; without, they stay there, for a
// checkpoint to keep (see Checkpoint).
func (s *Stream) Stop(drain bool) {
	s.read.locked(func() {
		if drain {
			s.drain()
		}
		s.read.stopped = true
	})
}

// Finished is what a stopped stream read.
func (s *Stream) Finished() *Read { return s.read }

// Locked runs f while no row is read or passed on (to checkpoint, or to flush the alerts).
func (s *Stream) Locked(f func()) { s.read.locked(f) }

// Now is the stream's now: the newest TimeGenerated passed on.
func (s *Stream) Now() time.Time { return *s.clock }

// Held is how many rows the reorder buffer holds.
func (s *Stream) Held() int { return s.pending.Len() }

// take is the reader's onRow, called with the read's lock held: a row read, dated at when dated.
func (s *Stream) take(table string, row record.Row, at time.Time, dated bool, reach *input.Reach) error {
	var src record.Source
	if len(row.Sources) > 0 {
		src = row.Sources[0]
	}
	return s.order(pendingRow{At: at, Table: table, Row: row, Reach: reach}, dated, src)
}

// takeFiltered is the reader's onFiltered: a record no rule can use is passed on as its time only.
func (s *Stream) takeFiltered(table string, at time.Time, dated bool, src record.Source) error {
	return s.order(pendingRow{At: at, Table: table, Reach: reachesNone}, dated, src)
}

// order passes a row on, or puts it in the reorder buffer, or rejects it as late.
func (s *Stream) order(p pendingRow, dated bool, src record.Source) error {
	table, at := p.Table, p.At
	if src.File != input.Stdin && src.File != "" {
		if src.File != s.current.File {
			s.keepPosition()
			s.resumeAt, s.resuming = s.resume[src.File]
		}
		if s.resuming && !after(src, s.resumeAt) {
			s.Skipped++
			s.read.Records--
			s.read.ByTable[table]--
			return nil
		}
		s.current = src
	}
	if !dated || s.Lateness <= 0 {
		return s.pass(p)
	}
	if at.Before(s.released) {
		s.Late++
		s.read.Records--
		s.read.ByTable[table]--
		s.read.reject(input.Rejection{Source: src, Reason: "late", Detail: fmt.Sprintf("%s %s is older than a row already passed on (%s): it came more than --max-lateness %s after newer rows",
			pipeline.TimeColumn, kql.FormatDatetime(at), kql.FormatDatetime(s.released), s.Lateness)})
		return nil
	}
	p.Seq = s.seq
	s.pending.add(p)
	s.seq++
	if at.After(s.newest) {
		s.newest = at
	}
	return s.release(s.newest.Add(-s.Lateness))
}

// keepPosition puts the current file's last record taken in positions.
func (s *Stream) keepPosition() {
	if s.current.File != "" {
		s.positions[s.current.File] = s.current
	}
}

// release passes on the buffered rows dated at or before bound, oldest first (in arrival order
// when equal).
func (s *Stream) release(bound time.Time) error {
	for {
		p, ok := s.pending.popUpTo(bound)
		if !ok {
			return nil
		}
		if p.At.After(s.released) {
			s.released = p.At
		}
		if err := s.pass(p); err != nil {
			return err
		}
	}
}

// drain passes on the whole reorder buffer: the input ended.
func (s *Stream) drain() {
	if s.read.rowErr == nil && !s.read.stopped {
		s.read.rowErr = s.release(s.newest)
	}
}

// pass runs a row through the rules that read its table, can use it (reach), and have not failed;
// the others only see its time.
func (s *Stream) pass(p pendingRow) error {
	var targets []int
	if s.filters != nil {
		targets = s.filters.target[p.Table]
	}
	for i, st := range s.Streams {
		if s.Errs[i] != nil || s.Plans[i].Inputs[0].Table.Name != p.Table {
			continue
		}
		if targets != nil && targets[i] >= 0 && !p.Reach.Has(targets[i]) {
			st.Advance(p.At)
			continue
		}
		if err := st.PushAt(p.Row, p.At); err != nil {
			if s.writeErr != nil {
				return s.writeErr
			}
			s.Errs[i] = err
		}
	}
	return nil
}

// after tells whether a comes after b in their file.
func after(a, b record.Source) bool {
	return a.Line > b.Line || (a.Line == b.Line && a.Index > b.Index)
}
