package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/signin-detect/detect/engine/rule"
	"github.com/signin-detect/detect/engine/ruletest"
	"github.com/signin-detect/detect/engine/session"
)

const testUsage = `Usage: detect test [-v] [PATH ...]

Runs the test cases of every rule in PATH... (rule files or folders; default rules/): the tests key of
a rule file, or its sibling FILE.test.yaml (tables defined in tables/ next to the rules are read
too). Prints each failure with the alerts that were missing and
those that were not expected, and last the line 'N passed, N failed'. Exits 1 on any failure.

Flags:
`

func testCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	verbose := fs.Bool("v", false, "print every case, not only the failures")
	fs.Usage = func() { w := usageWriter(args, stdout, stderr); fmt.Fprint(w, testUsage); printDefaults(w, fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 1
	}
	paths := fs.Args()
	if len(paths) == 0 {
		paths = []string{"rules"}
	}
	passed, failed := 0, 0
	if errs := session.AddTables(nil, paths); len(errs) > 0 {
		fmt.Fprintln(stdout, errs)
		failed++
	}
	rules, err := rule.LoadPaths(paths)
	if err != nil {
		fmt.Fprintln(stdout, err)
		failed++
	}
	for _, r := range rules {
		suite, err := ruletest.Load(r.File)
		if err != nil {
			fmt.Fprintln(stdout, err)
			failed++
			continue
		}
		if suite == nil {
			fmt.Fprintf(stdout, "%s: no test cases\n", r.File)
			continue
		}
		for _, res := range suite.Run(r, nil) {
			if res.Passed() {
				passed++
				if *verbose {
					fmt.Fprintf(stdout, "ok   %s: %s\n", res.Case.Pos, res.Case.Name)
				}
				continue
			}
			failed++
			printFailure(stdout, r, res)
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return 1
	}
	return 0
}

func printFailure(w io.Writer, r *rule.Rule, res ruletest.Result) {
	fmt.Fprintf(w, "FAIL %s: %s (rule %s)\n", res.Case.Pos, res.Case.Name, r.File)
	if res.Err != nil {
		fmt.Fprintf(w, "     %v\n", res.Err)
	}
	for _, rej := range res.Rejected {
		fmt.Fprintf(w, "     input rejected: %s\n", rej)
	}
	for _, m := range res.Missing {
		fmt.Fprintf(w, "     missing alert:    %s\n", ruletest.Format(m, res.Columns))
	}
	for _, u := range res.Unexpected {
		fmt.Fprintf(w, "     unexpected alert: %s\n", ruletest.Format(u, res.Columns))
	}
}
