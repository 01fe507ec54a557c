package input

import (
	"bytes"
	"encoding/gob"
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
