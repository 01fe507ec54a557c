package pipeline

import (
	"fmt"
	"time"

	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/record"
)

// TimeColumn orders a stream: Log Analytics' time of every record.
const TimeColumn = "TimeGenerated"

// Stream runs a plan over rows as they arrive, for time-ordered input of any length (such as
// standard input): its now is the newest TimeGenerated seen so far (the watermark), each row goes
// through the stages when it arrives, a join keeps both of its sides and pairs a row with those of
// the other side that arrived before it, and each alert is handed on as soon as it is made. A row
// older than the watermark less the rule's queryPeriod can no longer pass the rule's lookback, so
// the join forgets it: memory stays flat however long the input runs.
//
// Over input that spans less than the queryPeriod, a stream gives the alerts a batch run gives with
// --now at the newest record; over longer input, those a rule scheduled continuously would.
type Stream struct {
	plan  *Plan
	r     *runner
	clock *time.Time
	// watermark is the newest TimeGenerated this stream has seen; streams of several rules share
	// one clock, which the first to see a row moves.
	watermark time.Time
	horizon   time.Duration
	emit      func(record.Row) error

	prefix, suffix []*Stage
	join           *Stage
	joinOp         *join
	// pairs builds the join's rows.
	pairs record.Builder
	// branch is how many prefix stages the join's right side starts after (0: the rule's input).
	branch int
	// The stages a pushed row goes through, as lanes that keep room for the rows of one pushed
	// row from one row to the next: the prefix up to the branch and after it, the join's right
	// side, its pushed-down filters of each side, and the stages after the join. pushed and
	// paired are room for the row pushed and for a pair the join makes.
	toBranch, fromBranch, rightLane, suffixLane lane
	leftKept, rightKept, pushed, paired         []record.Row
	// leftAnswers and rightAnswers remember the join's pushed-down conditions' answers.
	leftAnswers, rightAnswers []*whereAnswers
	// stats is room for the statistics of a stage's run, which a stream does not keep.
	stats StageStats

	// held is what the join's sides hold, oldest first (in the order held), to forget. Each row
	// links to the next held under its key on its side, and keys maps each key to its rows on
	// both sides, first and last: a pushed row finds both sides' rows with one lookup, and holding
	// or forgetting a row updates one chain, with no slice per key to grow.
	held heldRows
	keys map[string]*keyed
	// keyText is room for the text of a pushed row's key; keyColumns read the key columns of
	// each side (left, right).
	keyText    []byte
	keyColumns [2]*record.Columns
	// Stats
	Rows, Alerts, Forgotten, Held, MaxHeld int
}

// heldRow is a row a join side holds, at the time of the row pushed that gave it.
type heldRow struct {
	row   record.Row
	at    time.Time
	key   *keyed
	right bool
	// next is the number of the next row held under key on the side (-1: none yet).
	next int
}

// keyed is the rows held under one key, on each side.
type keyed struct {
	key   string
	sides [2]chain
}

// chain is the rows held under one key on one side: the numbers of the first and last, and how
// many.
type chain struct{ first, last, n int }

// sideOf is the index of a side in keyed.sides.
func sideOf(right bool) int {
	if right {
		return 1
	}
	return 0
}

// keyedBy is what is held under the key whose text is text, which it starts keeping when nothing
// is (the text is made a string only then).
func (s *Stream) keyedBy(text []byte) *keyed {
	k := s.keys[string(text)]
	if k == nil {
		k = &keyed{key: string(text)}
		s.keys[k.key] = k
	}
	return k
}

// eachHeld calls f with each row of a chain, first held first.
func (s *Stream) eachHeld(c chain, f func(record.Row) error) error {
	for i := c.first; c.n > 0 && i >= 0; i = s.held.at(i).next {
		if err := f(s.held.at(i).row); err != nil {
			return err
		}
	}
	return nil
}

// Advance is Push of a row the rule cannot use, dated at, which the reader made no row of (see
// ReadFilters): its time moves the rule's watermark and the clock as the row would have.
func (s *Stream) Advance(at time.Time) {
	s.Rows++
	if at.After(s.watermark) {
		s.watermark = at
		if at.After(*s.clock) {
			*s.clock = at
		}
		s.forget()
	}
}

