package record

import (
	"bytes"
	"encoding/gob"
	"reflect"
	"testing"
	"time"
)

func TestBuilderRowsOfOneShapeShareALayout(t *testing.T) {
	var b Builder
	var rows []Row
	for i := range 3 {
		b.Add("A", int64(i))
		b.Set("B", "x")
		b.Set("A", int64(i*10)) // replaces, keeps the slot
		rows = append(rows, b.Row(nil))
	}
	b.Set("B", "y")
	other := b.Row(nil)
	if rows[0].Layout() != rows[2].Layout() || other.Layout() == rows[0].Layout() {
		t.Fatalf("layouts: %p %p %p", rows[0].Layout(), rows[2].Layout(), other.Layout())
	}
	if got := rows[2].Map(); !reflect.DeepEqual(got, map[string]any{"A": int64(20), "B": "x"}) || rows[2].Len() != 2 {
		t.Errorf("row %v", got)
	}
	if v, ok := other.Lookup("A"); ok || v != nil || other.Get("B") != "y" {
		t.Errorf("a row without A: %v %v", v, ok)
	}
	var names []string
	for name := range rows[1].All() {
		names = append(names, name)
	}
	if !reflect.DeepEqual(names, []string{"A", "B"}) {
		t.Errorf("slot order %v", names)
	}
}

func TestRowsRoundTripThroughGob(t *testing.T) {
	gob.Register(time.Time{})
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	in := []Row{NewRow(map[string]any{"At": at, "N": int64(3), "Null": nil, "S": "s"}, []Source{{File: "f", Line: 2}})}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(in); err != nil {
		t.Fatal(err)
	}
	var out []Row
	if err := gob.NewDecoder(&buf).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || !reflect.DeepEqual(out[0].Map(), in[0].Map()) || !reflect.DeepEqual(out[0].Sources, in[0].Sources) {
		t.Errorf("read back %v from %v", out, in)
	}
	if _, ok := out[0].Lookup("Null"); !ok {
		t.Error("a null column is lost")
	}
}
