package input

import (
	"bytes"
	"strings"

	"github.com/tidwall/gjson"
)

// Interning keeps one copy of each repeated string value. Sign-in exports repeat most of their
// values (user agents, device and location details, app, resource and tenant ids), and the rows a
// join holds are most of a run's memory; a column whose values turn out not to repeat (request
// and session ids) stops being interned, so the table holds what is worth holding.
const (
	internMax      = 1 << 16 // values held, per goroutine and table
	internTrial    = 1024    // values of a column looked at before judging it
	internMinReuse = 4       // of internTrial, at least 1 in internMinReuse must repeat
)

// interner holds the strings of one reading goroutine, boxed once as the rows hold them: values by
// their text, and quoted by the text of the JSON string they were read from (escapes in), so that
// a repeated JSON-in-a-string column is neither unescaped nor copied again.
type interner struct {
	values, quoted map[string]any
	columns        map[string]*columnReuse
}

type columnReuse struct{ seen, repeats int }

func newInterner() *interner {
	return &interner{values: map[string]any{}, quoted: map[string]any{}, columns: map[string]*columnReuse{}}
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
	return in.intern(in.values, column, s, func() any { return strings.Clone(s) })
}

// quotedValue is value for the string whose JSON text, quotes included, is raw.
func (in *interner) quotedValue(column string, raw []byte) any {
	if in == nil || isLong(len(raw)) {
		return unquote(raw)
	}
	return in.intern(in.quoted, column, text(raw[1:len(raw)-1]), func() any { return unquote(raw) })
}

// intern returns held[key], or else newValue's value, which it holds under a copy of key while the
// column's values repeat. A column judged not to repeat is not looked up at all.
func (in *interner) intern(held map[string]any, column, key string, newValue func() any) any {
	c := in.columns[column]
	if c == nil {
		c = &columnReuse{}
		in.columns[column] = c
	}
	trial := c.seen < internTrial
	if !trial && c.repeats*internMinReuse < c.seen {
		return newValue()
	}
	if v, ok := held[key]; ok {
		if trial {
			c.seen++
			c.repeats++
		}
		return v
	}
	if trial {
		c.seen++
	}
	v := newValue()
	if len(held) < internMax {
		if s := v.(string); s == key {
			key = s // one copy serves as key and value
		} else {
			key = strings.Clone(key)
		}
		held[key] = v
	}
	return v
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
