package rule

// An Importer reads rule files of another format (a Sentinel analytic rule or hunting query) by
// translating them, in memory, into this package's rule language. It returns handled false for a
// file that is not of its format; for a file it cannot translate, an *Error at the file's place,
// with Skip set when the rest of the rules should still run. places[i] is the place in the
// original file of what line i+1 of the translation ports (a zero Line where none): problems
// found in the translation are reported there.
type Importer func(path string, data []byte) (rule []byte, places []Position, handled bool, err *Error)

var importers []Importer

// RegisterImporter adds an importer; package kqlimport registers the Sentinel one.
func RegisterImporter(i Importer) { importers = append(importers, i) }

func importFile(path string, data []byte) ([]byte, []Position, bool, *Error) {
	for _, i := range importers {
		if out, places, handled, err := i(path, data); handled {
			return out, places, true, err
		}
	}
	return nil, nil, false, nil
}

// placeImported moves every position of a rule translated from another format to the place in
// the original file of what it ports. A place inside an expression is the expression's own: the
// translation's text is not in the file.
func placeImported(r *Rule, places []Position) {
	at := func(p *Position) {
		if p.Line >= 1 && p.Line <= len(places) && places[p.Line-1].Line > 0 {
			*p = places[p.Line-1]
		} else {
			*p = Position{File: p.File}
		}
	}
	expr := func(e *Expr) {
		if e != nil {
			at(&e.Pos)
			e.lines, e.placed = nil, true
		}
	}
	assignments := func(as []*Assignment) {
		for _, a := range as {
			at(&a.Pos)
			expr(a.Expr)
		}
	}
	var stages func([]*Stage)
	union := func(u *UnionSpec) {
		if u == nil {
			return
		}
		at(&u.Pos)
		for _, o := range u.Operands {
			at(&o.Pos)
			stages(o.Stages)
		}
	}
	stages = func(ss []*Stage) {
		for _, s := range ss {
			at(&s.Pos)
			expr(s.Where)
			assignments(s.Columns)
			for _, rn := range s.Renames {
				at(&rn.Pos)
			}
			if s.Join != nil {
				for _, k := range s.Join.On {
					at(&k.Pos)
				}
				stages(s.Join.Right)
			}
			if s.Summarize != nil {
				assignments(s.Summarize.Aggregates)
				assignments(s.Summarize.By)
			}
			union(s.Union)
		}
	}
	for _, p := range r.Params {
		at(&p.Pos)
	}
	for _, l := range r.Lookups {
		at(&l.Pos)
	}
	for _, l := range r.Lets {
		at(&l.Pos)
		stages(l.Stages)
		union(l.Union)
	}
	union(r.Meta.Union)
	stages(r.Stages)
	for i := range r.Meta.EntityMappings {
		e := &r.Meta.EntityMappings[i]
		at(&e.Pos)
		for j := range e.FieldMappings {
			at(&e.FieldMappings[j].Pos)
		}
	}
}
