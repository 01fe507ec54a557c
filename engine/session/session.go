// Package session is the one way rules run over input, for every command that runs them (detect
// run, test, explain, and streaming): load the rules, tune them (--set, --lookup), compile them,
// read the input (each table's records through the plans' read filter), run the plans and hand each
// alert to a writer. What a user should be told about a rule's run (a lookback that dropped rows)
// comes back as Warnings, data for the caller to show.
package session

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/signin-detect/detect/engine/input"
	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/output"
	"github.com/signin-detect/detect/engine/pipeline"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// Tuning changes rules for one run: param overrides (NAME=VALUE, each read as its param's type)
// and lookup files (NAME=FILE); AllowOutside names the folders outside a rule's own folder tree
// that its lookups and extends may read (see rule.LoadPaths).
type Tuning struct {
	Sets, Lookups []string
	AllowOutside  []string
	// Budget bounds what each stage of a rule may make; over it, that rule fails and the others
	// run on.
	Budget pipeline.Budget
}

// Rules are loaded and tuned rules, and the lookup files that replace the rules' own. Skipped
// are the rule files of another format (Sentinel rules) that could not be translated, each at its
// place: the other rules run.
type Rules struct {
	Rules       []*rule.Rule
	LookupFiles map[string]string
	Budget      pipeline.Budget
	Skipped     rule.Errors
}

// Load adds the tables of tableDirs and of tables/ next to the rules (see AddTables), loads the
// rules of paths (files, or folders searched for rules) and tunes them.
func Load(paths, tableDirs []string, t Tuning) (*Rules, error) {
	if errs := AddTables(tableDirs, paths); len(errs) > 0 {
		return nil, errs
	}
	rules, err := rule.LoadPaths(paths, t.AllowOutside...)
	var skipped rule.Errors
	if errs := (rule.Errors)(nil); errors.As(err, &errs) {
		var problems rule.Errors
		problems, skipped = errs.Skips()
		err = problems.Err()
	}
	if err != nil {
		return nil, err
	}
	if err := applySets(rules, t.Sets); err != nil {
		return nil, err
	}
	lookups, err := lookupOverrides(rules, t.Lookups)
	if err != nil {
		return nil, err
	}
	return &Rules{Rules: rules, LookupFiles: lookups, Budget: t.Budget, Skipped: skipped}, nil
}

func applySets(rules []*rule.Rule, sets []string) error {
	for _, s := range sets {
		name, value, ok := strings.Cut(s, "=")
		if !ok {
			return fmt.Errorf("--set %s: write NAME=VALUE", s)
		}
		applied := false
		for _, r := range rules {
			if !r.HasParam(name) {
				continue
			}
			if err := r.SetParam(name, value); err != nil {
				return err
			}
			applied = true
		}
		if !applied {
			return fmt.Errorf("--set %s: no rule has a param called %s", s, name)
		}
	}
	return nil
}

func lookupOverrides(rules []*rule.Rule, flags []string) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range flags {
		name, file, ok := strings.Cut(f, "=")
		if !ok || file == "" {
			return nil, fmt.Errorf("--lookup %s: write NAME=FILE", f)
		}
		known := false
		for _, r := range rules {
			for _, lk := range r.Lookups {
				known = known || lk.Name == name
			}
		}
		if !known {
			return nil, fmt.Errorf("--lookup %s: no rule has a lookup called %s", f, name)
		}
		out[name] = file
	}
	return out, nil
}

// Now is the time ago() and now() count from: a time, or Latest, the newest TimeGenerated of the
// input (known once it is read).
type Now struct {
	At     time.Time
	Latest bool
}

// ParseNow reads --now: "" for the current time (as in Sentinel), "latest", or an RFC 3339 time.
func ParseNow(text string) (Now, error) {
	switch text {
	case "":
		return Now{At: time.Now().UTC().Truncate(kql.Tick)}, nil
	case "latest":
		return Now{Latest: true}, nil
	}
	at, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return Now{}, fmt.Errorf("--now %s: want an RFC 3339 time such as 2026-11-20T12:00:00Z, or latest", text)
	}
	return Now{At: at.UTC()}, nil
}

