package record

// Columns reads a fixed list of columns of rows by slot, finding the slots once for each layout
// the rows come in (a run's rows share a few layouts) rather than by name in every row: code that
// reads the same columns of every row (a join's keys, a where's columns) looks them up without a
// map. It is not safe for concurrent use.
type Columns struct {
	names  []string
	layout *Layout
	slots  []int // -1: the layout has no such column
	found  bool  // slots are the layout's
}

// NewColumns reads the columns names.
func NewColumns(names ...string) *Columns { return &Columns{names: names} }

// Len is how many columns c reads.
func (c *Columns) Len() int { return len(c.names) }

// Lookup is the value of the list's column i in row, and whether row has that column (as
// row.Lookup of its name).
func (c *Columns) Lookup(row Row, i int) (any, bool) {
	if !c.found || row.layout != c.layout {
		c.find(row.layout)
	}
	if s := c.slots[i]; s >= 0 {
		return row.slots[s], true
	}
	return nil, false
}

// Get is Lookup's value alone (as row.Get of the column's name).
func (c *Columns) Get(row Row, i int) any {
	v, _ := c.Lookup(row, i)
	return v
}

func (c *Columns) find(l *Layout) {
	c.layout, c.found, c.slots = l, true, c.slots[:0]
	for _, name := range c.names {
		s, ok := l.Slot(name)
		if !ok {
			s = -1
		}
		c.slots = append(c.slots, s)
	}
}
