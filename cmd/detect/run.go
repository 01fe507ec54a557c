package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/signin-detect/detect/engine/aggregate"
	"github.com/signin-detect/detect/engine/input"
	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/output"
	"github.com/signin-detect/detect/engine/pipeline"
	"github.com/signin-detect/detect/engine/session"
)

const runUsage = `Usage: detect run --rule PATH [--rule PATH ...] [flags] FILE|FOLDER...

Runs each rule over the sign-in records in the files (a folder: its files, recursively; '-':
standard input) and prints one JSON object per alert on standard output: the rule's projected
columns in projection order, then "_rule" (id, name, file) and "_sources" (file:line of each input
record the alert was made from). Rejected records, the summary and logs go to standard error.

Each file's shape is found from its content, gzip and zstd compressed or not: Log Analytics rows
(NDJSON, a JSON array, the query API's {"tables":[...]} response, the portal's CSV export);
diagnostic settings records (PT1H.json blobs, {"records":[...]} blobs and Event Hubs batches);
Microsoft Graph beta sign-ins and v1.0 or beta directory audits ({"value":[...]} pages, one after
another, or a plain array). Records go to their table (Type, category, isInteractive, or a Graph
audit's activityDisplayName and loggedByService) and each rule reads its table's. A table with no
rows in the input is read as an empty table, and the run says so.

Exit status: 0 when the run completed, with or without alerts or rejected records; 1 when it
could not (a rule with errors, a bad flag, no input, a failing rule); 2 when --strict is given
and a record or file was rejected; 3 when it ran out of memory (--max-memory); 134 (SIGABRT)
when the Go runtime could not get memory from the system.

Flags (they may also follow the files; after -- every argument is a file):
`

// multiFlag collects a flag given several times.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

type runConfig struct {
	rules       multiFlag
	tables      multiFlag
	now         string
	sets        multiFlag
	lookups     multiFlag
	inputFormat input.Format
	glob        string
	table       string
	strict      bool
	// skipped counts the Sentinel rule files that could not be translated, for the summary.
	skipped int
	format  string
	output  string
	stream  bool
	report  reportConfig
	files   []string
	// columns picks the columns a table or list shows; minSeverity and tags select the rules.
	columns     string
	minSeverity string
	tags        multiFlag
	quiet       bool
	// allColumns reads every column of the input tables, not only those the rules read.
	allColumns bool
	// asWritten runs each where only where the rule writes it, and reads every record whole, so
	// that each stage counts what the rule as written gives it (explain).
	asWritten bool
	// formatFlag holds --input-format until parseRuleFlags checks it.
	formatFlag string
	// allowOutside are the folders outside their own that rules may read files from.
	allowOutside multiFlag
	// limits bound what reading one file may cost.
	limits          input.Limits
	maxDecompressed sizeFlag
	maxMemory       sizeFlag
	softMemory      sizeFlag
	// budget bounds the join pairs and groups of each rule's stages.
	budget pipeline.Budget
	// lateness is how far out of order a stream's rows may come; state the stream's checkpoint
	// file, written every stateEvery.
	lateness   time.Duration
	state      string
	stateEvery time.Duration
}

