// Package pipeline turns a loaded rule into a plan, checking every expression and column against
// the columns that reach its stage, and runs the plan over rows: where, extend, project,
// project-rename and join, with KQL's semantics.
package pipeline

import (
	"fmt"
	"strings"
	"time"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/rule"
	"github.com/signin-detect/detect/engine/schema"
)

// Options are what a plan needs beyond its rule.
type Options struct {
	// Now anchors ago() and now().
	Now time.Time
	// LookupFiles replaces the CSV file of the lookups it names.
	LookupFiles map[string]string
}

// Column is a column of the rows a stage produces.
type Column struct {
	Name string
	Type kql.Type
}

// Input is a table a plan reads and the columns of it that it needs.
type Input struct {
	Table *schema.Table
	// Columns lists the columns the rule reads, in the table's order.
	Columns []string
}

// Plan is a rule ready to run.
type Plan struct {
	Rule *rule.Rule
	// Inputs are the tables the rule reads.
	Inputs []Input
	// Output is the columns of the rule's result rows, in order.
	Output []Column
	Stages []*Stage
	// snapshots names the stages whose output a join's right side starts from.
	snapshots map[string]bool
}

// Stage is a planned stage.
type Stage struct {
	Rule *rule.Stage
	// In and Out are the columns that reach the stage and that leave it.
	In, Out []Column

	where *kqlexpr.Program
	// env is what the stage's expressions were compiled against, for explaining a where.
	env     kqlexpr.Env
	assigns []assignment
	renames map[string]string // old name -> new name
	join    *join
}

type assignment struct {
	column string
	// copyOf is set when the value is a column taken as it is, which needs no program.
	copyOf string
	prog   *kqlexpr.Program
}

type join struct {
	leftKeys, rightKeys []string
	from                string // "" for the rule's input
	right               []*Stage
	// rightNames maps each right-side column to its name in the joined row.
	rightNames map[string]string
}

// CallsFunction tells whether the stage's predicate calls fn (such as "ago": a lookback).
func (s *Stage) CallsFunction(fn string) bool {
	if s.where == nil {
		return false
	}
	for _, c := range s.where.Calls {
		if c == fn {
			return true
		}
	}
	return false
}

// Compile plans r. Every problem is reported, at its place in the rule file, as rule.Errors.
func Compile(r *rule.Rule, opts Options) (*Plan, error) {
	var errs rule.Errors
	filePos := rule.Position{File: r.File}
	table, err := schema.Lookup(r.Meta.Table)
	if err != nil {
		errs.Add(filePos, "table: %v", err)
		return nil, errs.Err()
	}
	c := &compiler{errs: &errs, env: kqlexpr.Env{Now: opts.Now, Constants: map[string]any{}}, snapshots: map[string][]Column{}, used: map[string]bool{}}
	for _, p := range r.Params {
		c.env.Constants[p.Name] = p.Value
	}
	for _, lk := range r.Lookups {
		file := lk.File
		if override, ok := opts.LookupFiles[lk.Name]; ok {
			file = override
		}
		values, err := rule.ReadLookup(file, lk.Column)
		if err != nil {
			errs.Add(lk.Pos, "lookup %s: %v", lk.Name, err)
		}
		// Even when it failed, the name is known, so its uses raise no second error.
		c.env.Constants[lk.Name] = values
	}
	input := make([]Column, len(table.Columns))
	for i, col := range table.Columns {
		input[i] = Column{col.Name, col.Type}
	}
	c.inputCols = input
	plan := &Plan{Rule: r, snapshots: map[string]bool{}}
	plan.Stages, plan.Output = c.stages(r.Stages, input)
	for name := range c.joinFroms {
		plan.snapshots[name] = true
	}
	in := Input{Table: table}
	for _, col := range table.Columns {
		if c.used[col.Name] || !c.projected {
			in.Columns = append(in.Columns, col.Name)
		}
	}
	plan.Inputs = []Input{in}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return plan, nil
}

type compiler struct {
	errs      *rule.Errors
	env       kqlexpr.Env
	inputCols []Column
	// snapshots holds the columns after each named stage, for joins that start from it.
	snapshots map[string][]Column
	joinFroms map[string]bool
	// used holds every column name an expression, key or rename reads; projected tells whether a
	// project bounds what reaches the output (else every input column may).
	used      map[string]bool
	projected bool
}

func (c *compiler) stages(stages []*rule.Stage, cols []Column) ([]*Stage, []Column) {
	var out []*Stage
	for _, s := range stages {
		ps := c.stage(s, cols)
		out = append(out, ps)
		cols = ps.Out
		if s.Name != "" {
			c.snapshots[s.Name] = cols
		}
	}
	return out, cols
}

func typesOf(cols []Column) map[string]kql.Type {
	m := make(map[string]kql.Type, len(cols))
	for _, col := range cols {
		m[col.Name] = col.Type
	}
	return m
}

func indexOf(cols []Column, name string) int {
	for i, col := range cols {
		if col.Name == name {
			return i
		}
	}
	return -1
}

func columnNames(cols []Column) string {
	names := make([]string, len(cols))
	for i, col := range cols {
		names[i] = col.Name
	}
	return strings.Join(names, ", ")
}

// hint helps with a column name that is not there: the column it differs from only in case (KQL
// names are case-sensitive), or the columns there are when they are few enough to read.
func hint(name string, cols []Column) string {
	for _, col := range cols {
		if strings.EqualFold(col.Name, name) {
			return fmt.Sprintf(" (did you mean %s? column names are case-sensitive)", col.Name)
		}
	}
	if len(cols) <= 30 {
		return " (columns here: " + columnNames(cols) + ")"
	}
	return ""
}

