package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/session"
)

const huntUsage = `Usage: detect hunt --rule PATH [--rule PATH ...] [--from T] [--to T] [--every DURATION] [flags] FILE|FOLDER...

Evaluates each rule over the whole input as a Microsoft Sentinel scheduled rule would have been
all along: at every instant that is a whole multiple of its queryFrequency since
1970-01-01T00:00:00Z (--every overrides it; a rule without one is evaluated every queryPeriod),
from the oldest record to the first instant at or after the newest (or --from to --to), each time
with now at that instant over the records of its queryPeriod up to it. The input is read once.
An alert found by several evaluations is written once, with "_window": the first instant that
found it; two alerts are the same when their rule and projected values are equal.

Alerts are written as by detect run, with "_window" after "_time". Rejected records, the summary
and logs go to standard error.

Exit status: as detect run's.

Flags (they may also follow the files; after -- every argument is a file):
`

type huntFlags struct {
	from, to, every string
}

func huntCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg := &runConfig{}
	hf := &huntFlags{}
	fs := flag.NewFlagSet("hunt", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addRuleFlags(fs, cfg)
	addAlertFlags(fs, cfg)
	addReportFlags(fs, &cfg.report)
	fs.StringVar(&hf.from, "from", "", "the first instant to evaluate the rules at (RFC 3339; default: the oldest record)")
	fs.StringVar(&hf.to, "to", "", "the last instant to evaluate the rules at (RFC 3339; default: the first instant at or\nafter the newest record)")
	fs.StringVar(&hf.every, "every", "", "evaluate every rule this often (a KQL timespan: 5m, 1h, 1d), instead of its\nqueryFrequency")
	fs.Usage = func() {
		w := usageWriter(args, stdout, stderr)
		fmt.Fprint(w, huntUsage)
		printDefaults(w, fs)
	}
	hunt, err := parseHunt(fs, cfg, hf, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "detect hunt: %v\n", err)
		return 1
	}
	rules, err := load(cfg, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	hunt.Input = cfg.input(stdin)
	var out *alertOutput
	hooks := readingHooks(stderr, cfg.quiet, hunt.Input)
	hooks.BeforeRead = outputBeforeRead("detect hunt", cfg, stdout, &out)
	h, err := session.PrepareHunt(rules, hunt, hooks)
	if err != nil {
		if out != nil {
			out.abort()
		}
		fmt.Fprintln(stderr, err)
		return 1
	}
	if err := readSomething(h.Read); err != nil {
		fmt.Fprintf(stderr, "detect hunt: %v\n", err)
		out.abort()
		return 1
	}
	results, err := h.Run(cfg.report.tee(h.Plans, out.writer.Write))
	if err != nil {
		fmt.Fprintf(stderr, "detect hunt: writing alerts: %v\n", err)
		out.abort()
		return 1
	}
	ruleOnly := make([]session.Result, len(results))
	for i, res := range results {
		ruleOnly[i] = res.Result
	}
	alerts, status := ruleResults(stderr, cfg.quiet, ruleOnly)
	if err := out.finish(status == 0); err != nil {
		fmt.Fprintf(stderr, "detect hunt: writing alerts: %v\n", err)
		return 1
	}
	if err := cfg.report.writeHunt(cfg, h, results); err != nil {
		fmt.Fprintf(stderr, "detect hunt: %v\n", err)
		return 1
	}
	printSummary(stderr, h.Read, h.Plans, alerts, cfg.skipped)
	for i, res := range results {
		if instants := h.Instants(res.Plan); len(instants) > 0 {
			fmt.Fprintf(stderr, "  %s: evaluated %d times, %s to %s, %d alerts found, %d of them again\n", res.Plan.Rule.File,
				res.Instants, kql.FormatDatetime(instants[0]), kql.FormatDatetime(instants[len(instants)-1]), res.Found, res.Found-alerts[i])
		}
	}
	for table, n := range h.Untimed {
		fmt.Fprintf(stderr, "  %d records of %s have no TimeGenerated: no evaluation saw them\n", n, table)
	}
	if status == 0 && cfg.strict && h.Read.Rejected() > 0 {
		status = 2
	}
	return status
}

// parseHunt parses the hunt's flags into what it evaluates when.
func parseHunt(fs *flag.FlagSet, cfg *runConfig, hf *huntFlags, args []string) (session.HuntConfig, error) {
	var hunt session.HuntConfig
	err := parseRuleFlags(fs, cfg, args)
	if err == nil {
		err = checkAlertFlags(cfg)
	}
	if err == nil {
		err = checkInputs(cfg)
	}
	if err != nil {
		return hunt, err
	}
	if cfg.now != "" {
		return hunt, errors.New("--now does not apply: a hunt's now is each instant it evaluates the rules at")
	}
	for _, t := range []struct {
		name, text string
		at         *time.Time
	}{{"from", hf.from, &hunt.From}, {"to", hf.to, &hunt.To}} {
		if t.text == "" {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, t.text)
		if err != nil {
			return hunt, fmt.Errorf("--%s %s: want an RFC 3339 time such as 2026-11-20T12:00:00Z", t.name, t.text)
		}
		*t.at = at.UTC()
	}
	if !hunt.From.IsZero() && !hunt.To.IsZero() && hunt.To.Before(hunt.From) {
		return hunt, fmt.Errorf("--to %s is before --from %s", hf.to, hf.from)
	}
	if hf.every != "" {
		every, err := kql.ParseTimespan(hf.every)
		if err != nil || every <= 0 {
			return hunt, fmt.Errorf("--every %s: want a positive timespan such as 1h", hf.every)
		}
		hunt.Every = every
	}
	return hunt, nil
}
