package session

import (
	"fmt"
	"time"

	"github.com/signin-detect/detect/engine/output"
	"github.com/signin-detect/detect/engine/pipeline"
	"github.com/signin-detect/detect/engine/record"
)

// Stream is a streamed run: every rule runs on the rows as they arrive, its now the newest
// TimeGenerated read so far (one clock for all the rules), and each alert is written as soon as
// it is made.
type Stream struct {
	Plans   []*pipeline.Plan
	Streams []*pipeline.Stream
	clock   *time.Time
}

// NewStream compiles the rules to stream, against a clock the input moves.
func NewStream(rs *Rules) (*Stream, error) {
	clock := new(time.Time)
	plans, err := rs.Compile(pipeline.Options{Clock: clock})
	if err != nil {
		return nil, err
	}
	return &Stream{Plans: plans, clock: clock}, nil
}

// Start prepares each rule to stream its alerts to write; it tells why when a rule cannot stream.
func (s *Stream) Start(write func(output.Alert) error) error {
	s.Streams = make([]*pipeline.Stream, len(s.Plans))
	for i, plan := range s.Plans {
		if m := plan.Rule.Meta; m.TriggerOperator != "" && !(m.TriggerOperator == "gt" && m.TriggerThreshold == 0) {
			// A trigger counts the rows of one scheduled run; a stream has no runs to count.
			return fmt.Errorf("%s: a rule whose trigger is %s %d counts a whole run's rows; it cannot stream", plan.Rule.File, m.TriggerOperator, m.TriggerThreshold)
		}
		ref, columns := AlertShape(plan)
		entities := EntityShape(plan)
		emit := func(row record.Row) error {
			return write(output.Alert{Rule: ref, Columns: columns, Row: row, Entities: entities})
		}
		var err error
		if s.Streams[i], err = pipeline.NewStream(plan, s.clock, emit); err != nil {
			return err
		}
	}
	return nil
}

// Read reads the input, pushing each row through the rules that read its table as it comes. It
// returns the first error a rule gave while running, after which no more rows were pushed.
func (s *Stream) Read(in Input, hooks Hooks) (*Read, error) {
	push := func(table string, row record.Row) error {
		for i, st := range s.Streams {
			if s.Plans[i].Inputs[0].Table.Name == table {
				if err := st.Push(row); err != nil {
					return err
				}
			}
		}
		return nil
	}
	read, err := readInput(s.Plans, nil, false, in, hooks, push)
	if err != nil {
		return nil, err
	}
	return read, read.rowErr
}

// Now is the stream's now: the newest TimeGenerated read.
func (s *Stream) Now() time.Time { return *s.clock }