// addRuleFlags adds the flags that choose and tune the rules, anchor the run and read its input:
// --rule, --now, --set, --lookup, --input-format and --glob (run and explain share them).
func addRuleFlags(fs *flag.FlagSet, cfg *runConfig) {
	fs.Var(&cfg.rules, "rule", "a rule file, or a folder searched recursively for *.yaml rules (repeatable; required)")
	fs.Var(&cfg.tables, "tables", "a folder of table schema files (*.yaml: name and columns) that define tables the rules\nread from Log Analytics exports, beside the shipped ones and those in tables/ next to the rules\n(repeatable)")
	fs.StringVar(&cfg.now, "now", "", "the time ago() and now() count from: RFC 3339 (2026-11-20T12:00:00Z), or 'latest' for\nthe newest TimeGenerated in the input (default: the current time, as in Sentinel)")
	fs.Var(&cfg.sets, "set", "NAME=VALUE overrides a rule param, read as the param's type; a list is comma-separated\n(repeatable; applies to every rule that has the param)")
	fs.Var(&cfg.lookups, "lookup", "NAME=FILE replaces the file of the lookup NAME, a list or a table (repeatable)")
	fs.StringVar(&cfg.formatFlag, "input-format", string(input.FormatAuto), "the shape of every input file: auto (found per file from its content), loganalytics,\ndiagnostic, graph (JSON records of that shape), or csv (the portal's CSV export)")
	fs.StringVar(&cfg.table, "table", "", "the table of the records that do not say theirs (a Log Analytics export without Type),\nsuch as SigninLogs (default: the rules' table, when they read one)")
	fs.StringVar(&cfg.glob, "glob", "", "in folders, read only the files whose name matches this pattern, such as '*.json' or\n'PT1H.json' (a pattern with / matches the path below the folder; default: every file)")
	fs.Var(&cfg.allowOutside, "allow-outside", "a folder outside a rule's own folder tree that its lookups and extends may read (repeatable)")
	cfg.limits = input.DefaultLimits
	cfg.maxDecompressed = sizeFlag(cfg.limits.MaxDecompressed)
	fs.Var(&cfg.maxDecompressed, "max-decompressed", "the most a compressed file may expand to, such as 16GB or 500MB (0: no limit)")
	fs.Float64Var(&cfg.limits.MaxRatio, "max-ratio", cfg.limits.MaxRatio, "the most a compressed file may expand, in times its size, past its first 16 MB (0: no limit)")
	fs.DurationVar(&cfg.limits.FutureSkew, "future-skew", cfg.limits.FutureSkew, "how far past the current time a record's TimeGenerated may be before it is rejected as\ndated in the future")
	cfg.budget = pipeline.DefaultBudget
	fs.IntVar(&cfg.budget.JoinPairs, "max-join-pairs", cfg.budget.JoinPairs, "the most pairs one join of a rule may make (with --stream: the rows it holds under one key);\nover it, that rule fails (naming the stage and its hottest key) and the others run on (0: no limit)")
	fs.IntVar(&cfg.budget.Groups, "max-groups", cfg.budget.Groups, "the most groups one summarize, distinct or make-series of a rule may make; over it, that rule fails and\nthe others run on (0: no limit)")
	cfg.maxMemory = sizeFlag(defaultMemoryCeiling())
	fs.Var(&cfg.maxMemory, "max-memory", "the memory past which the run stops with exit status 3, such as 8GB (default: three\nquarters of the machine's or the container's memory)")
	fs.Var(&cfg.softMemory, "soft-memory", "the memory past which the garbage collector works harder to keep the run under it, such as\n4GB (default: a quarter of the machine's or the container's memory, or three quarters of\n--max-memory when lower; GOMEMLIMIT in the environment, when set; 0: none)")
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
	softGiven := false
	fs.Visit(func(f *flag.Flag) { softGiven = softGiven || f.Name == "soft-memory" })
	if softGiven {
		paceGarbageCollection(int64(cfg.softMemory), true)
	} else {
		paceGarbageCollection(defaultSoftMemory(int64(cfg.maxMemory)), false)
	}
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
	for _, f := range kqlexpr.Functions() {
		fmt.Fprintf(w, "  %s\n      %s%s\n", f.Signature(), f.Doc, aliasNote(f.Aliases))
	}
	fmt.Fprint(w, "\nAggregates of summarize:\n")
	for _, a := range aggregate.All() {
		fmt.Fprintf(w, "  %s\n      %s%s\n", strings.SplitN(a.Usage, " takes", 2)[0], a.Doc, aliasNote(a.Aliases))
	}
}

func aliasNote(aliases []string) string {
	if len(aliases) == 0 {
		return ""
	}
	return " (also " + strings.Join(aliases, ", ") + ")"
}

// load loads the tables and the rules cfg names, tunes them, and keeps those --min-severity and
// --tag select.
func load(cfg *runConfig, stderr io.Writer) (*session.Rules, error) {
	rules, err := session.Load(cfg.rules, cfg.tables, session.Tuning{Sets: cfg.sets, Lookups: cfg.lookups, AllowOutside: cfg.allowOutside, Budget: cfg.budget})
	if err != nil {
		return nil, err
	}
	cfg.skipped = len(rules.Skipped)
	if err := reportSkipped(stderr, rules.Skipped, len(rules.Rules), cfg.strict); err != nil {
		return nil, err
	}
	return rules, rules.Select(cfg.minSeverity, cfg.tags)
}

