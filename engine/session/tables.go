package session

import (
	"os"
	"path/filepath"

	"github.com/signin-detect/detect/engine/rule"
	"github.com/signin-detect/detect/engine/schema"
)

// AddTables adds the tables defined by the schema files of each of tableDirs and of the tables/
// folder next to the rules (inside each rule folder given, beside each rule file given), so that
// rules can read tables the binary does not ship. Every mistake in them is returned, at its place.
func AddTables(tableDirs, rulePaths []string) rule.Errors {
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
