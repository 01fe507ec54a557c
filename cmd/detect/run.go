package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/signin-detect/detect/engine/input"
	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/output"
	"github.com/signin-detect/detect/engine/pipeline"
	"github.com/signin-detect/detect/engine/rule"
)

const runUsage = `Usage: detect run --rule PATH [--rule PATH ...] [flags] FILE|FOLDER...

Runs each rule over the sign-in records in the files (a folder: its files, recursively; '-':
standard input) and prints one JSON object per alert on standard output: the rule's projected
columns in projection order, then "_rule" (id, name, file) and "_sources" (file:line of each input
record the alert was made from). Rejected records, the summary and logs go to standard error.

Each file's shape is found from its content, gzip and zstd compressed or not: Log Analytics rows
(NDJSON, a JSON array, the query API's {"tables":[...]} response, the portal's CSV export);
diagnostic settings records (PT1H.json blobs, {"records":[...]} blobs and Event Hubs batches);
Microsoft Graph beta sign-ins ({"value":[...]} pages, one after another, or a plain array).
Records go to their table (Type, category or isInteractive) and each rule reads its table's.

Exit status: 0 when the run completed, with or without alerts or rejected records; 1 when it
could not (a rule with errors, a bad flag, no input, a failing rule); 2 when --strict is given
and a record or file was rejected; 3 when it ran out of memory (--max-memory).

Flags (they may also follow the files; after -- every argument is a file):
`

// multiFlag collects a flag given several times.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

type runConfig struct {
	rules       multiFlag
	now         string
	sets        multiFlag
	lookups     multiFlag
	inputFormat input.Format
	glob        string
	strict      bool
	format      string
	output      string
	stream      bool
	files       []string
	// allColumns reads every column of the input tables, not only those the rules read.
	allColumns bool
	// asWritten runs each where only where the rule writes it, and reads every record whole, so
	// that each stage counts what the rule as written gives it (explain).
	asWritten bool
	// formatFlag holds --input-format until parseRuleFlags checks it.
	formatFlag string
	// allowOutside are the folders outside their own that rules may read files from.
	allowOutside multiFlag
	// limits bound what reading one file may cost (Now is set when reading starts).
	limits          input.Limits
	maxDecompressed sizeFlag
	maxMemory       sizeFlag
}

// addRuleFlags adds the flags that choose and tune the rules, anchor the run and read its input:
// --rule, --now, --set, --lookup, --input-format and --glob (run and explain share them).
func addRuleFlags(fs *flag.FlagSet, cfg *runConfig) {
	fs.Var(&cfg.rules, "rule", "a rule file, or a folder searched recursively for *.yaml rules (repeatable; required)")
	fs.StringVar(&cfg.now, "now", "", "the time ago() and now() count from: RFC 3339 (2026-11-20T12:00:00Z), or 'latest' for\nthe newest TimeGenerated in the input (default: the current time, as in Sentinel)")
	fs.Var(&cfg.sets, "set", "NAME=VALUE overrides a rule param, read as the param's type; a list is comma-separated\n(repeatable; applies to every rule that has the param)")
	fs.Var(&cfg.lookups, "lookup", "NAME=CSV replaces the CSV file of the lookup NAME (repeatable)")
	fs.StringVar(&cfg.formatFlag, "input-format", string(input.FormatAuto), "the shape of every input file: auto (found per file from its content), loganalytics,\ndiagnostic, graph (JSON records of that shape), or csv (the portal's CSV export)")
	fs.StringVar(&cfg.glob, "glob", "", "in folders, read only the files whose name matches this pattern, such as '*.json' or\n'PT1H.json' (a pattern with / matches the path below the folder; default: every file)")
	fs.Var(&cfg.allowOutside, "allow-outside", "a folder outside a rule's own folder tree that its lookups and extends may read (repeatable)")
	cfg.limits = input.DefaultLimits
	cfg.maxDecompressed = sizeFlag(cfg.limits.MaxDecompressed)
	fs.Var(&cfg.maxDecompressed, "max-decompressed", "the most a compressed file may expand to, such as 16GB or 500MB (0: no limit)")
	fs.Float64Var(&cfg.limits.MaxRatio, "max-ratio", cfg.limits.MaxRatio, "the most a compressed file may expand, in times its size, past its first 16 MB (0: no limit)")
	fs.DurationVar(&cfg.limits.FutureSkew, "future-skew", cfg.limits.FutureSkew, "how far past the current time a record's TimeGenerated may be before it is rejected as\ndated in the future")
	cfg.maxMemory = sizeFlag(defaultMemoryCeiling())
	fs.Var(&cfg.maxMemory, "max-memory", "the memory past which the run stops with exit status 3, such as 8GB (default: three\nquarters of the machine's or the container's memory)")
}

