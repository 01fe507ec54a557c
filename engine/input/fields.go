package input

import (
	"bytes"
	"strings"
	"time"
	"unsafe"

	"github.com/tidwall/gjson"
)

// field is one field of a JSON object, as places in the object's text: its key (as written,
// quotes off) and its value's text. Places rather than slices, so that cutting a record's hundred
// fields writes no pointers (and the garbage collector has none to follow).
type field struct{ keyStart, keyEnd, valueStart, valueEnd int32 }

func (f field) key(obj []byte) []byte   { return obj[f.keyStart:f.keyEnd] }
func (f field) value(obj []byte) []byte { return obj[f.valueStart:f.valueEnd] }

// fields appends to out the fields of obj, the text of a JSON object that gjson.Valid has found
// valid, without parsing or unescaping any value: a record's columns are cut out in one pass that
// costs little more than finding its quotes, and only the values a rule reads are decoded.
func fields(obj []byte, out []field) []field {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return out
	}
	i = skipSpace(obj, i+1)
	for i < len(obj) && obj[i] == '"' {
		end := skipString(obj, i)
		f := field{keyStart: int32(i + 1), keyEnd: int32(end - 1)}
		i = skipSpace(obj, end)
		i = skipSpace(obj, i+1) // the colon
		f.valueStart = int32(i)
		i = skipValue(obj, i)
		f.valueEnd = int32(i)
		out = append(out, f)
		i = skipSpace(obj, i)
		if i < len(obj) && obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
	return out
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// skipString returns the index after the string that starts (with its quote) at i.
func skipString(b []byte, i int) int {
	i++
	for {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return len(b)
		}
		i += q
		// A quote after an odd number of backslashes is escaped.
		backslashes := 0
		for j := i - 1; j >= 0 && b[j] == '\\'; j-- {
			backslashes++
		}
		i++
		if backslashes%2 == 0 {
			return i
		}
	}
}

// skipValue returns the index after the value that starts at i.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && !isSpace(b[i]) {
		i++
	}
	return i
}

// text is b as a string without a copy, for reading only while b is.
func text(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// converted is what a record of a line gave: the values of its row and the targets the row
// reaches, or, for a record that reaches no target of its table's filter, no row (dropped) and
// its time (at, when dated).
type converted struct {
	values  []any
	reach   *Reach
	dropped bool
	at      time.Time
	dated   bool
}

// fieldsRow reads the wanted columns from a record's fields (fs, cut from obj), with one pass over
// the record, interning its strings in the worker's table (see filteredValues for a table with a
// filter).
func (c *converter) fieldsRow(obj []byte, fs []field, w *worker) (converted, error) {
	hits := w.hits[:0]
	for range c.columns {
		hits = append(hits, found{})
	}
	w.hits = hits
	walk := w.walks[c]
	if walk == nil {
		walk = &fieldWalk{}
		w.walks[c] = walk
	}
	if walk.layout != w.layout {
		walk.plan(obj, fs, c.root, w.layout, c.early)
	}
	walk.run(obj, fs, hits, walk.steps[:walk.early])
	if c.filter == nil { // every column is early
		values, err := c.values(hits, w.strs)
		return converted{values: values}, err
	}
	room := w.filters[c]
	if room == nil {
		room = newFilterRoom(c.filter)
		w.filters[c] = room
	}
	return c.filteredValues(hits, w.strs, room, func() { walk.run(obj, fs, hits, walk.steps[walk.early:]) })
}

// fieldWalk is the way through a record's fields to the columns a converter reads: the fields'
// places and path nodes. The records of an export list their fields in one order, so the way is
// found once per layout (see worker.cut) and then followed without looking keys up. steps[:early]
// lead to the columns a record is read for when the read filter drops it (converter.early), and
// the rest are walked only for a record the filter keeps.
type fieldWalk struct {
	layout int
	steps  []walkStep
	early  int
}

type walkStep struct {
	field int
	node  *pathNode
}

// plan finds the way through fs (cut from obj), whose keys are those of layout, to the columns of
// a converter whose early columns are early.
func (fw *fieldWalk) plan(obj []byte, fs []field, root *pathNode, layout int, early []bool) {
	fw.layout, fw.steps = layout, fw.steps[:0]
	var late []walkStep
	for i, f := range fs {
		if next := root.children[text(f.key(obj))]; next != nil {
			if step := (walkStep{field: i, node: next}); next.leadsTo(early) {
				fw.steps = append(fw.steps, step)
			} else {
				late = append(late, step)
			}
		}
	}
	fw.early = len(fw.steps)
	fw.steps = append(fw.steps, late...)
}

// leadsTo tells whether a path through n ends at a column marked in columns.
func (n *pathNode) leadsTo(columns []bool) bool {
	for _, end := range n.ends {
		if columns[end.column] {
			return true
		}
	}
	for _, child := range n.children {
		if child.leadsTo(columns) {
			return true
		}
	}
	return false
}

// run is walkFields over steps: each value's text is kept, to be parsed only when its column is
// converted.
func (fw *fieldWalk) run(obj []byte, fs []field, hits []found, steps []walkStep) {
	for _, step := range steps {
		visit(fs[step.field].value(obj), step.node, hits)
	}
}

// walkFields visits the fields of obj (cut out by fields) that some path goes through.
func walkFields(obj []byte, fs []field, n *pathNode, hits []found) {
	for _, f := range fs {
		if next := n.children[text(f.key(obj))]; next != nil {
			visit(f.value(obj), next, hits)
		}
	}
}

// visit keeps value for the columns whose path ends at n (where it ranks better than what they
// have), and walks on into it for the paths that go deeper.
func visit(value []byte, n *pathNode, hits []found) {
	if len(value) == 0 || value[0] == 'n' { // null
		return
	}
	for _, end := range n.ends {
		if h := &hits[end.column]; !h.ok || end.rank < h.rank {
			*h = found{raw: value, rank: end.rank, ok: true}
		}
	}
	if n.children != nil && value[0] == '{' {
		walkFields(value, fields(value, nil), n, hits)
	}
}

// tableOf is router.table over a record's fields (fs, cut from obj), for a router that tests a
// top-level field. The field is where it was in the worker's last record of the same layout.
func (r *router) tableOf(obj []byte, fs []field, w *worker) (string, bool) {
	if r.path == "" || strings.Contains(r.path, ".") {
		return "", false
	}
	at, known := w.routeAt[r]
	if !known || at.layout != w.layout {
		at = fieldAt{layout: w.layout, field: -1}
		for i, f := range fs {
			if text(f.key(obj)) == r.path {
				at.field = i
				break
			}
		}
		w.routeAt[r] = at
	}
	if at.field < 0 {
		// Without the field, the record's other fields may tell (router.tableByFields).
		return "", len(r.has) == 0
	}
	value := fs[at.field].value(obj)
	name := ""
	if len(value) >= 2 && value[0] == '"' && bytes.IndexByte(value, '\\') < 0 {
		name = text(value[1 : len(value)-1])
	} else if v := gjson.Parse(text(value)); v.Type != gjson.Null {
		name = v.String()
	}
	if name == "" && len(r.has) > 0 {
		return "", false
	}
	if t, ok := r.tables[name]; ok || name == "" {
		return t, true
	}
	return strings.Clone(name), true
}

// fieldAt is the place of a field in the records of a layout, or -1 when they lack it.
type fieldAt struct{ layout, field int }
