package session

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The reorder buffer passes rows on oldest first, then first arrived, whatever the order they
// arrive in: rows mostly in order, batches shuffled, rows far behind, equal times; and a
// checkpoint of what it holds, restored, passes on the same rows after.
func TestReorderBufferPassesRowsOnInTimeThenArrivalOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	start := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	var arrivals []pendingRow
	for batch := range 400 {
		// a batch of rows of five minutes, shuffled; some share a time; some are an hour behind
		var rows []pendingRow
		for range rng.IntN(40) {
			at := start.Add(time.Duration(batch)*5*time.Minute + time.Duration(rng.IntN(300))*time.Second)
			if rng.IntN(20) == 0 {
				at = at.Add(-time.Hour)
			}
			rows = append(rows, pendingRow{At: at})
		}
		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		arrivals = append(arrivals, rows...)
	}
	for i := range arrivals {
		arrivals[i].Seq = i
	}

	// As a stream does: a row older than one passed on is late, and not put in the buffer; the
	// rows 10 minutes behind the newest are passed on.
	var b reorderBuffer
	var accepted, passed, held []pendingRow
	var newest, released time.Time
	for i, p := range arrivals {
		if p.At.Before(released) {
			continue
		}
		accepted = append(accepted, p)
		b.add(p)
		if p.At.After(newest) {
			newest = p.At
		}
		for {
			q, ok := b.popUpTo(newest.Add(-10 * time.Minute))
			if !ok {
				break
			}
			passed, released = append(passed, q), q.At
		}
		if i >= len(arrivals)/2 && held == nil { // a checkpoint, resumed
			held = b.rows()
			var resumed reorderBuffer
			resumed.restore(slices.Clone(held))
			b = resumed
		}
		if b.Len()+len(passed) != len(accepted) {
			t.Fatalf("after %d rows: %d held, %d passed on", len(accepted), b.Len(), len(passed))
		}
	}
	if !slices.IsSortedFunc(held, comparePending) || len(held) == 0 {
		t.Errorf("a checkpoint holds %d rows, not in the order they are passed on", len(held))
	}
	for {
		q, ok := b.popUpTo(newest)
		if !ok {
			break
		}
		passed = append(passed, q)
	}
	slices.SortStableFunc(accepted, comparePending)
	if len(accepted) == len(arrivals) || len(passed) != len(accepted) {
		t.Fatalf("%d rows arrived, %d not late, %d passed on", len(arrivals), len(accepted), len(passed))
	}
	for i := range passed {
		if passed[i].Seq != accepted[i].Seq {
			t.Fatalf("row %d passed on %dth, where it is %dth oldest", passed[i].Seq, i, slices.IndexFunc(accepted, func(p pendingRow) bool { return p.Seq == passed[i].Seq }))
		}
	}
}