// NewStream prepares plan, which must have been compiled with Options.Clock = clock, to stream;
// emit gets each alert. It tells why when the rule cannot stream: it needs all its rows at once
// (summarize, distinct, lets, more than one join), or has no queryPeriod to forget rows after.
func NewStream(plan *Plan, clock *time.Time, emit func(record.Row) error) (*Stream, error) {
	s := &Stream{plan: plan, clock: clock, horizon: plan.Rule.Meta.QueryPeriod, emit: emit,
		keys: map[string]*keyed{}}
	s.r = &runner{plan: plan, snapshots: map[string][]record.Row{}}
	cannot := func(why string, args ...any) (*Stream, error) {
		return nil, fmt.Errorf("%s: cannot stream: %s", plan.Rule.File, fmt.Sprintf(why, args...))
	}
	if s.horizon <= 0 {
		return cannot("it has no queryPeriod, the lookback after which rows are forgotten")
	}
	if len(plan.lets) > 0 || plan.source.let != nil || len(plan.source.tables) != 1 {
		return cannot("it reads lets or several tables, which a stream does not hold")
	}
	for i, st := range plan.Stages {
		j, isJoin := st.op.(*join)
		switch {
		case isJoin && s.join == nil:
			if !j.kind.Streamable {
				return cannot("its join is %s; a stream runs inner joins", j.kind.Name)
			}
			if j.source != nil && j.source.stage == "" {
				return cannot("its join reads a let or another table")
			}
			s.join, s.joinOp, s.prefix, s.suffix = st, j, plan.Stages[:i], plan.Stages[i+1:]
			if j.source != nil {
				s.branch = stageIndex(s.prefix, j.source.stage) + 1
			}
			for _, rs := range j.right {
				if !rs.op.rowWise() {
					return cannot("its join's right side has a %s, which needs all rows at once", rs.Rule.Kind)
				}
			}
		case !st.op.rowWise():
			return cannot("stage %s is a %s, which needs all rows at once", st.Rule.Label(), st.Rule.Kind)
		}
	}
	if s.join == nil {
		s.prefix = plan.Stages
	}
	s.toBranch, s.fromBranch = newLane(s.prefix[:s.branch]), newLane(s.prefix[s.branch:])
	s.suffixLane = newLane(s.suffix)
	if s.join != nil {
		s.rightLane = newLane(s.joinOp.right)
		s.leftAnswers, s.rightAnswers = conditionAnswers(s.joinOp.leftFilter), conditionAnswers(s.joinOp.rightFilter)
		s.keyColumns = [2]*record.Columns{record.NewColumns(s.joinOp.leftKeys...), record.NewColumns(s.joinOp.rightKeys...)}
	}
	return s, nil
}

// Push runs one row through the rule.
func (s *Stream) Push(row record.Row) error {
	at, _ := row.Get(TimeColumn).(time.Time)
	return s.PushAt(row, at)
}

// PushAt is Push of a row whose TimeGenerated is at (the zero time when it has none).
func (s *Stream) PushAt(row record.Row, at time.Time) error {
	s.Advance(at)
	s.pushed = append(s.pushed[:0], row)
	branched, err := s.through(&s.toBranch, s.pushed)
	if err != nil {
		return err
	}
	rows, err := s.through(&s.fromBranch, branched)
	if err != nil {
		return err
	}
	if s.join == nil {
		return s.alert(rows)
	}
	right, err := s.through(&s.rightLane, branched)
	if err != nil {
		return err
	}
	j := s.joinOp
	rows, right = s.keep(j.leftFilter, s.leftAnswers, rows, &s.leftKept), s.keep(j.rightFilter, s.rightAnswers, right, &s.rightKept)
	for _, l := range rows {
		if err := s.joinRow(l, j.leftKeys, false, at); err != nil {
			return err
		}
	}
	for _, rr := range right {
		if err := s.joinRow(rr, j.rightKeys, true, at); err != nil {
			return err
		}
	}
	return nil
}

