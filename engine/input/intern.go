package input

import (
	"bytes"
	"strings"

	"github.com/tidwall/gjson"
)

// Interning keeps one copy of each repeated string value. Sign-in exports repeat most of their
// values (user agents, device and location details, app, resource and tenant ids), and the rows a
// join holds are most of a run's memory. Some repeat only over a long span: a user's device details
// come back with each of the user's sign-ins, so in an export of thousands of users the first
// thousand records show few repeats, yet over the file each value repeats hundreds of times. So a
// column is judged over generations, not once: a goroutine holds at most internMax values; when
// it holds that many, or has looked up internLookups values, a new generation starts with nothing
// held, and a column whose values did not repeat in the last one (an id) is not looked up for the
// next ones, then tried again, so the table holds what is worth holding.
const (
	internMax      = 1 << 16 // values held, per goroutine, in a generation
	internLookups  = 1 << 20 // values looked up, per goroutine, in a generation
	internMinReuse = 4       // at least 1 in internMinReuse of a column's values must repeat
	internRestMax  = 8       // generations a column that does not repeat is left out, at most
)

// interner holds the strings of one reading goroutine, boxed once as the rows hold them; lookedUp
// counts the values it was asked for in this generation, held those it holds.
type interner struct {
	columns        map[string]*columnTable
	held, lookedUp int
	// byConverter holds each converter's columns' tables, by slot; last, the last converter's.
	byConverter map[*converter][]*columnTable
	last        struct {
		conv   *converter
		tables []*columnTable
	}
}

// columnTable is one column's held values: by their text, and by the text of the JSON string they
// were read from (escapes in), so that a repeated JSON-in-a-string column is neither unescaped nor
// copied again.
type columnTable struct {
	values, quoted map[string]any
	lookups, hits  int
	// skip is the generations the column is still left out; rest, how many it is left out when
	// it next fails to repeat (doubling each time, up to internRestMax).
	skip, rest int
}

func newInterner() *interner {
	return &interner{columns: map[string]*columnTable{}, byConverter: map[*converter][]*columnTable{}}
}

// value returns s as a row holds it: the held copy of an equal string, else a copy of s (which may
// point into the record's text), held when the column's values repeat. A long s (see long.go) is
// its own buffer's, and is returned as it is.
func (in *interner) value(column, s string) any {
	if isLong(len(s)) {
		return s
	}
	if in == nil {
		return strings.Clone(s)
	}
	c := in.column(column)
	return in.intern(c, c.values, s, func() any { return strings.Clone(s) })
}

// quotedValue is value for the string whose JSON text, quotes included, is raw: the value of
// column i of conv's rows.
func (in *interner) quotedValue(conv *converter, i int, raw []byte) any {
	if in == nil || isLong(len(raw)) {
		return unquote(raw)
	}
	c := in.columnOf(conv, i)
	return in.intern(c, c.quoted, text(raw[1:len(raw)-1]), func() any { return unquote(raw) })
}

// columnOf is column i of conv's rows, found by name once: a record's string values would
// otherwise each look their column up by name.
func (in *interner) columnOf(conv *converter, i int) *columnTable {
	if conv != in.last.conv {
		in.last.conv, in.last.tables = conv, in.byConverter[conv]
		if in.last.tables == nil {
			in.last.tables = make([]*columnTable, len(conv.columns))
			in.byConverter[conv] = in.last.tables
		}
	}
	c := in.last.tables[i]
	if c == nil {
		c = in.column(conv.columns[i].Name)
		in.last.tables[i] = c
	}
	return c
}

func (in *interner) column(name string) *columnTable {
	c := in.columns[name]
	if c == nil {
		c = &columnTable{values: map[string]any{}, quoted: map[string]any{}, rest: 1}
		in.columns[name] = c
	}
	return c
}

// intern returns held[key], or else newValue's value, which it holds under a copy of key. A
// column left out in this generation is not looked up at all.
func (in *interner) intern(c *columnTable, held map[string]any, key string, newValue func() any) any {
	if in.lookedUp++; in.lookedUp >= internLookups {
		in.nextGeneration()
	}
	if c.skip > 0 {
		return newValue()
	}
	c.lookups++
	if v, ok := held[key]; ok {
		c.hits++
		return v
	}
	v := newValue()
	if s := v.(string); s == key {
		key = s // one copy serves as key and value
	} else {
		key = strings.Clone(key)
	}
	held[key] = v
	if in.held++; in.held >= internMax {
		in.nextGeneration()
	}
	return v
}

// nextGeneration lets go of every held value, and judges each column by its last generation.
func (in *interner) nextGeneration() {
	for _, c := range in.columns {
		switch {
		case c.skip > 0:
			c.skip--
		case c.lookups > 0 && c.hits*internMinReuse < c.lookups:
			c.skip, c.rest = c.rest, min(2*c.rest, internRestMax)
		case c.lookups > 0:
			c.rest = 1
		}
		// New maps, with room for what the last generation held: a cleared map keeps the room it
		// grew to, and each column's could grow to a generation's size in turn.
		c.lookups, c.hits = 0, 0
		c.values, c.quoted = make(map[string]any, len(c.values)), make(map[string]any, len(c.quoted))
	}
	in.held, in.lookedUp = 0, 0
}

// unquote is the value of a JSON string's text (quotes included), as a string of its own.
func unquote(raw []byte) any {
	if isLong(len(raw)) {
		return longString(raw)
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1])
	}
	return gjson.Parse(text(raw)).Str // unescaping makes a string of its own
}