// parseRuleFlags parses args with fs (whose flags include addRuleFlags') and checks that rules
// and input were given. Flags may come after the files too (detect run --rule r.yaml logs/
// --format table); after "--" everything is a file.
func parseRuleFlags(fs *flag.FlagSet, cfg *runConfig, args []string) error {
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		positional := fs.Args()
		if len(positional) == 0 {
			break
		}
		if consumed := len(rest) - len(positional); consumed > 0 && rest[consumed-1] == "--" {
			cfg.files = append(cfg.files, positional...)
			break
		}
		cfg.files = append(cfg.files, positional[0])
		rest = positional[1:]
	}
	cfg.limits.MaxDecompressed = int64(cfg.maxDecompressed)
	memoryCeiling.Store(int64(cfg.maxMemory))
	var err error
	if cfg.inputFormat, err = input.ParseFormat(cfg.formatFlag); err != nil {
		return fmt.Errorf("--input-format: %w", err)
	}
	if err := input.CheckGlob(cfg.glob); err != nil {
		return err
	}
	if len(cfg.rules) == 0 {
		return errors.New("no rules: give --rule PATH (a rule file or a folder of them)")
	}
	if len(cfg.files) == 0 {
		return errors.New("no input: give one or more log files, or - for standard input")
	}
	return nil
}

func printFunctions(w io.Writer) {
	fmt.Fprint(w, "\nFunctions available in rule expressions:\n")
	for _, f := range kqlexpr.Functions {
		fmt.Fprintf(w, "  %-40s %s\n", f.Signature, f.Doc)
	}
}

// prepared is a run's rules, planned, and its input, read.
type prepared struct {
	plans []*pipeline.Plan
	in    *inputs
	now   time.Time
}

// loadRules loads and tunes the rules, and tells which lookup files replace the rules' own.
func loadRules(cfg *runConfig) ([]*rule.Rule, map[string]string, error) {
	rules, err := rule.LoadPaths(cfg.rules, cfg.allowOutside...)
	if err != nil {
		return nil, nil, err
	}
	if err := applySets(rules, cfg.sets); err != nil {
		return nil, nil, err
	}
	lookupFiles, err := lookupOverrides(rules, cfg.lookups)
	return rules, lookupFiles, err
}

// prepare loads and tunes the rules, plans them and reads the input. Its errors are ready to print.
// beforeRead, when not nil, is given the plans before any input is read (run opens --output
// there, so that an output that cannot be written fails before a long read).
func prepare(cfg *runConfig, stdin io.Reader, stderr io.Writer, beforeRead func([]*pipeline.Plan) error) (*prepared, error) {
	rules, lookupFiles, err := loadRules(cfg)
	if err != nil {
		return nil, err
	}
	now, latest, err := parseNow(cfg.now)
	if err != nil {
		return nil, err
	}
	plans, err := compileAll(rules, pipeline.Options{Now: now, LookupFiles: lookupFiles, AsWritten: cfg.asWritten})
	if err != nil {
		return nil, err
	}
	if cfg.allColumns {
		for _, plan := range plans {
			for i, need := range plan.Inputs {
				plan.Inputs[i].Columns = nil
				for _, col := range need.Table.Columns {
					plan.Inputs[i].Columns = append(plan.Inputs[i].Columns, col.Name)
				}
			}
		}
	}
	if beforeRead != nil {
		if err := beforeRead(plans); err != nil {
			return nil, err
		}
	}
	var filters map[string]*pipeline.ReadFilter
	if !cfg.asWritten {
		filters = readFilters(plans)
	}
	in, err := readInputs(plans, filters, cfg, stdin, stderr, nil)
	if err != nil {
		return nil, err
	}
	if latest {
		// ago() is compiled against now: plan again, now that the input says what latest is.
		now = in.newest
		if plans, err = compileAll(rules, pipeline.Options{Now: now, LookupFiles: lookupFiles, AsWritten: cfg.asWritten}); err != nil {
			return nil, err
		}
	}
	return &prepared{plans: plans, in: in, now: now}, nil
}

func runCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg := &runConfig{}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addRuleFlags(fs, cfg)
	fs.BoolVar(&cfg.strict, "strict", false, "exit with status 2 when any record or file is rejected")
	fs.StringVar(&cfg.format, "format", "ndjson", "how alerts are written: ndjson, table (aligned columns for a terminal, long values cut)\nor csv")
	fs.StringVar(&cfg.output, "output", "", "write the alerts to FILE instead of standard output; the file is replaced only when\nthe run completes, never left half-written")
	fs.BoolVar(&cfg.stream, "stream", false, "time-ordered input of any length (such as standard input): now is the newest\nTimeGenerated read so far, rows older than the rule's queryPeriod are forgotten, and each\nalert is written as soon as it is made (--now does not apply)")
	fs.Usage = func() {
		fmt.Fprint(stderr, runUsage)
		fs.PrintDefaults()
		printFunctions(stderr)
	}
	err := parseRuleFlags(fs, cfg, args)
	if err == nil {
		if _, ferr := output.New(cfg.format, io.Discard, nil); ferr != nil {
			err = fmt.Errorf("--format: %w", ferr)
		}
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "detect run: %v\n", err)
		return 1
	}
	if cfg.stream {
		return runStream(cfg, stdin, stdout, stderr)
	}
	var out *alertOutput
	p, err := prepare(cfg, stdin, stderr, func(plans []*pipeline.Plan) error {
		var err error
		if out, err = openOutput(cfg, stdout, plans); err != nil {
			return fmt.Errorf("detect run: %w", err)
		}
		return nil
	})
	if err != nil {
		if out != nil {
			out.abort()
		}
		fmt.Fprintln(stderr, err)
		return 1
	}
	w := out.writer
	status := 0
	alertCounts := make([]int, len(p.plans))
	for i, plan := range p.plans {
		rows, stats, err := plan.Run(p.in.rows)
		if err != nil {
			fmt.Fprintln(stderr, err)
			status = 1
			continue
		}
		ref := output.RuleRef{ID: plan.Rule.Meta.ID, Name: plan.Rule.Meta.Name, File: plan.Rule.File}
		columns := make([]string, len(plan.Output))
		for j, col := range plan.Output {
			columns[j] = col.Name
		}
		for _, row := range rows {
			if err := w.Write(output.Alert{Rule: ref, Columns: columns, Row: row}); err != nil {
				fmt.Fprintf(stderr, "detect run: writing alerts: %v\n", err)
				out.abort()
				return 1
			}
		}
		alertCounts[i] = len(rows)
		reportLookback(stderr, plan, stats, p.now, p.in.newest)
	}
	if err := out.finish(status == 0); err != nil {
		fmt.Fprintf(stderr, "detect run: writing alerts: %v\n", err)
		return 1
	}
	printSummary(stderr, p.in, p.plans, alertCounts)
	if status == 0 && cfg.strict && p.in.rejected() > 0 {
		status = 2
	}
	return status
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
			return nil, fmt.Errorf("--lookup %s: write NAME=CSV", f)
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

func parseNow(text string) (now time.Time, latest bool, err error) {
	switch text {
	case "":
		return time.Now().UTC().Truncate(kql.Tick), false, nil
	case "latest":
		return time.Time{}, true, nil
	}
	now, err = time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return now, false, fmt.Errorf("--now %s: want an RFC 3339 time such as 2026-11-20T12:00:00Z, or latest", text)
	}
	return now.UTC(), false, nil
}

func compileAll(rules []*rule.Rule, opts pipeline.Options) ([]*pipeline.Plan, error) {
	var plans []*pipeline.Plan
	var errs rule.Errors
	for _, r := range rules {
		plan, err := pipeline.Compile(r, opts)
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

// reportLookback says how many rows each lookback stage (a where calling ago) dropped, so that a
// run over an old export does not silently find nothing.
func reportLookback(stderr io.Writer, plan *pipeline.Plan, stats []pipeline.StageStats, now, newest time.Time) {
	for _, st := range stats {
		if !st.Stage.CallsFunction("ago") || st.In == st.Out {
			continue
		}
		where := st.Stage.Rule.Pos.String()
		if st.Stage.Rule.Pos.File != plan.Rule.File { // a stage the rule inherits from its base
			where = plan.Rule.File + " (" + where + ")"
		}
		fmt.Fprintf(stderr, "%s: the lookback in stage %s dropped %d of the %d rows that reached it as older than its window before now (%s)",
			where, st.Stage.Rule.Label(), st.In-st.Out, st.In, kql.FormatDatetime(now))
		if !newest.IsZero() && newest.Before(now.Add(-time.Hour)) {
			fmt.Fprintf(stderr, "; the newest record is from %s: pass --now latest (or --now %s) to look back from there",
				kql.FormatDatetime(newest), newest.Format(time.RFC3339Nano))
		}
		fmt.Fprintln(stderr)
	}
}

func printSummary(stderr io.Writer, in *inputs, plans []*pipeline.Plan, alerts []int) {
	line := "summary: " + in.summary()
	total := 0
	for _, n := range alerts {
		total += n
	}
	line += fmt.Sprintf(", %d alerts", total)
	fmt.Fprintln(stderr, line)
	for i, p := range plans {
		fmt.Fprintf(stderr, "  %s: %d alerts\n", p.Rule.File, alerts[i])
	}
}
