package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/signin-detect/detect/engine/pipeline"
	"github.com/signin-detect/detect/engine/rule"
	"github.com/signin-detect/detect/engine/schema"
)

// addUserTables adds the tables defined by the schema files of each --tables folder and of the
// tables/ folder next to the rules (inside each rule folder given, beside each rule file given),
// so that rules can read tables the binary does not ship. Every mistake in them is returned, at
// its place.
func addUserTables(tableDirs, rulePaths []string) rule.Errors {
	dirs := append([]string(nil), tableDirs...)
	for _, p := range rulePaths {
		if info, err := os.Stat(p); err == nil && info.IsDir() {
			dirs = append(dirs, filepath.Join(p, "tables"))
		} else {
			dirs = append(dirs, filepath.Join(filepath.Dir(p), "tables"))
		}
	}
	var errs rule.Errors
	seen := map[string]bool{}
	for _, dir := range dirs {
		if seen[filepath.Clean(dir)] {
			continue
		}
		seen[filepath.Clean(dir)] = true
		for _, p := range schema.AddDir(dir) {
			errs = append(errs, &rule.Error{Pos: rule.Position{File: p.File, Line: p.Line, Column: p.Column}, Msg: p.Msg})
		}
	}
	return errs
}

// reportTablesWithoutRows says, once for the rule, which of its tables the input had no records of.
func reportTablesWithoutRows(stderr io.Writer, plan *pipeline.Plan, records map[string]int) {
	missing := plan.TablesWithoutRows(records)
	switch len(missing) {
	case 0:
	case 1:
		fmt.Fprintf(stderr, "%s: the input has no rows of %s: the rule read it as an empty table\n", plan.Rule.File, missing[0])
	default:
		fmt.Fprintf(stderr, "%s: the input has no rows of %s: the rule read them as empty tables\n", plan.Rule.File, strings.Join(missing, ", "))
	}
}
