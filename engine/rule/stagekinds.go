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
		// extend: {Name: EXPR, ...}, or a list of Name: EXPR items and unnamed calls of functions that
		// give several columns (KQL names those).
		Extend: func(d *decoder, n *yaml.Node, s *Stage) {
			s.Columns = d.items(n, "extend")
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
		Sort:       func(d *decoder, n *yaml.Node, s *Stage) { s.Sort = d.sortKeys(n, "sort") },
		Top:        func(d *decoder, n *yaml.Node, s *Stage) { d.top(n, s) },
		Take:       func(d *decoder, n *yaml.Node, s *Stage) { s.Count, _ = d.count(n, "take") },
		MakeSeries: func(d *decoder, n *yaml.Node, s *Stage) { s.MakeSeries = d.makeSeries(n) },
		MvApply: func(d *decoder, n *yaml.Node, s *Stage) {
			s.Apply = &ApplySpec{}
			for _, e := range d.mapping(n, "mv-apply", "expand", "on") {
				if e.key.Value == "expand" {
					s.Apply.Expand = d.items(e.value, "mv-apply expand")
				} else {
					s.Apply.On = d.stages(e.value, "mv-apply on")
				}
			}
			if n.Kind == yaml.MappingNode && len(s.Apply.Expand) == 0 {
				d.errorf(n, "mv-apply needs expand (the arrays, as mv-expand writes them) and on (the subquery's stages): {expand: [Metric to typeof(real)], on: [top: {count: 2, by: Metric}]}")
			}
		},
		Serialize: func(d *decoder, n *yaml.Node, s *Stage) {
			if n.Tag != "!!null" {
				s.Columns = d.items(n, "serialize")
			}
		},
		// KQL's lookup takes kinds leftouter (its default) and inner only.
		// https://learn.microsoft.com/kusto/query/lookup-operator
		LookupStage: func(d *decoder, n *yaml.Node, s *Stage) {
			s.Join = d.joinSpec(n, "lookup", LookupKinds, LookupKinds[0])
		},
		IPv4Lookup: func(d *decoder, n *yaml.Node, s *Stage) { s.IPv4 = d.ipv4Lookup(n) },
	}
}