// Compile plans every rule, reporting the problems of all of them at once. The rules are planned
// side by side, as many at once as there are cores: a run compiles each rule twice (--now
// latest), and planning a rule is a few milliseconds of one core.
func (rs *Rules) Compile(opts pipeline.Options) ([]*pipeline.Plan, error) {
	opts.LookupFiles = rs.LookupFiles
	opts.Budget = rs.Budget
	compiled := make([]*pipeline.Plan, len(rs.Rules))
	failed := make([]error, len(rs.Rules))
	var wg sync.WaitGroup
	running := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, r := range rs.Rules {
		wg.Add(1)
		running <- struct{}{}
		go func() {
			defer func() { <-running; wg.Done() }()
			compiled[i], failed[i] = pipeline.Compile(r, opts)
		}()
	}
	wg.Wait()
	var plans []*pipeline.Plan
	var errs rule.Errors
	for i, plan := range compiled {
		err := failed[i]
		var re rule.Errors
		if errors.As(err, &re) {
			errs = append(errs, re...)
			continue
		}
		if err != nil {
			return nil, err
		}
		plans = append(plans, plan)
	}
	return plans, errs.Err()
}

// Config is what a batch run reads and how.
type Config struct {
	Now   Now
	Input Input
	// AsWritten runs each where only where the rule writes it and reads every record whole, so
	// that each stage counts what the rule as written gives it (explain).
	AsWritten bool
	// AllColumns reads every column of the input tables, not only those the rules read (explain
	// follows rows chosen by any column).
	AllColumns bool
}

// Batch is a batch run ready to go: its rules planned, against the now the input settled, and
// its input read.
type Batch struct {
	Plans []*pipeline.Plan
	Read  *Read
	Now   time.Time
	// filters says which rows each plan can use, and what its lookbacks dropped while reading.
	filters *readFilters
}

// Prepare compiles the rules and reads the input. With Now.Latest, the plans are compiled again
// once the input has told what the latest time is (ago() is compiled against now).
func Prepare(rs *Rules, cfg Config, hooks Hooks) (*Batch, error) {
	opts := pipeline.Options{Now: cfg.Now.At, AsWritten: cfg.AsWritten}
	plans, err := rs.Compile(opts)
	if err != nil {
		return nil, err
	}
	if hooks.BeforeRead != nil {
		if err := hooks.BeforeRead(plans); err != nil {
			return nil, err
		}
	}
	var filters *readFilters
	if !cfg.AsWritten {
		// With a fixed now, the lookbacks filter while reading too.
		filters = newReadFilters(plans, !cfg.Now.Latest)
	}
	read := newRead(hooks, nil)
	if err := readInput(plans, filters, cfg.AllColumns, cfg.Input, read, false); err != nil {
		return nil, err
	}
	if cfg.Now.Latest {
		opts.Now = read.Newest
		if plans, err = rs.Compile(opts); err != nil {
			return nil, err
		}
	}
	return &Batch{Plans: plans, Read: read, Now: opts.Now, filters: filters}, nil
}

// Result is what one rule's run gave.
type Result struct {
	Plan *pipeline.Plan
	// Alerts counts the alerts written; Err is set when the rule failed while running (and wrote
	// none).
	Alerts   int
	Stats    []pipeline.StageStats
	Warnings []Warning
	Err      error
}

