package input

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"strings"
	"testing"
)

// A stream's checkpoint holds the reach of the rows it keeps for order: each set reads back as it
// was, the set of no target included (a record no rule can use), and no set stays every target.
func TestReachSurvivesACheckpoint(t *testing.T) {
	type held struct{ None, Some, Every *Reach }
	some := &Reach{bits: []uint64{1 << 3, 1}}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(held{None: &Reach{}, Some: some}); err != nil {
		t.Fatal(err)
	}
	var back held
	if err := gob.NewDecoder(&buf).Decode(&back); err != nil {
		t.Fatal(err)
	}
	if back.None == nil || back.None.Has(0) || back.Every != nil {
		t.Errorf("none %+v, every %+v", back.None, back.Every)
	}
	for i := range 128 {
		if back.Some.Has(i) != some.Has(i) {
			t.Errorf("target %d: %v, was %v", i, back.Some.Has(i), some.Has(i))
		}
	}
}

// A condition over a column whose values repeat is answered once per text; one over a column
// whose values do not (an id) is never kept, and is tested after the other, only for the records
// that meet it, whatever order the way names them in.
func TestCheapConditionsFirstAndOnlyTheyAreKept(t *testing.T) {
	var text strings.Builder
	n := 3 * filterTrial
	for i := range n {
		fmt.Fprintf(&text, `{"AppId":"%c","Id":"request-%d"}`+"\n", "ab"[i%2], i)
	}
	var appTests, idTests int
	counting := func(count *int, test func(map[string]any) bool) func() func(map[string]any) bool {
		return func() func(map[string]any) bool {
			return func(v map[string]any) bool { *count++; return test(v) }
		}
	}
	filter := &Filter{
		Conditions: []Condition{
			{Columns: []string{"Id"}, NewTest: counting(&idTests, func(v map[string]any) bool { return v["Id"] != "request-4" })},
			{Columns: []string{"AppId"}, NewTest: counting(&appTests, func(v map[string]any) bool { return v["AppId"] == "a" })},
		},
		Targets: []Target{{Ways: [][]int{{0, 1}}}}}
	c := readFiltered(t, filter, text.String())
	if got := len(c.rows[nonInteractive]); got != n/2-1 {
		t.Errorf("%d rows, want %d", got, n/2-1)
	}
	// In the trial every record is tested as the way names them (the id first, so record 4 is not
	// tested for its app); after it, the app is tested once per text and the id only for the
	// records of app a.
	if wantApp, wantID := filterTrial-1+2, filterTrial+(n-filterTrial)/2; appTests != wantApp || idTests != wantID {
		t.Errorf("app tested %d times, id %d; want %d and %d", appTests, idTests, wantApp, wantID)
	}
}
