package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/signin-detect/detect/engine/pipeline"
	"github.com/signin-detect/detect/engine/rule"
	"github.com/signin-detect/detect/engine/ruletest"
	"github.com/signin-detect/detect/engine/session"
)

const checkUsage = `Usage: detect check [--format text|json] [--tables DIR] [--allow-outside PATH] [--strict] [PATH ...]

Loads every rule in PATH... (rule files or folders; default rules/) with their test cases, and the
table schema files of each --tables folder and of tables/ next to the rules, and reports every
problem at once, each as file:line:col: message. Exits 1 when there is any, 0 when all is clean.

Flags:
`

func checkCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "text (file:line:col: message per line) or json (an array of {file, line, column, message})")
	strict := fs.Bool("strict", false, "count a Sentinel rule file that cannot be translated as a problem (without it, it is reported as skipped)")
	var tables multiFlag
	fs.Var(&tables, "tables", "a folder of table schema files to check and to read the rules against (repeatable)")
	var allowOutside multiFlag
	fs.Var(&allowOutside, "allow-outside", "a folder outside a rule's own folder tree that its lookups and extends may read (repeatable)")
	fs.Usage = func() { w := usageWriter(args, stdout, stderr); fmt.Fprint(w, checkUsage); printDefaults(w, fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 1
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "detect check: --format %s: want text or json\n", *format)
		return 1
	}
	paths := fs.Args()
	if len(paths) == 0 {
		paths = []string{"rules"}
	}
	all, checked := checkRules(tables, paths, allowOutside)
	problems, skipped := all.Skips()
	if *strict {
		problems = all
	} else {
		for _, s := range skipped {
			fmt.Fprintln(stderr, s)
		}
	}
	if *format == "json" {
		type problem struct {
			File    string `json:"file"`
			Line    int    `json:"line"`
			Column  int    `json:"column"`
			Message string `json:"message"`
		}
		out := []problem{}
		for _, p := range problems {
			out = append(out, problem{p.Pos.File, p.Pos.Line, p.Pos.Column, p.Msg})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(out)
	} else {
		for _, p := range problems {
			fmt.Fprintln(stdout, p)
		}
		summary := fmt.Sprintf("%d rules checked, %d problems", checked, len(problems))
		if len(skipped) > 0 && !*strict {
			summary += fmt.Sprintf(", %d skipped", len(skipped))
		}
		fmt.Fprintln(stderr, summary)
	}
	if len(problems) > 0 {
		return 1
	}
	return 0
}

// checkRules loads the user's tables, loads and plans every rule and its cases, and returns every
// problem found.
func checkRules(tableDirs, paths, allowOutside []string) (rule.Errors, int) {
	problems := session.AddTables(tableDirs, paths)
	rules, err := rule.LoadAll(paths, allowOutside...)
	problems = appendErrors(problems, err)
	for _, r := range rules {
		_, err := pipeline.Compile(r, pipeline.Options{Now: time.Now().UTC()})
		problems = appendErrors(problems, err)
		_, err = ruletest.Load(r.File)
		problems = appendErrors(problems, err)
	}
	sorted, _ := problems.Err().(rule.Errors)
	return sorted, len(rules)
}

func appendErrors(to rule.Errors, err error) rule.Errors {
	var errs rule.Errors
	switch {
	case err == nil:
	case errors.As(err, &errs):
		to = append(to, errs...)
	default:
		to = append(to, &rule.Error{Msg: err.Error()})
	}
	return to
}