// Run runs every plan over the input and hands each alert to write. A rule that fails while
// running has its Err set and the others run on; an error of write stops the run and is returned.
//
// The plans run side by side, as many at once as there are cores (a plan's stages over many rows
// share the cores too, but its joins, its small stages and its wheres over few rows run on one),
// and their alerts are written in plan order, each plan's once it is done.
func (b *Batch) Run(write func(output.Alert) error) ([]Result, error) {
	results := make([]Result, len(b.Plans))
	// Plans that begin with the same wheres (a rule and its variants) run them once.
	starts := pipeline.ShareStarts(b.Plans, b.Read.Rows, func(i int, table string) func(int) bool { return b.filters.reachOf(i, table, b.Read) })
	rows := make([][]record.Row, len(b.Plans))
	done := make([]chan struct{}, len(b.Plans))
	for i := range done {
		done[i] = make(chan struct{})
	}
	var stopped atomic.Bool
	go func() {
		running := make(chan struct{}, runtime.GOMAXPROCS(0))
		for i, plan := range b.Plans {
			running <- struct{}{}
			go func() {
				defer func() { <-running; close(done[i]) }()
				if !stopped.Load() {
					rows[i], results[i].Stats, results[i].Err = plan.RunFrom(b.filters.rowsOf(i, plan, b.Read, starts[i].Table()), starts[i])
				}
			}()
		}
	}()
	var writeErr error
	for i, plan := range b.Plans {
		<-done[i]
		if writeErr != nil {
			continue // every plan's goroutine is done before Run returns
		}
		res := &results[i]
		res.Plan = plan
		if res.Err != nil {
			continue
		}
		if b.filters != nil {
			b.filters.countMissed(res.Stats)
		}
		ref, columns := AlertShape(plan)
		entities := EntityShape(plan)
		alerts := rows[i]
		rows[i] = nil
		resultRows := len(alerts)
		if !plan.Rule.Meta.Passes(int64(resultRows)) {
			alerts = nil // Sentinel makes no alert from a result that does not pass the trigger
		}
		for _, row := range alerts {
			if writeErr = write(output.Alert{Rule: ref, Columns: columns, Row: row, Entities: entities}); writeErr != nil {
				stopped.Store(true)
				break
			}
		}
		if writeErr != nil {
			continue
		}
		res.Alerts = len(alerts)
		res.Warnings = ruleWarnings(runFacts{plan: plan, stats: res.Stats, now: b.Now, oldest: b.Read.Oldest, newest: b.Read.Newest, records: b.Read.ByTable, resultRows: resultRows})
	}
	return results, writeErr
}

// AlertShape is what every alert of a plan carries: the rule it comes from and its columns.
func AlertShape(plan *pipeline.Plan) (*output.RuleRef, []string) {
	m := plan.Rule.Meta
	ref := &output.RuleRef{ID: m.ID, Name: m.Name, Severity: m.Severity, Tactics: m.Tactics, Techniques: m.RelevantTechniques, File: plan.Rule.File}
	columns := make([]string, len(plan.Output))
	for j, col := range plan.Output {
		columns[j] = col.Name
	}
	return ref, columns
}

// EntityShape is the entity mappings every alert of a plan carries.
func EntityShape(plan *pipeline.Plan) []output.EntityMapping {
	var out []output.EntityMapping
	for _, e := range plan.Rule.Meta.EntityMappings {
		m := output.EntityMapping{Type: e.EntityType}
		for _, f := range e.FieldMappings {
			m.Fields = append(m.Fields, output.EntityField{Identifier: f.Identifier, Column: f.ColumnName})
		}
		out = append(out, m)
	}
	return out
}

// Input is what a run reads: files and folders (a folder's files matching Glob), each file's
// shape found from its content unless Format says it, "-" being Stdin; then Extra, readers named
// as their records' sources (a test case's inline rows).
type Input struct {
	Files  []string
	Glob   string
	Format input.Format
	// Table, when set, is the table of the records that do not tell theirs (see
	// input.Reader.TableOfUntold).
	Table string
	Stdin io.Reader
	Extra []Named
	// Limits bound what reading one file may cost; the zero value is input.DefaultLimits. Their
	// Now, which a record's TimeGenerated may not pass by more than FutureSkew, is set when
	// reading starts.
	Limits *input.Limits
}

// Named is input that is no file, under the name its rows' sources give.
type Named struct {
	Name   string
	Reader io.Reader
}
