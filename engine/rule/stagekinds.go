package rule

import "gopkg.in/yaml.v3"

// stageDecoders read the block of each stage kind (the value of its key) into the Stage, reporting
// every problem at its place. (Set in init: a join's decoder reads the stages of its right side,
// which reads this table.)
var stageDecoders map[string]func(d *decoder, n *yaml.Node, s *Stage)

func init() {
	stageDecoders = map[string]func(d *decoder, n *yaml.Node, s *Stage){
		Where: func(d *decoder, n *yaml.Node, s *Stage) {
			if _, ok := d.str(n, "where"); ok {
				s.Where = newExpr(d.file, n, d.lines)
			}
		},
		Extend: func(d *decoder, n *yaml.Node, s *Stage) {
			for _, a := range d.mapping(n, "extend") {
				if _, ok := d.str(a.value, "extend "+a.key.Value); ok {
					s.Columns = append(s.Columns, &Assignment{Column: a.key.Value, Expr: newExpr(d.file, a.value, d.lines), Pos: d.pos(a.key)})
				}
			}
		},
		Project: func(d *decoder, n *yaml.Node, s *Stage) { s.Columns = d.projection(n) },
		ProjectRename: func(d *decoder, n *yaml.Node, s *Stage) {
			for _, r := range d.mapping(n, "project-rename") {
				if old, ok := d.str(r.value, "project-rename "+r.key.Value); ok {
					s.Renames = append(s.Renames, &Rename{New: r.key.Value, Old: old, Pos: d.pos(r.key)})
				}
			}
		},
		Join:        func(d *decoder, n *yaml.Node, s *Stage) { s.Join = d.join(n) },
		Summarize:   func(d *decoder, n *yaml.Node, s *Stage) { s.Summarize = d.summarize(n) },
		MvExpand:    func(d *decoder, n *yaml.Node, s *Stage) { s.Columns = d.items(n, "mv-expand") },
		Distinct:    func(d *decoder, n *yaml.Node, s *Stage) { s.Columns = d.distinct(n) },
		UnionStage:  func(d *decoder, n *yaml.Node, s *Stage) { s.Union = d.union(n) },
		ProjectAway: func(d *decoder, n *yaml.Node, s *Stage) { s.Patterns = d.patterns(n, "project-away", false) },
		ProjectKeep: func(d *decoder, n *yaml.Node, s *Stage) { s.Patterns = d.patterns(n, "project-keep", false) },
		ProjectReorder: func(d *decoder, n *yaml.Node, s *Stage) {
			s.Patterns = d.patterns(n, "project-reorder", true)
		},
		Parse:      func(d *decoder, n *yaml.Node, s *Stage) { s.Parse = d.parse(n, "parse") },
		ParseWhere: func(d *decoder, n *yaml.Node, s *Stage) { s.Parse = d.parse(n, "parse-where") },
	}
}
