package rule

import (
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// sortSuffix is what may follow a sort key's expression: asc or desc, then nulls first or last
// (https://learn.microsoft.com/kusto/query/sort-operator).
var sortSuffix = regexp.MustCompile(`(?i)(?:\s+(asc|desc))?(?:\s+nulls\s+(first|last))?\s*$`)

// sortKeys reads a sort's keys: one "Expr [asc|desc] [nulls first|last]", or a list of them.
// KQL's defaults: desc; nulls first when asc, nulls last when desc.
func (d *decoder) sortKeys(n *yaml.Node, what string) []*SortKey {
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var out []*SortKey
	for _, it := range items {
		if _, ok := d.str(it, what+" key"); !ok {
			continue
		}
		e := newExpr(d.file, it, d.lines)
		m := sortSuffix.FindStringSubmatchIndex(e.Source)
		k := &SortKey{Pos: d.pos(it), Desc: true}
		if m[2] >= 0 {
			k.Desc = strings.EqualFold(e.Source[m[2]:m[3]], "desc")
		}
		k.NullsFirst = !k.Desc
		if m[4] >= 0 {
			k.NullsFirst = strings.EqualFold(e.Source[m[4]:m[5]], "first")
		}
		expr := e.Source[:m[0]]
		if strings.TrimSpace(expr) == "" {
			d.errorf(it, "%s key %q names no column or expression to sort by", what, e.Source)
			continue
		}
		k.Expr = e.Part(0, len([]rune(expr)))
		out = append(out, k)
	}
	if len(out) == 0 && n.Kind == yaml.SequenceNode {
		d.errorf(n, "%s needs at least one key (Column [asc|desc] [nulls first|last])", what)
	}
	return out
}

// count reads a take's or top's number of rows: a whole number, 0 or more.
func (d *decoder) count(n *yaml.Node, what string) (int64, bool) {
	s, ok := d.str(n, what)
	if !ok {
		return 0, false
	}
	c, err := strconv.ParseInt(s, 10, 64)
	if err != nil || c < 0 {
		d.errorf(n, "%s takes a number of rows (a whole number, 0 or more), not %q", what, s)
		return 0, false
	}
	return c, true
}

// top reads {count: N, by: Expr [asc|desc] [nulls first|last]}.
func (d *decoder) top(n *yaml.Node, s *Stage) {
	var haveCount bool
	for _, e := range d.mapping(n, "top", "count", "by") {
		switch e.key.Value {
		case "count":
			s.Count, haveCount = d.count(e.value, "top count")
		case "by":
			if e.value.Kind == yaml.SequenceNode {
				d.errorf(e.value, "top sorts by one expression (KQL's top N by Expr); sort, then take, for more")
				continue
			}
			s.Sort = d.sortKeys(e.value, "top by")
		}
	}
	if n.Kind == yaml.MappingNode && (!haveCount || len(s.Sort) == 0) {
		d.errorf(n, "top needs count (the rows to keep) and by (Expr [asc|desc] [nulls first|last]): {count: 3, by: Slope desc}")
	}
}

// seriesDefault is an aggregate's default= in a make-series: the value of a bin no row falls in.
var seriesDefault = regexp.MustCompile(`\s+default\s*=\s*(\S.*?)\s*$`)

// makeSeries reads {aggregates: [...], on: Axis, from: E, to: E, step: E, by: [...]}.
func (d *decoder) makeSeries(n *yaml.Node) *MakeSeriesSpec {
	spec := &MakeSeriesSpec{}
	for _, e := range d.mapping(n, "make-series", "aggregates", "on", "from", "to", "step", "in", "by") {
		switch e.key.Value {
		case "aggregates":
			for _, a := range d.items(e.value, "make-series aggregates") {
				var def *Expr
				if m := seriesDefault.FindStringSubmatchIndex(a.Expr.Source); m != nil {
					start := len([]rune(a.Expr.Source[:m[2]]))
					def = a.Expr.Part(start, len([]rune(a.Expr.Source[m[2]:m[3]])))
					a.Expr = a.Expr.Part(0, len([]rune(a.Expr.Source[:m[0]])))
				}
				spec.Aggregates = append(spec.Aggregates, a)
				spec.Defaults = append(spec.Defaults, def)
			}
		case "on", "from", "to", "step", "in":
			if _, ok := d.str(e.value, "make-series "+e.key.Value); !ok {
				continue
			}
			x := newExpr(d.file, e.value, d.lines)
			switch e.key.Value {
			case "on":
				spec.On = x
			case "from":
				spec.From = x
			case "to":
				spec.To = x
			case "step":
				spec.Step = x
			case "in":
				spec.In = x
			}
		case "by":
			spec.By = d.items(e.value, "make-series by")
		}
	}
	if n.Kind == yaml.MappingNode && (len(spec.Aggregates) == 0 || spec.On == nil || (spec.Step == nil) == (spec.In == nil)) {
		d.errorf(n, "make-series needs aggregates, on (the axis column) and step (or in: range(start, stop, step), and then no from, to or step): {aggregates: [count()], on: TimeGenerated, step: 1h, by: [UserPrincipalName]}")
	}
	if spec.In != nil && (spec.From != nil || spec.To != nil) {
		d.errorf(n, "make-series takes from, to and step, or in: range(start, stop, step), not both")
	}
	return spec
}
