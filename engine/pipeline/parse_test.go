package pipeline

import (
	"strings"
	"testing"

	"github.com/signin-detect/detect/engine/record"
)

// parse matches the whole text against its pattern: * skips any text, a string column takes the
// text up to the next constant (the last one the rest), a typed column takes only text of its
// type, and a text that does not match, or a capture that does not convert, leaves every column
// null ("" for strings); parse-where drops those rows (Learn: parse operator, parse-where
// operator).
func TestParseAndParseWhere(t *testing.T) {
	rows := map[string][]record.Row{"SigninLogs": {
		tableRow(t, "SigninLogs", 1, map[string]any{"UserAgent": `Mozilla/5.0 (Windows NT 10.0) Edge/120 build=42 tail`}),
		tableRow(t, "SigninLogs", 2, map[string]any{"UserAgent": `Mozilla/4.0 (Macintosh) Safari/17 build=x7 tail`}),
		tableRow(t, "SigninLogs", 3, map[string]any{"UserAgent": `curl/8.1`}),
	}}
	body := `
table: SigninLogs
stages:
  - %s: 'UserAgent with "Mozilla/" Version " (" Platform ")" * "build=" Build:long " " Rest'
  - project: [Version, Platform, Build, Rest]
`
	p := mustCompileBody(t, strings.Replace(body, "%s", "parse", 1))
	expectRows(t, "parse", show(runTables(t, p, rows), "Version", "Platform", "Build", "Rest"), []string{
		"Version=5.0 Platform=Windows NT 10.0 Build=42 Rest=tail @1",
		"Version= Platform= Build=<nil> Rest= @2", // build=x7 is no long: the whole parse fails
		"Version= Platform= Build=<nil> Rest= @3",
	})
	if typ := p.Output[2].Type.String(); typ != "long" {
		t.Errorf("Build is %s, want long", typ)
	}
	p = mustCompileBody(t, strings.Replace(body, "%s", "parse-where", 1))
	expectRows(t, "parse-where", show(runTables(t, p, rows), "Version", "Build"), []string{"Version=5.0 Build=42 @1"})

	// kind=relaxed: the constants must all be there, but a column whose text is not of its type
	// is null alone, the others kept (Learn, parse operator: "Extended columns that didn't match
	// the required types get the value null").
	p = mustCompileBody(t, strings.Replace(body, "%s: '", "parse: 'kind=relaxed ", 1))
	expectRows(t, "parse kind=relaxed", show(runTables(t, p, rows), "Version", "Platform", "Build", "Rest"), []string{
		"Version=5.0 Platform=Windows NT 10.0 Build=42 Rest=tail @1",
		"Version=4.0 Platform=Macintosh Build=<nil> Rest=tail @2",
		"Version= Platform= Build=<nil> Rest= @3", // no "Mozilla/": nothing parses
	})
	if _, err := compileBody(t, strings.Replace(body, "%s: '", "parse-where: 'kind=relaxed ", 1)); err == nil {
		t.Errorf("parse-where kind=relaxed: no error (Learn gives parse-where simple and regex)")
	}

	// A long column takes the digits only: the string column after it gets the rest.
	p = mustCompileBody(t, `
table: SigninLogs
stages:
  - parse-where: 'UserAgent with * "Edge/" Version:long Rest'
`)
	expectRows(t, "long then string", show(runTables(t, p, rows), "Version", "Rest"), []string{"Version=120 Rest= build=42 tail @1"})

	// kind=regex: the constants are regexes; flags=i ignores case.
	p = mustCompileBody(t, `
table: SigninLogs
stages:
  - parse: 'kind=regex flags=i UserAgent with @"mozilla/\d\.\d \(" Platform @"\)\s" *'
  - project: [Platform]
`)
	expectRows(t, "parse kind=regex", show(runTables(t, p, rows), "Platform"),
		[]string{"Platform=Windows NT 10.0 @1", "Platform=Macintosh @2", "Platform= @3"})

	for _, bad := range []string{
		`parse: 'UserAgent "x" A'`,            // no with
		`parse: 'UserAgent with A *'`,         // * after a string column
		`parse: 'UserAgent with "x" A:color'`, // unknown type
		`parse: 'kind=regex UserAgent with "(" A'`,
	} {
		if _, err := compileBody(t, "table: SigninLogs\nstages:\n  - "+bad+"\n"); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// project-away drops the columns named or matched by a wildcard, project-keep keeps them in their
// order, project-reorder puts them first (a wildcard's by name with asc/desc, numbers compared as
// numbers with granny-asc) and keeps every column (Learn: project-away, project-keep,
// project-reorder operators).
func TestProjectAwayKeepReorder(t *testing.T) {
	rows := map[string][]record.Row{"SigninLogs": {tableRow(t, "SigninLogs", 1, nil)}}
	for body, want := range map[string]string{
		"project-away: ['a*']":                "b,c",
		"project-away: [c, b]":                "a20,a100,a3",
		"project-keep: [c, 'a1*']":            "a100,c",
		"project-reorder: [c]":                "c,b,a20,a100,a3",
		"project-reorder: ['a*', b]":          "a20,a100,a3,b,c",
		"project-reorder: ['a* asc']":         "a100,a20,a3,b,c",
		"project-reorder: ['a* desc']":        "a3,a20,a100,b,c",
		"project-reorder: ['a* granny-asc']":  "a3,a20,a100,b,c",
		"project-reorder: ['a* granny-desc']": "a100,a20,a3,b,c",
	} {
		p := mustCompileBody(t, "table: SigninLogs\nstages:\n  - project: [b: 1, a20: 2, a100: 3, a3: 4, c: 5]\n  - "+body+"\n")
		var names []string
		for _, col := range p.Output {
			names = append(names, col.Name)
		}
		if got := strings.Join(names, ","); got != want {
			t.Errorf("%s: columns %s, want %s", body, got, want)
		}
		out := runTables(t, p, rows)
		if len(out) != 1 || out[0].Len() != len(names) {
			t.Errorf("%s: row %v, want the columns %v", body, out, names)
		}
	}
	if _, err := compileBody(t, "table: SigninLogs\nstages:\n  - project-away: [NoSuchColumn]\n"); err == nil {
		t.Error("project-away of a column that is not there: no error")
	}
}