// joinRow pairs a row of one side (right, or the left), of the key columns keys, with the other
// side's rows held under its key, then holds it, dated at. A row with a null key matches nothing.
func (s *Stream) joinRow(row record.Row, keys []string, right bool, at time.Time) error {
	var ok bool
	if s.keyText, ok = appendJoinKey(s.keyText[:0], row, keys, s.keyColumns[sideOf(right)]); !ok {
		return nil
	}
	k := s.keyedBy(s.keyText)
	own, other := k.sides[sideOf(right)], k.sides[sideOf(!right)]
	err := s.overBudget(row, right, other.n, own.n+1)
	if err == nil {
		err = s.eachHeld(other, func(held record.Row) error {
			if right {
				return s.pair(held, row)
			}
			return s.pair(row, held)
		})
	}
	if err != nil {
		s.dropIfEmpty(k)
		return err
	}
	s.hold(right, k, row, at)
	return nil
}

// lane is stages a stream runs over the rows of one pushed row, with room, for each stage that
// only keeps or drops rows (a where), for the rows it keeps: reused from one pushed row to the
// next, where a stage's run would make a slice for each.
type lane struct {
	stages []*Stage
	room   [][]record.Row
	// answers remembers, for each where whose value depends on its columns alone, what it said
	// (nil for the other stages).
	answers []*whereAnswers
}

func newLane(stages []*Stage) lane {
	l := lane{stages: stages, room: make([][]record.Row, len(stages)), answers: make([]*whereAnswers, len(stages))}
	for k, st := range stages {
		if p := st.op.filter(); p != nil {
			l.answers[k] = newWhereAnswers(p, p.Columns)
		}
	}
	return l
}

// whereAnswers are a where's answers by the values of the columns it reads. A stream runs each
// where once per row, and most rows repeat a handful of apps, tenants and token types; a where
// that reads no clock gives the same answer for the same values. An answer is kept only when its
// evaluation counted no null, so that answering again counts what evaluating would: nothing. A
// where whose values turn out not to repeat (a time, an id) is evaluated every time.
type whereAnswers struct {
	// columns are the columns the where reads, under their names in the rows it is given.
	columns    *record.Columns
	known      map[string]bool
	key        []byte
	noted      bool
	seen, hits int
}

const (
	answersMax   = 4096 // answers kept per where
	answersTrial = 1024 // rows looked at before judging whether the values repeat
)

// newWhereAnswers are the answers of the where p, reading columns (p's, as the rows name them);
// nil when p's value depends on more than them (the clock, a window, a toscalar let).
func newWhereAnswers(p *kqlexpr.Program, columns []string) *whereAnswers {
	if p.ReadsClock || p.Window || len(p.Scalars) > 0 || len(columns) == 0 {
		return nil
	}
	return &whereAnswers{columns: record.NewColumns(columns...), known: map[string]bool{}}
}

// recall is the answer known for row's values, if there is one; otherwise it notes the values,
// for remember.
func (a *whereAnswers) recall(row record.Row) (keep, known bool) {
	a.noted = a.seen < answersTrial || a.hits*4 >= a.seen
	if !a.noted {
		return false, false
	}
	a.seen++
	a.key = a.key[:0]
	for i := range a.columns.Len() {
		v, ok := a.columns.Lookup(row, i)
		if !ok {
			a.key = append(a.key, "-;"...) // absent, apart from null
			continue
		}
		a.key = appendKey(a.key, v)
	}
	if keep, known = a.known[string(a.key)]; known {
		a.hits++
		a.noted = false
	}
	return keep, known
}

// remember keeps keep as the answer for the values recall noted, unless evaluating it counted a
// null.
func (a *whereAnswers) remember(keep, countedNull bool) {
	if a.noted && !countedNull && len(a.known) < answersMax {
		a.known[string(a.key)] = keep
	}
	a.noted = false
}

// answer is the answer known for row's values, or else evaluate's (which runs prog), remembered
// when evaluating counted no null. Without answers (nil), it is evaluate's.
func (a *whereAnswers) answer(prog *kqlexpr.Program, row record.Row, evaluate func() (bool, error)) (bool, error) {
	if a == nil {
		return evaluate()
	}
	if keep, known := a.recall(row); known {
		return keep, nil
	}
	nulls := prog.RuntimeNulls()
	keep, err := evaluate()
	if err == nil {
		a.remember(keep, prog.RuntimeNulls() != nulls)
	}
	return keep, err
}

// keeps tells whether the where (prog, with answers) keeps row.
func (s *Stream) keeps(prog *kqlexpr.Program, answers *whereAnswers, row record.Row) (bool, error) {
	return answers.answer(prog, row, func() (bool, error) {
		v, err := s.r.eval(prog, row)
		keep, _ := v.(bool)
		return keep, err
	})
}