// input is what cfg reads.
func (cfg *runConfig) input(stdin io.Reader) session.Input {
	return session.Input{Files: cfg.files, Glob: cfg.glob, Format: cfg.inputFormat, Stdin: stdin, Table: cfg.table, Limits: &cfg.limits}
}

// prepare loads and tunes the rules, plans them and reads the input. Its errors are ready to print.
// beforeRead, when not nil, is given the plans before any input is read (run opens --output
// there, so that an output that cannot be written fails before a long read).
func prepare(cfg *runConfig, stdin io.Reader, stderr io.Writer, beforeRead func([]*pipeline.Plan) error) (*session.Batch, error) {
	rules, err := load(cfg, stderr)
	if err != nil {
		return nil, err
	}
	now, err := session.ParseNow(cfg.now)
	if err != nil {
		return nil, err
	}
	hooks := readingHooks(stderr, cfg.quiet, cfg.input(stdin))
	hooks.BeforeRead = beforeRead
	return session.Prepare(rules, session.Config{Now: now, Input: cfg.input(stdin), AsWritten: cfg.asWritten, AllColumns: cfg.allColumns}, hooks)
}

// addAlertFlags adds the flags that select rules by what they detect and shape the alerts and
// the report: --min-severity, --tag, --strict, --format, --columns, --output, -q (run and hunt
// share them).
func addAlertFlags(fs *flag.FlagSet, cfg *runConfig) {
	fs.StringVar(&cfg.minSeverity, "min-severity", "", "run only the rules of this severity or higher: "+strings.Join(session.Severities, ", "))
	fs.Var(&cfg.tags, "tag", "run only the rules with this MITRE tactic (CredentialAccess) or technique (T1528, which\nalso selects T1528.001) (repeatable: any of them)")
	fs.BoolVar(&cfg.strict, "strict", false, "exit with status 2 when any record or file is rejected, and with status 1\nwhen a Sentinel rule file cannot be translated (without it, such a rule is skipped)")
	fs.StringVar(&cfg.format, "format", "ndjson", "how alerts are written: ndjson, table (a terminal-wide table per rule: time, severity,\nrule and the rule's columns, long values cut), list (one block per alert, a key: value line\nper column) or csv")
	fs.StringVar(&cfg.columns, "columns", "", "A,B,...: the columns of the rules' alerts that table and list show")
	fs.StringVar(&cfg.output, "output", "", "write the alerts to FILE instead of standard output; the file is replaced only when\nthe run completes, never left half-written")
	fs.BoolVar(&cfg.quiet, "q", false, "print only the summary on standard error (no rejected records, no warnings)")
}

// checkAlertFlags checks what addAlertFlags' flags were given.
func checkAlertFlags(cfg *runConfig) error {
	if _, err := output.New(cfg.format, io.Discard, output.Options{}); err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	if cfg.minSeverity != "" && !slices.Contains(session.Severities, cfg.minSeverity) {
		return fmt.Errorf("--min-severity %s: want one of %s", cfg.minSeverity, strings.Join(session.Severities, ", "))
	}
	return nil
}

func runCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg := &runConfig{}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addRuleFlags(fs, cfg)
	addAlertFlags(fs, cfg)
	fs.BoolVar(&cfg.stream, "stream", false, "input of any length (such as standard input, read as lines arrive): now is the newest\nTimeGenerated passed on so far, rows older than the rule's queryPeriod are forgotten, and each\nalert is written and flushed as soon as it is made (--now does not apply; --output is appended\nto as alerts are made); SIGINT or SIGTERM end it as the end of its input would")
	fs.DurationVar(&cfg.lateness, "max-lateness", 10*time.Minute, "--stream: how far behind the newest row read a row may come and still be put in order\n(a reorder buffer); a row later than that is rejected as late (0: no reordering)")
	fs.StringVar(&cfg.state, "state", "", "--stream: checkpoint what the stream holds to FILE, at intervals (--state-every) and at the\nend, and resume from it when it exists: a restarted stream loses nothing and writes no alert twice")
	fs.DurationVar(&cfg.stateEvery, "state-every", 10*time.Second, "--stream: how often --state is checkpointed")
	addReportFlags(fs, &cfg.report)
	fs.Usage = func() {
		w := usageWriter(args, stdout, stderr)
		fmt.Fprint(w, runUsage)
		printDefaults(w, fs)
		printFunctions(w)
	}
	err := parseRuleFlags(fs, cfg, args)
	if err == nil {
		err = checkAlertFlags(cfg)
	}
	if err == nil {
		err = checkInputs(cfg)
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "detect run: %v\n", err)
		return 1
	}
	if cfg.stream && cfg.report.file != "" {
		err = errors.New("--report needs every alert's source records, which --stream does not keep")
	}
	if err != nil {
		fmt.Fprintf(stderr, "detect run: %v\n", err)
		return 1
	}
	if cfg.stream {
		return runStream(cfg, stdin, stdout, stderr)
	}
	var out *alertOutput
	p, err := prepare(cfg, stdin, stderr, outputBeforeRead("detect run", cfg, stdout, &out))
	if err != nil {
		if out != nil {
			out.abort()
		}
		fmt.Fprintln(stderr, err)
		return 1
	}
	if err := readSomething(p.Read); err != nil {
		fmt.Fprintf(stderr, "detect run: %v\n", err)
		out.abort()
		return 1
	}
	results, err := p.Run(cfg.report.tee(p.Plans, out.writer.Write))
	if err != nil {
		fmt.Fprintf(stderr, "detect run: writing alerts: %v\n", err)
		out.abort()
		return 1
	}
	alertCounts, status := ruleResults(stderr, cfg.quiet, results)
	if err := out.finish(status == 0); err != nil {
		fmt.Fprintf(stderr, "detect run: writing alerts: %v\n", err)
		return 1
	}
	if err := cfg.report.write("detect run", cfg, p.Now, p.Read, results); err != nil {
		fmt.Fprintf(stderr, "detect run: %v\n", err)
		return 1
	}
	printSummary(stderr, p.Read, p.Plans, alertCounts, cfg.skipped)
	if status == 0 && cfg.strict && p.Read.Rejected() > 0 {
		status = 2
	}
	return status
}

// outputBeforeRead is the hook of a batch run or a hunt that opens --output (into *out) once the
// plans are known and before any input is read, so that an output that cannot be written fails
// before a long read.
func outputBeforeRead(command string, cfg *runConfig, stdout io.Writer, out **alertOutput) func([]*pipeline.Plan) error {
	return func(plans []*pipeline.Plan) error {
		var err error
		if *out, err = openOutput(cfg, stdout, plans); err != nil {
			return fmt.Errorf("%s: %w", command, err)
		}
		return nil
	}
}

// ruleResults prints each rule's error and (unless quiet) its warnings on stderr, and counts each
// rule's alerts; status is 1 when a rule failed.
func ruleResults(stderr io.Writer, quiet bool, results []session.Result) (alerts []int, status int) {
	alerts = make([]int, len(results))
	for i, res := range results {
		if res.Err != nil {
			fmt.Fprintln(stderr, res.Err)
			status = 1
			continue
		}
		alerts[i] = res.Alerts
		if !quiet {
			for _, w := range res.Warnings {
				fmt.Fprintln(stderr, w)
			}
		}
	}
	return alerts, status
}

func printSummary(stderr io.Writer, read *session.Read, plans []*pipeline.Plan, alerts []int, skipped int) {
	line := "summary: " + read.Summary()
	total := 0
	bySeverity := map[string]int{}
	for i, n := range alerts {
		total += n
		bySeverity[plans[i].Rule.Meta.Severity] += n
	}
	line += fmt.Sprintf(", %d alerts", total)
	if total > 0 {
		var parts []string
		for _, sev := range slices.Backward(session.Severities) {
			if n := bySeverity[sev]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", sev, n))
			}
		}
		line += " (" + strings.Join(parts, ", ") + ")"
	}
	if skipped > 0 {
		line += fmt.Sprintf(", %d rules skipped", skipped)
	}
	fmt.Fprintln(stderr, line)
	for i, p := range plans {
		fmt.Fprintf(stderr, "  %s: %s: %d alerts\n", p.Rule.File, p.Rule.Meta.Severity, alerts[i])
		// KQL gives null where a row's values do not suit an operator or function, and goes on;
		// say how often, so that a rule that silently lost its values on some rows shows it.
		for _, n := range p.RuntimeNulls() {
			fmt.Fprintf(stderr, "  %s: %d row evaluations of %s gave null (%s)\n", p.Rule.File, n.Count, strings.TrimSpace(n.Source), n.First)
		}
	}
}
