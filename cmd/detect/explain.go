package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/expr-lang/expr/vm"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/pipeline"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/session"
)

const explainUsage = `Usage: detect explain --rule FILE [--now T] [--set NAME=VALUE] [--lookup NAME=FILE] [--where EXPR] FILE...

Runs one rule over FILE... and prints its funnel: the rows into and out of each stage (a join's right
side indented under it), and for a join the left rows, the right rows, the keys matched and the pairs
emitted. With --where, follows the input rows for which EXPR holds through the stages and says which
stage dropped each, which part of its predicate was false and the values it saw, which join found no
partner, and which alerts they reached.

Flags:
`

func explainCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg := &runConfig{}
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addRuleFlags(fs, cfg)
	where := fs.String("where", "", `follow the input rows for which this expression holds, e.g. 'SessionId == "..."'`)
	fs.Usage = func() { w := usageWriter(args, stdout, stderr); fmt.Fprint(w, explainUsage); printDefaults(w, fs) }
	if err := parseRuleFlags(fs, cfg, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "detect explain: %v\n", err)
		return 1
	}
	cfg.allColumns = *where != ""
	cfg.asWritten = true
	p, err := prepare(cfg, stdin, stderr, nil)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if len(p.Plans) != 1 {
		fmt.Fprintf(stderr, "detect explain: --rule names %d rules; explain one at a time\n", len(p.Plans))
		return 1
	}
	plan := p.Plans[0]
	tracer := &follower{parents: joinParents(plan.Stages, nil)}
	if *where != "" {
		if err := tracer.choose(plan, p, *where); err != nil {
			fmt.Fprintf(stderr, "detect explain: --where: %v\n", err)
			return 1
		}
	}
	alerts, stats, err := plan.RunTraced(p.Read.Rows, tracer)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: %s\nnow %s, %d input rows\n\n", plan.Rule.File, plan.Rule.Meta.Name, kql.FormatDatetime(p.Now), p.Read.Records)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "stage\tkind\tplace\tin\tout\t")
	printFunnel(tw, stats, "")
	tw.Flush()
	fmt.Fprintf(stdout, "%d alerts\n", len(alerts))
	if *where != "" {
		tracer.report(stdout, *where, alerts)
	}
	return 0
}

func printFunnel(w io.Writer, stats []pipeline.StageStats, indent string) {
	for _, st := range stats {
		s := st.Stage.Rule
		name := s.Name
		if name == "" {
			name = "-"
		}
		detail := ""
		if s.Join != nil {
			detail = fmt.Sprintf("left %d, right %d, keys matched %d, pairs %d", st.In, st.Right, st.Keys, st.Out)
		}
		fmt.Fprintf(w, "%s%s\t%s\t%s:%d:%d\t%6d\t%6d\t%s\n", indent, name, s.Kind, filepath.Base(s.Pos.File), s.Pos.Line, s.Pos.Column, st.In, st.Out, detail)
		printFunnel(w, st.RightStages, indent+"  ")
	}
}

// joinParents maps each stage on a join's right side to its join.
func joinParents(stages []*pipeline.Stage, parent *pipeline.Stage) map[*pipeline.Stage]*pipeline.Stage {
	out := map[*pipeline.Stage]*pipeline.Stage{}
	for _, s := range stages {
		if parent != nil {
			out[s] = parent
		}
		for k, v := range joinParents(s.Right(), s) {
			out[k] = v
		}
	}
	return out
}

// follower is the tracer of explain --where: it notes what happens to the rows made from the
// input records it follows.
type follower struct {
	parents  map[*pipeline.Stage]*pipeline.Stage
	followed map[record.Source]bool
	order    []record.Source
	events   []string
}

// choose picks the input records for which where holds.
func (f *follower) choose(plan *pipeline.Plan, p *session.Batch, where string) error {
	table := plan.Inputs[0].Table
	columns := map[string]kql.Type{}
	for _, col := range table.Columns {
		columns[col.Name] = col.Type
	}
	prog, err := kqlexpr.Compile(where, kqlexpr.Env{Columns: columns, Now: p.Now})
	if err != nil {
		return err
	}
	f.followed = map[record.Source]bool{}
	var machine vm.VM
	for _, row := range p.Read.Rows[table.Name] {
		v, err := prog.Run(&machine, row.Map())
		if err != nil {
			return fmt.Errorf("%s: %w", row.Sources[0], err)
		}
		if holds, _ := v.(bool); holds {
			f.followed[row.Sources[0]] = true
			f.order = append(f.order, row.Sources[0])
		}
	}
	return nil
}

func (f *follower) follows(row record.Row) bool {
	for _, s := range row.Sources {
		if f.followed[s] {
			return true
		}
	}
	return false
}

func (f *follower) place(s *pipeline.Stage) string {
	label := fmt.Sprintf("%s (%s at %s:%d:%d)", nameOr(s), s.Rule.Kind, filepath.Base(s.Rule.Pos.File), s.Rule.Pos.Line, s.Rule.Pos.Column)
	if join, ok := f.parents[s]; ok {
		label += " on the right side of " + nameOr(join)
	}
	return label
}

func nameOr(s *pipeline.Stage) string {
	if s.Rule.Name != "" {
		return s.Rule.Name
	}
	return s.Rule.Kind
}

func sources(row record.Row) string {
	parts := make([]string, len(row.Sources))
	for i, s := range row.Sources {
		parts[i] = s.String()
	}
	return strings.Join(parts, " + ")
}

func (f *follower) Dropped(s *pipeline.Stage, row record.Row) {
	if f.follows(row) {
		f.events = append(f.events, fmt.Sprintf("%s dropped at %s: %s", sources(row), f.place(s), s.WhyDropped(row)))
	}
}

func (f *follower) Unpaired(s *pipeline.Stage, row record.Row) {
	if f.follows(row) {
		var keys []string
		for _, k := range s.Rule.Join.On {
			keys = append(keys, fmt.Sprintf("%s = %q", k.Column, kql.ToString(row.Get(k.Column))))
		}
		f.events = append(f.events, fmt.Sprintf("%s dropped at %s: no right row has %s", sources(row), f.place(s), strings.Join(keys, ", ")))
	}
}

func (f *follower) Paired(s *pipeline.Stage, row record.Row) {
	if f.follows(row) {
		f.events = append(f.events, fmt.Sprintf("%s paired at %s", sources(row), f.place(s)))
	}
}

func (f *follower) report(w io.Writer, where string, alerts []record.Row) {
	fmt.Fprintf(w, "\nfollowing %d input rows where %s\n", len(f.order), where)
	for _, s := range f.order {
		fmt.Fprintf(w, "  %s\n", s)
	}
	for _, e := range f.events {
		fmt.Fprintf(w, "%s\n", e)
	}
	for _, a := range alerts {
		if f.follows(a) {
			fmt.Fprintf(w, "%s became an alert\n", sources(a))
		}
	}
}
