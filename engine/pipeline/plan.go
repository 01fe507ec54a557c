// Package pipeline turns a loaded rule into a plan, checking every expression and column against
// the columns that reach its stage, and runs the plan over rows with KQL's semantics: the rule's
// tables (their union), its lets, and the stages where, extend, project, project-rename, join,
// summarize, mv-expand and distinct.
package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/rule"
	"github.com/signin-detect/detect/engine/schema"
)

// Options are what a plan needs beyond its rule.
type Options struct {
	// Now anchors ago() and now(); Clock, when set, anchors them instead, read as they run (a
	// stream's now moves with its input).
	Now   time.Time
	Clock *time.Time
	// LookupFiles replaces the CSV file of the lookups it names.
	LookupFiles map[string]string
	// AsWritten runs every where only where it is written, so that each stage counts the rows
	// the rule as written gives it (explain); otherwise a where after a join that reads one side
	// also filters that side's rows before they pair (see pushDown).
	AsWritten bool
	// Budget bounds what each stage may make (see Budget); the zero value bounds nothing.
	Budget Budget
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
	// Inputs are the tables the rule reads, anywhere in it.
	Inputs []Input
	// Output is the columns of the rule's result rows, in order.
	Output []Column
	Stages []*Stage
	// source is where the rule's own stages start: its table, or the union of its tables.
	source *source
	lets   map[string]*let
	// snapshots names the stages whose output a join's right side starts from.
	snapshots map[string]bool
	// programs are the rule's compiled expressions, for counting their runtime nulls.
	programs []*kqlexpr.Program
	budget   Budget
}

// Stage is a planned stage.
type Stage struct {
	Rule *rule.Stage
	// In and Out are the columns that reach the stage and that leave it.
	In, Out []Column
	// op is the stage's kind, planned: everything about the stage that depends on its kind.
	op operator

	// live is the columns read after this stage (nil: every column).
	live columnSet
	// readsClock tells whether an expression of the stage (or of a join's right side) reads now.
	readsClock bool
}

// Lookback tells whether the stage is a filter that reads the clock (where TimeGenerated >
// ago(...)): the rows it drops are older than the rule looks back.
func (s *Stage) Lookback() bool {
	p := s.op.filter()
	return p != nil && p.ReadsClock
}

// Compile plans r. Every problem is reported, at its place in the rule file, as rule.Errors.
func Compile(r *rule.Rule, opts Options) (*Plan, error) {
	var errs rule.Errors
	tables := r.Meta.Tables
	if len(tables) == 0 && r.Meta.Table != "" {
		tables = []string{r.Meta.Table}
	}
	if !checkTables(r, tables, &errs) {
		return nil, errs.Err()
	}
	c := &compiler{errs: &errs, env: kqlexpr.Env{Now: opts.Now, Clock: opts.Clock, Constants: map[string]any{}, Scalars: map[string]kql.Type{}},
		snapshots: map[string]flow{}, joinFroms: map[string]bool{}, lets: map[string]*let{}, funcs: map[string]*rule.Let{}, used: map[string]bool{},
		aliases: map[string][]string{}, whole: map[string]bool{}}
	for _, p := range r.Params {
		c.env.Constants[p.Name] = p.Value
	}
	for _, lk := range r.Lookups {
		file := lk.File
		if override, ok := opts.LookupFiles[lk.Name]; ok {
			file = override
		}
		if lk.Table != nil {
			c.tableLookup(lk, file)
			continue
		}
		values, err := rule.ReadLookup(file, lk.Column)
		if err != nil && lk.URL != "" && errors.Is(err, fs.ErrNotExist) {
			errs.Add(lk.Pos, "lookup %s: %v (download it from %s with detect import --fetch, or give --lookup %s=FILE)", lk.Name, err, lk.URL, lk.Name)
		} else if err != nil {
			errs.Add(lk.Pos, "lookup %s: %v", lk.Name, err)
		}
		// Even when it failed, the name is known, so its uses raise no second error.
		c.env.Constants[lk.Name] = values
	}
	for _, l := range r.Lets {
		c.let(l)
	}
	var src *source
	var start flow
	switch {
	case r.Meta.Union != nil:
		var u *unionStage
		u, start = c.union(r.Meta.Union, nil)
		src = &source{union: u}
	case r.Meta.From != "":
		var ok bool
		if src, start, ok = c.fromSource(r.Meta.From, r.Meta.FromPos, "from", false); !ok {
			return nil, errs.Err()
		}
	default:
		src, start = c.tablesSource(tables)
	}
	plan := &Plan{Rule: r, source: src, lets: c.lets, snapshots: map[string]bool{}, budget: opts.Budget}
	var out flow
	plan.Stages, out = c.stages(r.Stages, start)
	plan.Output = out.cols
	for name := range c.joinFroms {
		plan.snapshots[name] = true
	}
	for _, t := range out.wide {
		c.whole[t] = true
	}
	plan.Inputs = c.inputs()
	plan.programs = c.programs
	if err := errs.Err(); err != nil {
		return nil, err
	}
	markLive(plan.Stages, setOf(plan.Output))
	for _, l := range plan.lets {
		markLive(l.stages, nil)
	}
	if !opts.AsWritten {
		pushDown(plan.Stages)
		for _, l := range plan.lets {
			pushDown(l.stages)
		}
	}
	return plan, nil
}

