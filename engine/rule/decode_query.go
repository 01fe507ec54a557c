package rule

import (
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// letName is what a let may be called: a name expressions can use (a toscalar let is read by name).
var letName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// lets reads the let mapping: name -> {table or from, toscalar, stages}, in order.
func (d *decoder) lets(n *yaml.Node) []*Let {
	var out []*Let
	for _, e := range d.mapping(n, "let") {
		l := &Let{Name: e.key.Value, Pos: d.pos(e.key)}
		if !letName.MatchString(l.Name) {
			d.errorf(e.key, "let %q: a let's name is a letter or _ followed by letters, digits or _ (expressions read it by name)", l.Name)
		}
		what := "let " + l.Name
		for _, f := range d.mapping(e.value, what, "params", "table", "from", "union", "value", "toscalar", "stages") {
			switch f.key.Value {
			case "params":
				l.Params = d.letParams(f.value, what+" params")
			case "table":
				l.Tables = d.strList(f.value, what+" table")
			case "from":
				l.From, _ = d.str(f.value, what+" from")
			case "union":
				l.Union = d.union(f.value)
			case "value":
				if _, ok := d.str(f.value, what+" value"); ok {
					l.Value = newExpr(d.file, f.value, d.lines)
				}
			case "toscalar":
				if f.value.Kind != yaml.ScalarNode || f.value.Tag != "!!bool" {
					d.errorf(f.value, "%s toscalar must be true or false", what)
				}
				l.Scalar = f.value.Value == "true"
			case "stages":
				l.Stages = d.stages(f.value, what+" stages")
			}
		}
		if l.Value != nil {
			if len(l.Params) == 0 || len(l.Tables) > 0 || l.From != "" || l.Union != nil || l.Stages != nil || l.Scalar {
				d.errorf(e.value, "%s: a let with a value is a scalar function: it has params and nothing but params and value (a constant is a param)", what)
				continue
			}
			out = append(out, l)
			continue
		}
		starts := 0
		for _, set := range []bool{len(l.Tables) > 0, l.From != "", l.Union != nil} {
			if set {
				starts++
			}
		}
		if e.value.Kind == yaml.MappingNode && starts != 1 {
			d.errorf(e.value, "%s needs one of table (a table, or a list of tables to union), from (an earlier let or a call) and union", what)
			continue
		}
		out = append(out, l)
	}
	return out
}

// items reads a list of Name: expression items and bare expressions (Column ""), a mapping of
// Name: expression, or one bare expression.
func (d *decoder) items(n *yaml.Node, what string) []*Assignment {
	item := func(k, v *yaml.Node) *Assignment {
		if _, ok := d.str(v, what+" "+k.Value); !ok {
			return nil
		}
		return &Assignment{Column: k.Value, Expr: newExpr(d.file, v, d.lines), Pos: d.pos(k)}
	}
	var out []*Assignment
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag != "!!null":
		out = append(out, &Assignment{Expr: newExpr(d.file, n, d.lines), Pos: d.pos(n)})
	case n.Kind == yaml.MappingNode:
		for _, e := range d.mapping(n, what) {
			if a := item(e.key, e.value); a != nil {
				out = append(out, a)
			}
		}
	case n.Kind == yaml.SequenceNode:
		for _, it := range n.Content {
			switch {
			case it.Kind == yaml.ScalarNode && it.Tag != "!!null":
				out = append(out, &Assignment{Expr: newExpr(d.file, it, d.lines), Pos: d.pos(it)})
			case it.Kind == yaml.MappingNode && len(it.Content) == 2:
				if a := item(it.Content[0], it.Content[1]); a != nil {
					out = append(out, a)
				}
			default:
				d.errorf(it, "a %s item is an expression or one Name: expression, not %s", what, kindName(it))
			}
		}
	default:
		d.errorf(n, "%s must be an expression, a list, or a mapping of Name: expression, not %s", what, kindName(n))
	}
	return out
}

func (d *decoder) summarize(n *yaml.Node) *SummarizeSpec {
	spec := &SummarizeSpec{}
	for _, e := range d.mapping(n, "summarize", "aggregates", "by") {
		switch e.key.Value {
		case "aggregates":
			spec.Aggregates = d.items(e.value, "summarize aggregates")
		case "by":
			spec.By = d.items(e.value, "summarize by")
		}
	}
	if n.Kind == yaml.MappingNode && len(spec.Aggregates) == 0 && len(spec.By) == 0 {
		d.errorf(n, "summarize needs aggregates (such as count() or Name: make_set(Column)), by (the group columns), or both")
	}
	return spec
}

// distinct reads a distinct's columns: names, or "*" for every column.
func (d *decoder) distinct(n *yaml.Node) []*Assignment {
	cols := d.items(n, "distinct")
	for _, c := range cols {
		if c.Column != "" {
			d.errorf(n, "distinct takes column names (or *), not Name: expression; compute the column with extend first")
			return nil
		}
	}
	return cols
}

// keyPair is a join key written as KQL writes keys named differently on each side.
var keyPair = regexp.MustCompile(`^\s*\$(left|right)\.([A-Za-z_][A-Za-z0-9_]*)\s*==\s*\$(left|right)\.([A-Za-z_][A-Za-z0-9_]*)\s*$`)

// joinKeys reads a join's on: a column name (the same on both sides), {left: A, right: B}, or
// "$left.A == $right.B", or a list of those.
func (d *decoder) joinKeys(n *yaml.Node) []*Key {
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var out []*Key
	for _, it := range items {
		k := &Key{Pos: d.pos(it)}
		switch {
		case it.Kind == yaml.MappingNode:
			for _, e := range d.mapping(it, "join key", "left", "right") {
				if e.key.Value == "left" {
					k.Column, _ = d.str(e.value, "join key left")
				} else {
					k.Right, _ = d.str(e.value, "join key right")
				}
			}
			if k.Column == "" || k.Right == "" {
				d.errorf(it, "a join key written as a mapping names both sides: {left: Column, right: Column}")
				continue
			}
		case it.Kind == yaml.ScalarNode && it.Tag != "!!null":
			if m := keyPair.FindStringSubmatch(it.Value); m != nil {
				if m[1] == m[3] {
					d.errorf(it, "join key %q compares two columns of the %s side; write $left.A == $right.B", it.Value, m[1])
					continue
				}
				k.Column, k.Right = m[2], m[4]
				if m[1] == "right" {
					k.Column, k.Right = m[4], m[2]
				}
			} else if strings.Contains(it.Value, "$") || strings.Contains(it.Value, "==") {
				d.errorf(it, "join key %q: write a column name, $left.A == $right.B, or {left: A, right: B}", it.Value)
				continue
			} else {
				k.Column, k.Right = it.Value, it.Value
			}
		default:
			d.errorf(it, "a join key is a column name, $left.A == $right.B, or {left: A, right: B}, not %s", kindName(it))
			continue
		}
		out = append(out, k)
	}
	return out
}
