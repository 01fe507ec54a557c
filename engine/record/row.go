package record

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"iter"
	"maps"
	"slices"
)

// Layout is the columns of rows, in slot order: rows of one shape (a table's rows as read, a
// stage's output) share one, so that a row holds only its values, one slot each, and no column
// names. A layout never changes once made.
type Layout struct {
	names []string
	index map[string]int
}

// NewLayout is the layout of the columns names (a column named twice keeps its first slot).
func NewLayout(names ...string) *Layout {
	l := &Layout{index: make(map[string]int, len(names))}
	for _, name := range names {
		if _, ok := l.index[name]; !ok {
			l.index[name] = len(l.names)
			l.names = append(l.names, name)
		}
	}
	return l
}

// Names are the layout's columns in slot order; the caller must not change them.
func (l *Layout) Names() []string {
	if l == nil {
		return nil
	}
	return l.names
}

// Slot is the slot of column name.
func (l *Layout) Slot(name string) (int, bool) {
	if l == nil {
		return 0, false
	}
	i, ok := l.index[name]
	return i, ok
}

// Row is a row of a layout's columns holding slots (one value per column, in slot order, which the
// row keeps: the caller hands them over).
func (l *Layout) Row(slots []any, sources []Source) Row {
	return Row{layout: l, slots: slots, Sources: sources}
}

// Row is a row of named column values (KQL values, see package kql) and the input records it was
// made from: one for a row read from input, one from each side for a row a join made. Its values
// are slots of a layout shared with the rows of its shape; a row is not changed once made (rows are
// shared between stages), so a stage that changes columns builds a new row (see Builder).
type Row struct {
	layout  *Layout
	slots   []any
	Sources []Source
}

// NewRow is a row of values, its columns in name order. Rows made this way do not share a layout:
// it is for a few rows (tests, lookups); a stage making many rows uses a Builder.
func NewRow(values map[string]any, sources []Source) Row {
	names := slices.Sorted(maps.Keys(values))
	slots := make([]any, len(names))
	for i, name := range names {
		slots[i] = values[name]
	}
	return NewLayout(names...).Row(slots, sources)
}

// Get is the value of column name, nil when the row has no such column.
func (r Row) Get(name string) any {
	if i, ok := r.layout.Slot(name); ok {
		return r.slots[i]
	}
	return nil
}

// Lookup is the value of column name and whether the row has the column.
func (r Row) Lookup(name string) (any, bool) {
	if i, ok := r.layout.Slot(name); ok {
		return r.slots[i], true
	}
	return nil, false
}

// Len is how many columns the row has.
func (r Row) Len() int { return len(r.slots) }

// Layout is the row's layout (nil for a row of no columns).
func (r Row) Layout() *Layout { return r.layout }

// Slots are the row's values in its layout's order; the caller must not change them.
func (r Row) Slots() []any { return r.slots }

// All yields the row's columns and values in slot order.
func (r Row) All() iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		for i, v := range r.slots {
			if !yield(r.layout.names[i], v) {
				return
			}
		}
	}
}

// Map is a new map of the row's columns to their values.
func (r Row) Map() map[string]any {
	out := make(map[string]any, len(r.slots))
	for i, v := range r.slots {
		out[r.layout.names[i]] = v
	}
	return out
}

// Builder builds rows column by column. The rows it builds with the same columns in the same order
// share one layout: a stage keeps a Builder for its rows, and each row costs its slots only.
type Builder struct {
	names []string
	slots []any
	// recent are the layouts last built, newest first: rows of a stage mostly share one shape.
	recent []*Layout
}

// maxRecent bounds the layouts a Builder remembers; a stage's rows rarely have more than a few
// shapes (a union's tables, an outer join's matched and unmatched rows).
const maxRecent = 4

// Reset starts a new row with no columns.
func (b *Builder) Reset() {
	clear(b.slots)
	b.names, b.slots = b.names[:0], b.slots[:0]
}

// Set gives column name the value v, adding the column when the row has none of that name.
func (b *Builder) Set(name string, v any) {
	for i := len(b.names) - 1; i >= 0; i-- {
		if b.names[i] == name {
			b.slots[i] = v
			return
		}
	}
	b.Add(name, v)
}

// Add adds column name with value v; the row must not have it yet.
func (b *Builder) Add(name string, v any) {
	b.names = append(b.names, name)
	b.slots = append(b.slots, v)
}

// Lookup is the value set for column name and whether it was set.
func (b *Builder) Lookup(name string) (any, bool) {
	for i := len(b.names) - 1; i >= 0; i-- {
		if b.names[i] == name {
			return b.slots[i], true
		}
	}
	return nil, false
}

// CopyRow adds every column of row; the builder must have none of them yet.
func (b *Builder) CopyRow(row Row) {
	b.names = append(b.names, row.layout.Names()...)
	b.slots = append(b.slots, row.slots...)
}

// Row is the row of the columns set since Reset, with sources. The builder is reset.
func (b *Builder) Row(sources []Source) Row {
	layout := b.layout()
	slots := make([]any, len(b.slots))
	copy(slots, b.slots)
	b.Reset()
	return Row{layout: layout, slots: slots, Sources: sources}
}

// layout is the layout of the columns set, one of the recent ones when it has the same columns.
func (b *Builder) layout() *Layout {
	for i, l := range b.recent {
		if slices.Equal(l.names, b.names) {
			if i > 0 {
				copy(b.recent[1:i+1], b.recent[:i])
				b.recent[0] = l
			}
			return l
		}
	}
	l := NewLayout(b.names...)
	if len(l.names) != len(b.names) {
		// A column added twice: the later value wins, in the first one's slot, as Set would do.
		slots := make([]any, len(l.names))
		for i, name := range b.names {
			slots[l.index[name]] = b.slots[i]
		}
		b.names, b.slots = append(b.names[:0], l.names...), append(b.slots[:0], slots...)
	}
	if len(b.recent) < maxRecent {
		b.recent = append(b.recent, nil)
	}
	copy(b.recent[1:], b.recent)
	b.recent[0] = l
	return l
}

// rowData is a row as gob writes it (a stream's checkpoint holds rows): its columns by name.
type rowData struct {
	Names   []string
	Values  []any
	Sources []Source
}

// GobEncode writes the row's columns, values and sources.
func (r Row) GobEncode() ([]byte, error) {
	var buf bytes.Buffer
	err := gob.NewEncoder(&buf).Encode(rowData{Names: r.layout.Names(), Values: r.slots, Sources: r.Sources})
	return buf.Bytes(), err
}

// GobDecode reads a row GobEncode wrote. The rows read back do not share layouts.
func (r *Row) GobDecode(data []byte) error {
	var d rowData
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&d); err != nil {
		return err
	}
	if len(d.Values) != len(d.Names) {
		return fmt.Errorf("a row of %d columns with %d values", len(d.Names), len(d.Values))
	}
	*r = NewLayout(d.Names...).Row(d.Values, d.Sources)
	return nil
}
