package kqlexpr

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signin-detect/detect/engine/internal/readmetable"
)

var update = flag.Bool("update", false, "rewrite the README's function table from the registry")

const readme = "../../README.md"

// Every registered function has its facts: a Learn page, a doc line, a test that calls it (by its
// name and each alias, in a test file of this package other than this one), and its row in the
// README, which is the registry's table exactly (go test ./engine/kqlexpr -update rewrites it).
func TestEveryFunctionHasItsDocsAndTests(t *testing.T) {
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	var tests strings.Builder
	for _, f := range files {
		if f == "registry_test.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		tests.Write(b)
	}
	for _, f := range Functions() {
		if !strings.HasPrefix(f.Learn, "https://learn.microsoft.com/kusto/query/") {
			t.Errorf("%s: Learn link %q is not a Microsoft Learn KQL page", f.Name, f.Learn)
		}
		if strings.TrimSpace(f.Doc) == "" || strings.Contains(f.Doc, "\n") {
			t.Errorf("%s: needs a one-line doc", f.Name)
		}
		for _, name := range append([]string{f.Name}, f.Aliases...) {
			if !strings.Contains(tests.String(), name+"(") {
				t.Errorf("%s: no test of this package calls %s(...)", f.Name, name)
			}
		}
	}
	readmetable.Check(t, readme, "<!-- functions: generated from engine/kqlexpr's registry -->\n",
		"<!-- end of functions -->", MarkdownTable(), *update, "run go test ./engine/kqlexpr -run TestEveryFunctionHasItsDocsAndTests -update")
}