type compiler struct {
	errs *rule.Errors
	env  kqlexpr.Env
	// snapshots holds what flows after each named stage, for joins that start from it.
	snapshots map[string]flow
	joinFroms map[string]bool
	lets      map[string]*let
	// funcs are the lets with params, planned for each call.
	funcs map[string]*rule.Let
	// used holds every column name an expression, key or rename reads; aliases maps a column
	// named by a join or a union to the column(s) it was read as, so that reading it reads them.
	used    map[string]bool
	aliases map[string][]string
	// tables lists the tables read, in the order first read; whole names those whose every column
	// may reach the output (no project, summarize or distinct picks the columns on the way).
	tables []*schema.Table
	whole  map[string]bool
	// programs lists every expression compiled, in rule order.
	programs []*kqlexpr.Program
	// serialized tells whether the stage being planned gets a serialized row set.
	serialized bool
}

// flow is what reaches a stage while a pipeline is planned: the columns, and the tables whose every
// column still flows on because no project, summarize or distinct has picked the columns since
// they were read.
type flow struct {
	cols []Column
	wide []string
	// serialized tells that the rows are a serialized row set, over which window functions run.
	serialized bool
}

// stages plans a pipeline that starts with start: the rows of its source.
func (c *compiler) stages(stages []*rule.Stage, start flow) ([]*Stage, flow) {
	var out []*Stage
	f := start
	for _, s := range stages {
		var ps *Stage
		ps, f = c.stage(s, f, start)
		out = append(out, ps)
		if s.Name != "" {
			c.snapshots[s.Name] = f
		}
	}
	return out, f
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

func columnNames(cols []Column) string { return strings.Join(columnNamesOf(cols), ", ") }

func columnNamesOf(cols []Column) []string {
	names := make([]string, len(cols))
	for i, col := range cols {
		names[i] = col.Name
	}
	return names
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
	env.Serialized = c.serialized
	env.Scalars = c.rowLetsAsLists(env)
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
	for _, name := range prog.Scalars {
		// Its value is its first column, which may be any column of a table that flows whole.
		if l := c.lets[name]; l != nil && !l.scalar {
			for _, t := range l.out.wide {
				c.whole[t] = true
			}
		}
	}
	c.programs = append(c.programs, prog)
	return prog
}

// rowLetsAsLists adds to the toscalar lets an expression may read the lets of rows that are no
// column's name, each read as the list of its first column's values (x in L).
func (c *compiler) rowLetsAsLists(env kqlexpr.Env) map[string]kql.Type {
	scalars := env.Scalars
	for name, l := range c.lets {
		if _, isColumn := env.Columns[name]; l.scalar || isColumn || len(l.out.cols) == 0 || strings.Contains(name, "(") {
			continue
		}
		if _, isConstant := env.Constants[name]; isConstant {
			continue
		}
		if len(scalars) == len(env.Scalars) {
			scalars = make(map[string]kql.Type, len(env.Scalars)+1)
			for k, v := range env.Scalars {
				scalars[k] = v
			}
		}
		scalars[name] = kql.Dynamic
	}
	return scalars
}