// through runs rows through a lane's stages. The rows it returns are valid until the lane runs
// again.
func (s *Stream) through(l *lane, rows []record.Row) ([]record.Row, error) {
	var err error
	for k, st := range l.stages {
		if len(rows) == 0 {
			return rows, nil
		}
		if prog := st.op.filter(); prog != nil {
			// what the where's run does, but into room of its own (a stream's stages are row-wise:
			// no window function reads the rows around)
			kept := l.room[k][:0]
			for _, row := range rows {
				keep, err := s.keeps(prog, l.answers[k], row)
				if err != nil {
					return nil, s.r.fail(st, row, err)
				}
				if keep {
					kept = append(kept, row)
				}
			}
			l.room[k], rows = kept, kept
			continue
		}
		s.stats = StageStats{}
		if rows, err = s.r.stage(st, rows, nil, &s.stats); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// keep is the rows for which the conditions (with their answers) hold, in room.
func (s *Stream) keep(cs conditions, answers []*whereAnswers, rows []record.Row, room *[]record.Row) []record.Row {
	if len(cs) == 0 {
		return rows
	}
	kept := (*room)[:0]
	for _, row := range rows {
		if s.holdsAll(cs, answers, row) {
			kept = append(kept, row)
		}
	}
	*room = kept
	return kept
}

// holdsAll tells whether every condition holds for row, as runner.hold does, with their answers
// remembered as a where's are (see whereAnswers).
func (s *Stream) holdsAll(cs conditions, answers []*whereAnswers, row record.Row) bool {
	for k, c := range cs {
		if keep, _ := answers[k].answer(c.prog, row, func() (bool, error) { return s.r.holdsFor(c, row), nil }); !keep {
			return false
		}
	}
	return true
}

// conditionAnswers are the answers of each condition, reading its columns as the rows name them.
func conditionAnswers(cs conditions) []*whereAnswers {
	out := make([]*whereAnswers, len(cs))
	for k, c := range cs {
		columns := make([]string, len(c.prog.Columns))
		for i, col := range c.prog.Columns {
			columns[i] = c.column(col)
		}
		out[k] = newWhereAnswers(c.prog, columns)
	}
	return out
}

// overBudget is the error of a streamed row (of the right side or the left) that would make more
// pairs with the other side's rows held under its key than the join-pair budget, or whose side
// would then hold more rows under its key than the budget: a stream makes the pairs of one hot key
// row by row, so its budget bounds what one row makes and what one key holds, not a run's total.
func (s *Stream) overBudget(row record.Row, right bool, pairs, held int) error {
	limit := s.plan.budget.JoinPairs
	if limit <= 0 || max(pairs, held) <= limit {
		return nil
	}
	keys, side := s.joinOp.leftKeys, "left"
	if right {
		keys, side = s.joinOp.rightKeys, "right"
	}
	err := &BudgetError{Stage: s.join, What: "join pairs", Flag: "--max-join-pairs", Limit: limit, Made: pairs,
		Hottest: describeKey(keys, row), Count: fmt.Sprintf("%d pairs: a streamed %s row with %d held rows, from %s", pairs, side, pairs, sourcesText(row.Sources))}
	if held > pairs {
		err.Made = held
		err.Count = fmt.Sprintf("%d %s rows held under it, the latest from %s", held, side, sourcesText(row.Sources))
	}
	return err
}

func (s *Stream) pair(l, rr record.Row) error {
	s.paired = append(s.paired[:0], s.joinOp.pair(&s.pairs, &l, &rr, s.join.live))
	rows, err := s.through(&s.suffixLane, s.paired)
	if err != nil {
		return err
	}
	return s.alert(rows)
}

func (s *Stream) alert(rows []record.Row) error {
	for _, row := range rows {
		s.Alerts++
		if err := s.emit(row); err != nil {
			return err
		}
	}
	return nil
}

// hold keeps a row of a side, made of a row dated at, under k.
func (s *Stream) hold(right bool, k *keyed, row record.Row, at time.Time) {
	number := s.held.add(heldRow{row: row, at: at, key: k, right: right, next: -1})
	c := &k.sides[sideOf(right)]
	if c.n > 0 {
		s.held.at(c.last).next = number
		c.last, c.n = number, c.n+1
	} else {
		*c = chain{first: number, last: number, n: 1}
	}
	s.Held++
	s.MaxHeld = max(s.MaxHeld, s.Held)
}

// forget drops the rows the lookback can no longer keep: those at or before now - queryPeriod
// (a lookback keeps rows strictly after it). Rows arrive in time order, so they are the oldest
// held, first in held and first under their key.
func (s *Stream) forget() {
	bound := s.watermark.Add(-s.horizon)
	for s.held.len() > 0 && !s.held.oldest().at.After(bound) {
		h := s.held.oldest()
		if c := &h.key.sides[sideOf(h.right)]; c.n > 1 {
			c.first, c.n = h.next, c.n-1
		} else {
			*c = chain{}
			s.dropIfEmpty(h.key)
		}
		s.held.dropOldest()
		s.Forgotten++
		s.Held--
	}
}

// dropIfEmpty stops keeping k when neither side holds a row under it.
func (s *Stream) dropIfEmpty(k *keyed) {
	if k.sides[0].n == 0 && k.sides[1].n == 0 {
		delete(s.keys, k.key)
	}
}

// heldBlock is how many rows one block of heldRows has room for.
const heldBlock = 512

// heldRows is the rows a stream's join holds, numbered in the order held, in blocks of heldBlock
// rows: holding a row never copies the others (a growing array would, and have new memory
// faulted in each time), and a block whose rows are all forgotten takes the next rows.
type heldRows struct {
	blocks [][]heldRow
	// first is the number of the row of blocks[0][0]; oldestHeld the number of the oldest row held,
	// next the number of the next row held.
	first, oldestHeld, next int
	spare                   []heldRow
}

// at is the held row numbered n.
func (h *heldRows) at(n int) *heldRow {
	n -= h.first
	return &h.blocks[n/heldBlock][n%heldBlock]
}

// add holds a row and returns its number.
func (h *heldRows) add(r heldRow) int {
	if h.next-h.first == len(h.blocks)*heldBlock {
		block := h.spare
		if block == nil {
			block = make([]heldRow, heldBlock)
		}
		h.blocks, h.spare = append(h.blocks, block), nil
	}
	n := h.next
	*h.at(n) = r
	h.next++
	return n
}

func (h *heldRows) len() int { return h.next - h.oldestHeld }

// oldest is the oldest row held; there must be one.
func (h *heldRows) oldest() *heldRow { return h.at(h.oldestHeld) }

// dropOldest forgets the oldest row held.
func (h *heldRows) dropOldest() {
	*h.oldest() = heldRow{} // the row is no longer held
	h.oldestHeld++
	if h.oldestHeld-h.first == heldBlock {
		h.spare = h.blocks[0]
		h.blocks[0] = nil
		h.blocks = h.blocks[1:]
		h.first += heldBlock
	}
}

// StreamState is what a stream holds, to checkpoint it and resume it in another process: its
// watermark, the rows its join holds (in the order held), and its counts.
type StreamState struct {
	Watermark                        time.Time
	Held                             []HeldRow
	Rows, Alerts, Forgotten, MaxHeld int
}

// HeldRow is a row a stream's join holds: on which side, under which key, since when.
type HeldRow struct {
	Right bool
	Key   string
	At    time.Time
	Row   record.Row
}

// State is what the stream holds now.
func (s *Stream) State() StreamState {
	st := StreamState{Watermark: s.watermark, Rows: s.Rows, Alerts: s.Alerts, Forgotten: s.Forgotten, MaxHeld: s.MaxHeld}
	for n := s.held.oldestHeld; n < s.held.next; n++ {
		h := s.held.at(n)
		st.Held = append(st.Held, HeldRow{Right: h.right, Key: h.key.key, At: h.at, Row: h.row})
	}
	return st
}

// Restore makes a new stream hold what st says another held.
func (s *Stream) Restore(st StreamState) {
	s.watermark = st.Watermark
	if st.Watermark.After(*s.clock) {
		*s.clock = st.Watermark
	}
	for _, h := range st.Held {
		s.hold(h.Right, s.keyedBy([]byte(h.Key)), h.Row, h.At)
	}
	s.Rows, s.Alerts, s.Forgotten, s.MaxHeld = st.Rows, st.Alerts, st.Forgotten, max(st.MaxHeld, s.Held)
}