// compile compiles e against cols, reporting an error at its place in the rule file.
func (c *compiler) compile(e *rule.Expr, cols []Column) *kqlexpr.Program {
	env := c.env
	env.Columns = typesOf(cols)
	prog, err := kqlexpr.Compile(e.Source, env)
	if err != nil {
		if ce, ok := err.(*kqlexpr.Error); ok {
			c.errs.Add(e.At(ce.Line, ce.Column), "%s", ce.Msg)
		} else {
			c.errs.Add(e.Pos, "%v", err)
		}
		return nil
	}
	for _, name := range prog.Columns {
		c.used[name] = true
	}
	return prog
}

func (c *compiler) stage(s *rule.Stage, in []Column) *Stage {
	ps := &Stage{Rule: s, In: in, Out: in}
	switch s.Kind {
	case rule.Where:
		ps.env = c.env
		ps.env.Columns = typesOf(in)
		ps.where = c.compile(s.Where, in)
		if ps.where != nil && ps.where.Type != kql.Bool && ps.where.Type != kql.Dynamic {
			c.errs.Add(s.Where.Pos, "where needs a true/false predicate; this expression gives a %s", ps.where.Type)
		}
	case rule.Extend:
		out := append([]Column(nil), in...)
		for _, a := range s.Columns {
			// KQL lets an extend use the columns it made before, in the same extend.
			as := c.assignment(a, out)
			ps.assigns = append(ps.assigns, as)
			col := Column{a.Column, c.typeOf(as, out)}
			if i := indexOf(out, a.Column); i >= 0 {
				out[i] = col
			} else {
				out = append(out, col)
			}
		}
		ps.Out = out
	case rule.Project:
		c.projected = true
		var out []Column
		for _, a := range s.Columns {
			if indexOf(out, a.Column) >= 0 {
				c.errs.Add(a.Pos, "project makes %s twice", a.Column)
				continue
			}
			as := c.assignment(a, in)
			ps.assigns = append(ps.assigns, as)
			out = append(out, Column{a.Column, c.typeOf(as, in)})
		}
		ps.Out = out
	case rule.ProjectRename:
		out := append([]Column(nil), in...)
		ps.renames = map[string]string{}
		for _, r := range s.Renames {
			i := indexOf(out, r.Old)
			switch {
			case i < 0:
				c.errs.Add(r.Pos, "project-rename %s = %s: no column %s here%s", r.New, r.Old, r.Old, hint(r.Old, in))
				continue
			case r.New != r.Old && indexOf(out, r.New) >= 0:
				c.errs.Add(r.Pos, "project-rename %s = %s: a column %s exists already", r.New, r.Old, r.New)
				continue
			}
			c.used[r.Old] = true
			ps.renames[r.Old] = r.New
			out[i].Name = r.New
		}
		ps.Out = out
	case rule.Join:
		ps.join, ps.Out = c.join(s, in)
	}
	return ps
}

// assignment plans Column = expression; an expression that is just a column name is a copy.
func (c *compiler) assignment(a *rule.Assignment, cols []Column) assignment {
	src := strings.TrimSpace(a.Expr.Source)
	if indexOf(cols, src) >= 0 {
		c.used[src] = true
		return assignment{column: a.Column, copyOf: src}
	}
	return assignment{column: a.Column, prog: c.compile(a.Expr, cols)}
}

func (c *compiler) typeOf(a assignment, cols []Column) kql.Type {
	if a.copyOf != "" {
		return cols[indexOf(cols, a.copyOf)].Type
	}
	if a.prog != nil {
		return a.prog.Type
	}
	return kql.Dynamic
}

func (c *compiler) join(s *rule.Stage, left []Column) (*join, []Column) {
	spec := s.Join
	j := &join{from: spec.From, rightNames: map[string]string{}}
	start := c.inputCols
	if spec.From != "" {
		cols, ok := c.snapshots[spec.From]
		if !ok {
			c.errs.Add(s.Pos, "join right from %q: no stage of that name comes before this join", spec.From)
		} else {
			start = cols
		}
		if c.joinFroms == nil {
			c.joinFroms = map[string]bool{}
		}
		c.joinFroms[spec.From] = true
	}
	var right []Column
	j.right, right = c.stages(spec.Right, start)
	for _, k := range spec.On {
		inLeft, inRight := indexOf(left, k.Column) >= 0, indexOf(right, k.Column) >= 0
		if !inLeft || !inRight {
			side := "left"
			if inLeft {
				side = "right"
			} else if !inRight {
				side = "left and right"
			}
			c.errs.Add(k.Pos, "join key %s is not a column of the %s side%s", k.Column, side, hint(k.Column, append(append([]Column(nil), left...), right...)))
			continue
		}
		c.used[k.Column] = true
		j.leftKeys = append(j.leftKeys, k.Column)
		j.rightKeys = append(j.rightKeys, k.Column)
	}
	// KQL keeps every left column and adds every right one; a right column whose name is taken
	// gets the smallest number that makes it unique (ResultType1, then ResultType2, ...).
	// https://learn.microsoft.com/kusto/query/join-operator
	out := append([]Column(nil), left...)
	taken := map[string]bool{}
	for _, col := range left {
		taken[col.Name] = true
	}
	for _, col := range right {
		name := col.Name
		for n := 1; taken[name]; n++ {
			name = fmt.Sprintf("%s%d", col.Name, n)
		}
		taken[name] = true
		j.rightNames[col.Name] = name
		out = append(out, Column{name, col.Type})
	}
	return j, out
}
