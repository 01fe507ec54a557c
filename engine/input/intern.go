package input

import "strings"

// Interning keeps one copy of each repeated string value. Sign-in exports repeat most of their
// values (user agents, device and location details, app, resource and tenant ids), and the rows a
// join holds are most of a run's memory; a column whose values turn out not to repeat (request
// and session ids) stops being interned, so the table holds what is worth holding.
const (
	internMax      = 1 << 16 // values held, per goroutine
	internTrial    = 1024    // values of a column looked at before judging it
	internMinReuse = 4       // of internTrial, at least 1 in internMinReuse must repeat
)

// interner holds the strings of one reading goroutine, boxed once as the rows hold them.
type interner struct {
	values  map[string]any
	columns map[string]*columnReuse
}

type columnReuse struct{ seen, repeats int }

func newInterner() *interner {
	return &interner{values: map[string]any{}, columns: map[string]*columnReuse{}}
}

// value returns s as a row holds it: the held copy of an equal string, else a copy of s (which may
// point into the record's text), held when the column's values repeat.
func (in *interner) value(column, s string) any {
	if in == nil {
		return strings.Clone(s)
	}
	if v, ok := in.values[s]; ok {
		in.reuse(column, true)
		return v
	}
	c := in.reuse(column, false)
	v := any(strings.Clone(s))
	if len(in.values) < internMax && (c.seen < internTrial || c.repeats*internMinReuse >= c.seen) {
		in.values[v.(string)] = v
	}
	return v
}

func (in *interner) reuse(column string, repeated bool) *columnReuse {
	c := in.columns[column]
	if c == nil {
		c = &columnReuse{}
		in.columns[column] = c
	}
	if c.seen < internTrial {
		c.seen++
		if repeated {
			c.repeats++
		}
	}
	return c
}
