package session

import (
	"slices"
	"time"

	"github.com/signin-detect/detect/engine/input"
	"github.com/signin-detect/detect/engine/record"
)

// pendingRow is a row in the reorder buffer: a row some rule can use, or (Row unset, Reach
// reachesNone) the time of a record no rule can use.
type pendingRow struct {
	At    time.Time
	Seq   int
	Table string
	Row   record.Row
	Reach *input.Reach
}

// before orders the reorder buffer: oldest first, then first arrived.
func (p *pendingRow) before(q *pendingRow) bool {
	return p.At.Before(q.At) || (p.At.Equal(q.At) && p.Seq < q.Seq)
}

// reorderBuffer holds the rows of a stream until they can be passed on, oldest first (then first
// arrived). Most rows arrive in order, or nearly: a row no older than the newest held goes at the
// end of a queue (inOrder, in order by construction), at no cost but a copy; only a row older than
// that goes into a heap (behind), and the oldest row is the first of either. A heap of every row
// cost a sift up and down of the whole buffer, and boxing each row, per row.
type reorderBuffer struct {
	// inOrder[head:] is the queue; the rows before head were passed on.
	inOrder []pendingRow
	head    int
	behind  []pendingRow
}

// Len is how many rows the buffer holds.
func (b *reorderBuffer) Len() int { return len(b.inOrder) - b.head + len(b.behind) }

// add puts a row in the buffer; its Seq is after every row's added before.
func (b *reorderBuffer) add(p pendingRow) {
	if n := len(b.inOrder); n == b.head || !p.At.Before(b.inOrder[n-1].At) {
		b.inOrder = append(b.inOrder, p)
		return
	}
	b.behind = append(b.behind, p)
	b.up(len(b.behind) - 1)
}

// popUpTo takes the oldest row out of the buffer when it is dated at or before bound.
func (b *reorderBuffer) popUpTo(bound time.Time) (pendingRow, bool) {
	queued, held := b.head < len(b.inOrder), len(b.behind) > 0
	switch {
	case queued && (!held || b.inOrder[b.head].before(&b.behind[0])):
		p := b.inOrder[b.head]
		if p.At.After(bound) {
			return pendingRow{}, false
		}
		b.inOrder[b.head] = pendingRow{} // the row is no longer held here
		b.head++
		b.compact()
		return p, true
	case held:
		p := b.behind[0]
		if p.At.After(bound) {
			return pendingRow{}, false
		}
		last := len(b.behind) - 1
		b.behind[0] = b.behind[last]
		b.behind[last] = pendingRow{}
		b.behind = b.behind[:last]
		b.down(0)
		return p, true
	}
	return pendingRow{}, false
}

// compact moves the queue to the front of its array once half of it was passed on, so that its
// memory follows what it holds.
func (b *reorderBuffer) compact() {
	switch {
	case b.head == len(b.inOrder):
		b.inOrder, b.head = b.inOrder[:0], 0
	case b.head > 1024 && b.head > len(b.inOrder)/2:
		n := copy(b.inOrder, b.inOrder[b.head:])
		clear(b.inOrder[n:])
		b.inOrder, b.head = b.inOrder[:n], 0
	}
}

// rows is what the buffer holds, in the order it passes them on (for a checkpoint).
func (b *reorderBuffer) rows() []pendingRow {
	out := append(append([]pendingRow(nil), b.inOrder[b.head:]...), b.behind...)
	slices.SortFunc(out, comparePending)
	return out
}

// restore makes the buffer hold rows (of a checkpoint), in any order.
func (b *reorderBuffer) restore(rows []pendingRow) {
	b.inOrder = slices.SortedFunc(slices.Values(rows), comparePending)
	b.head, b.behind = 0, nil
}

func comparePending(p, q pendingRow) int {
	switch {
	case p.before(&q):
		return -1
	case q.before(&p):
		return 1
	}
	return 0
}

// up and down keep behind a heap, oldest first.
func (b *reorderBuffer) up(i int) {
	h := b.behind
	for i > 0 {
		parent := (i - 1) / 2
		if !h[i].before(&h[parent]) {
			return
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

func (b *reorderBuffer) down(i int) {
	h := b.behind
	for {
		least, left := i, 2*i+1
		if left < len(h) && h[left].before(&h[least]) {
			least = left
		}
		if right := left + 1; right < len(h) && h[right].before(&h[least]) {
			least = right
		}
		if least == i {
			return
		}
		h[i], h[least] = h[least], h[i]
		i = least
	}
}
