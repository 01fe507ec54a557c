package pipeline

// columnSet is a set of column names; nil stands for every column.
type columnSet map[string]bool

func (s columnSet) has(name string) bool { return s == nil || s[name] }

func (s columnSet) with(names ...string) columnSet {
	if s == nil {
		return nil
	}
	out := make(columnSet, len(s)+len(names))
	for k := range s {
		out[k] = true
	}
	for _, n := range names {
		out[n] = true
	}
	return out
}

func setOf(cols []Column) columnSet {
	out := make(columnSet, len(cols))
	for _, c := range cols {
		out[c.Name] = true
	}
	return out
}

// markLive records in each stage of a pipeline the columns still read after it (by later stages,
// or as the pipeline's result: after), so that the stages that make new rows copy only those and
// an extend computes only the columns that will be read; it returns the columns read before the
// first stage. Join state then holds only what later stages use.
func markLive(stages []*Stage, after columnSet) columnSet {
	need := after
	for i := len(stages) - 1; i >= 0; i-- {
		s := stages[i]
		s.live = need
		need = s.op.live(s, need)
	}
	return need
}
