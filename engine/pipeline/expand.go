package pipeline

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// expandStage is an mv-expand: each column it expands and the array it expands.
// https://learn.microsoft.com/kusto/query/mv-expand-operator
type expandStage struct {
	expand []assignment
	// types are the types the elements are converted to (to typeof(T)), Dynamic where none is
	// written, one per expanded column.
	types []kql.Type
	// itemIndex is the with_itemindex column: each element's index in its array, from 0.
	itemIndex string
}

// withItemIndex is mv-expand's with_itemindex=Name.
var withItemIndex = regexp.MustCompile(`^\s*with_itemindex\s*=\s*([A-Za-z_][A-Za-z0-9_]*)\s*$`)

// toTypeof is mv-expand's `Column to typeof(T)`.
var toTypeof = regexp.MustCompile(`(?i)\s+to\s+typeof\(\s*([a-z]+)\s*\)\s*$`)

// planMvExpand plans an mv-expand: each item is a dynamic column, or Name: an expression giving a
// dynamic value; the expanded column replaces the column of its name in place, or comes last.
func planMvExpand(c *compiler, s *rule.Stage, f, _ flow) (operator, flow) {
	in := f.cols
	out := append([]Column(nil), in...)
	var expand []assignment
	var types []kql.Type
	itemIndex := ""
	for _, item := range s.Columns {
		if m := withItemIndex.FindStringSubmatch(item.Expr.Source); m != nil && item.Column == "" {
			itemIndex = m[1]
			continue
		}
		to := kql.Dynamic
		if m := toTypeof.FindStringSubmatchIndex(item.Expr.Source); m != nil {
			t, err := kql.ParseType(item.Expr.Source[m[2]:m[3]])
			if err != nil {
				c.errs.Add(item.Pos, "mv-expand ... to typeof(T): %v", err)
				continue
			}
			to = t
			trimmed := *item
			trimmed.Expr = item.Expr.Part(0, len([]rune(item.Expr.Source[:m[0]])))
			item = &trimmed
		}
		name := item.Column
		if name == "" {
			col, ok := kqlexpr.ColumnName(item.Expr.Source)
			name = col
			if !ok {
				name = strings.TrimSpace(item.Expr.Source)
			}
			if !ok || indexOf(in, name) < 0 {
				c.errs.Add(item.Pos, "mv-expand %s: name the expanded column (- Name: %s), or give a column%s", name, name, hint(name, in))
				continue
			}
		}
		a := c.assignment(&rule.Assignment{Column: name, Expr: item.Expr, Pos: item.Pos}, in)
		if t := c.typeOf(a, in); t != kql.Dynamic {
			if a.copyOf != "" {
				c.errs.Add(item.Pos, "mv-expand expands dynamic arrays; %s is a %s column (holding JSON text? expand %s: todynamic(%s))", a.copyOf, t, a.copyOf, a.copyOf)
			} else if a.prog != nil {
				c.errs.Add(item.Pos, "mv-expand expands dynamic arrays; %s gives a %s", strings.TrimSpace(item.Expr.Source), t)
			}
			continue
		}
		expand = append(expand, a)
		types = append(types, to)
		col := Column{name, to}
		if i := indexOf(out, name); i >= 0 {
			out[i] = col
		} else {
			out = append(out, col)
		}
	}
	if itemIndex != "" {
		if indexOf(out, itemIndex) >= 0 {
			c.errs.Add(s.Pos, "mv-expand with_itemindex=%s: a column %s is there already", itemIndex, itemIndex)
		}
		out = append(out, Column{itemIndex, kql.Long})
	}
	f.cols = out
	return &expandStage{expand: expand, types: types, itemIndex: itemIndex}, f
}

// elements are the values an mv-expand makes rows of: an array's elements; a property bag's
// properties, each as a bag of one (kind=bag), in the bag's order; null, or any other value, once.
func elements(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case *kql.Object:
		out := make([]any, x.Len())
		for i, k := range x.Keys() {
			one := kql.NewObject()
			v, _ := x.Get(k)
			one.Set(k, v)
			out[i] = one
		}
		return out
	case map[string]any:
		keys := slices.Sorted(maps.Keys(x))
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = map[string]any{k: x[k]}
		}
		return out
	}
	return []any{v}
}

// mvExpand runs an mv-expand: a row for each element, the row's other columns copied to each. An
// empty array or bag makes no row, so the row is dropped; a null makes one row with null. Several
// columns expand side by side, the shorter ones padded with null.
// https://learn.microsoft.com/kusto/query/mv-expand-operator
func (e *expandStage) run(r *runner, s *Stage, rows, _ []record.Row, _ *StageStats) ([]record.Row, error) {
	var out []record.Row
	lists := make([][]any, len(e.expand))
	var values record.Builder
	for _, row := range rows {
		n := 0
		for i, a := range e.expand {
			v, err := r.value(a, row)
			if err != nil {
				return nil, r.fail(s, row, err)
			}
			lists[i] = elements(v)
			n = max(n, len(lists[i]))
		}
		for el := 0; el < n; el++ {
			values.CopyRow(row)
			if e.itemIndex != "" {
				values.Set(e.itemIndex, int64(el))
			}
			for i, a := range e.expand {
				var item any
				if el < len(lists[i]) {
					item = convertTo(lists[i][el], e.types[i])
				}
				values.Set(a.column, item)
			}
			out = append(out, values.Row(row.Sources))
		}
	}
	return out, nil
}

// convertTo converts an expanded element as the to* function of type t does (todouble, tolong,
// todatetime, ...): null when it cannot be one.
// https://learn.microsoft.com/kusto/query/mv-expand-operator
func convertTo(v any, t kql.Type) any {
	if v == nil {
		return t.Zero()
	}
	switch t {
	case kql.String:
		return kql.ToString(v)
	case kql.Long:
		if n, ok := kql.ToLong(v); ok {
			return n
		}
	case kql.Int:
		if n, ok := kql.ToInt(v); ok {
			return n
		}
	case kql.Real:
		if f, ok := kql.ToReal(v); ok {
			return f
		}
	case kql.Bool:
		if b, ok := kql.ToBool(v); ok {
			return b
		}
	case kql.Datetime:
		switch x := v.(type) {
		case time.Time:
			return x
		case string:
			if d, err := kql.ParseDatetime(x); err == nil {
				return d
			}
		}
	case kql.Timespan:
		switch x := v.(type) {
		case time.Duration:
			return x
		case string:
			if d, err := kql.ParseTimespan(x); err == nil {
				return d
			}
		}
	default:
		return v
	}
	return nil
}

func (e *expandStage) live(s *Stage, _ columnSet) columnSet { return setOf(s.In) }
func (e *expandStage) follow(origin map[string]string) (map[string]string, bool) {
	return noneAsIs(origin)
}
func (e *expandStage) filter() *kqlexpr.Program { return nil }
func (e *expandStage) keepsOrder(in bool) bool  { return in }
func (e *expandStage) rowWise() bool            { return true }
func (e *expandStage) splittable() bool         { return false }
