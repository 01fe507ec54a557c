package pipeline

import (
	"strconv"
	"strings"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
	"github.com/signin-detect/detect/engine/schema"
)

// unionStage is KQL's union: the rows of each leg, leg after leg, in a table of the legs' columns
// merged. kind=outer (the default) keeps every column of every leg, in the order first met, one
// per name and type: a name the legs give different types becomes Name_type in each; a row has
// null ("" for strings) in the columns its leg lacks. kind=inner keeps the columns every leg has.
// withsource=Col adds Col first, telling each row's leg: a table's name, else union_argN (N the
// leg's place from 0, the piped rows first). isfuzzy=true leaves out legs naming tables that do
// not exist, as long as one leg is left.
// https://learn.microsoft.com/kusto/query/union-operator
type unionStage struct {
	legs       []*unionLeg
	withSource string
	cols       []Column
}

// unionLeg is one operand of a union: the rows the stage gets (piped), or those of source through
// stages; rename maps its columns to their union names, drop lists those an inner union leaves
// out, and missing the union's columns it lacks.
type unionLeg struct {
	piped   bool
	label   string
	source  *source
	stages  []*Stage
	rename  map[string]string
	drop    map[string]bool
	missing []Column
}

// planUnion plans T | union ...: the rows so far are the first leg.
func planUnion(c *compiler, s *rule.Stage, f, _ flow) (operator, flow) {
	return c.union(s.Union, &f)
}

// union plans a union; piped is the flow of the rows piped into it, nil for a union that starts a
// pipeline.
func (c *compiler) union(spec *rule.UnionSpec, piped *flow) (*unionStage, flow) {
	u := &unionStage{withSource: spec.WithSource}
	var flows []flow
	if piped != nil {
		u.legs = append(u.legs, &unionLeg{piped: true, label: "union_arg0"})
		flows = append(flows, *piped)
	}
	for _, op := range spec.Operands {
		leg := &unionLeg{label: "union_arg" + strconv.Itoa(len(u.legs))}
		var start flow
		switch {
		case op.Name != "" && !strings.Contains(op.Name, "("):
			if _, isLet := c.lets[op.Name]; isLet {
				var ok bool
				if leg.source, start, ok = c.fromSource(op.Name, op.Pos, "union", false); !ok {
					continue
				}
				break
			}
			if _, err := schema.Lookup(op.Name); err != nil {
				if !spec.IsFuzzy {
					c.errs.Add(op.Pos, "union: %s is no let, and no table: %v", op.Name, err)
				}
				continue
			}
			leg.label = op.Name
			leg.source, start = c.tablesSource([]string{op.Name})
		case len(op.Tables) > 0:
			known := op.Tables[:0:0]
			for _, t := range op.Tables {
				if _, err := schema.Lookup(t); err != nil {
					if !spec.IsFuzzy {
						c.errs.Add(op.Pos, "union: table: %v", err)
					}
					continue
				}
				known = append(known, t)
			}
			if len(known) == 0 || len(known) < len(op.Tables) && !spec.IsFuzzy {
				continue
			}
			leg.source, start = c.tablesSource(known)
		default:
			from := op.From
			if from == "" {
				from = op.Name
			}
			var ok bool
			if leg.source, start, ok = c.fromSource(from, op.Pos, "union", false); !ok {
				continue
			}
		}
		var out flow
		leg.stages, out = c.stages(op.Stages, start)
		u.legs = append(u.legs, leg)
		flows = append(flows, out)
	}
	if len(flows) == 0 {
		c.errs.Add(spec.Pos, "union: none of its operands exists")
		return u, flow{}
	}
	var out flow
	if u.withSource != "" {
		out.cols = append(out.cols, Column{u.withSource, kql.String})
	}
	types := map[string][]Column{}
	for _, f := range flows {
		for _, col := range f.cols {
			if !containsColumn(types[col.Name], col) {
				types[col.Name] = append(types[col.Name], col)
			}
		}
		out.wide = append(out.wide, f.wide...)
	}
	inAll := func(col Column) bool {
		for _, f := range flows {
			if i := indexOf(f.cols, col.Name); i < 0 || f.cols[i].Type != col.Type {
				return false
			}
		}
		return true
	}
	for i, leg := range u.legs {
		leg.rename, leg.drop = map[string]string{}, map[string]bool{}
		for _, col := range flows[i].cols {
			name := col.Name
			if spec.Kind == "inner" && !inAll(col) {
				leg.drop[name] = true
				continue
			}
			if len(types[col.Name]) > 1 {
				name = col.Name + "_" + col.Type.String()
				leg.rename[col.Name] = name
				c.alias(name, col.Name)
			}
			if indexOf(out.cols, name) < 0 {
				out.cols = append(out.cols, Column{name, col.Type})
			}
		}
	}
	for i, leg := range u.legs {
		has := map[string]bool{}
		for _, col := range flows[i].cols {
			if union, ok := leg.rename[col.Name]; ok {
				has[union] = true
			} else {
				has[col.Name] = true
			}
		}
		for _, col := range out.cols {
			if !has[col.Name] && col.Name != u.withSource {
				leg.missing = append(leg.missing, col)
			}
		}
	}
	// The columns a union passes on may reach the output however they were read.
	for _, col := range out.cols {
		c.used[col.Name] = true
	}
	u.cols = out.cols
	return u, out
}

func containsColumn(cols []Column, col Column) bool {
	for _, x := range cols {
		if x == col {
			return true
		}
	}
	return false
}

func (u *unionStage) run(r *runner, s *Stage, rows, _ []record.Row, _ *StageStats) ([]record.Row, error) {
	return u.rows(r, rows, s.live)
}

// rows runs each leg and gives its rows the union's columns (those read later: live).
func (u *unionStage) rows(r *runner, piped []record.Row, live columnSet) ([]record.Row, error) {
	var out []record.Row
	var values record.Builder
	for _, leg := range u.legs {
		in := piped
		if !leg.piped {
			start, err := r.rows(leg.source)
			if err != nil {
				return nil, err
			}
			if in, _, err = r.stages(leg.stages, start, start); err != nil {
				return nil, err
			}
		}
		for _, row := range in {
			for k, v := range row.All() {
				if leg.drop[k] {
					continue
				}
				if name, ok := leg.rename[k]; ok {
					k = name
				}
				if live.has(k) {
					values.Set(k, v)
				}
			}
			for _, col := range leg.missing {
				if live.has(col.Name) {
					values.Set(col.Name, col.Type.Zero())
				}
			}
			if u.withSource != "" {
				values.Set(u.withSource, leg.label)
			}
			out = append(out, values.Row(row.Sources))
		}
	}
	return out, nil
}

// live: each leg reads the columns read after the union, under its own names.
func (u *unionStage) live(_ *Stage, after columnSet) columnSet {
	var pipedNeed columnSet = columnSet{}
	for _, leg := range u.legs {
		var need columnSet
		if after != nil {
			need = columnSet{}
			for name := range after {
				need[name] = true
			}
			for orig, name := range leg.rename {
				delete(need, name)
				if after[name] {
					need[orig] = true
				}
			}
		}
		if leg.piped {
			pipedNeed = need
			continue
		}
		markLive(leg.stages, need)
	}
	return pipedNeed
}

func (u *unionStage) follow(origin map[string]string) (map[string]string, bool) {
	return noneAsIs(origin)
}
func (u *unionStage) filter() *kqlexpr.Program { return nil }
func (u *unionStage) rowWise() bool            { return false }
func (u *unionStage) splittable() bool         { return false }
