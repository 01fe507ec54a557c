// Package readmetable keeps a table of the README that is generated from a registry in step with
// it: the registries' tests call it, and with -update they write the table instead of failing.
package readmetable

import (
	"os"
	"strings"
	"testing"
)

// Check wants the text between the markers begin and end of the file readme to be table; when it
// is not, it rewrites the file if update is set and otherwise fails t with hint.
func Check(t *testing.T, readme, begin, end, table string, update bool, hint string) {
	t.Helper()
	text, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok := strings.Cut(string(text), begin)
	_, after, ok2 := strings.Cut(rest, end)
	if !ok || !ok2 {
		t.Fatalf("%s lacks the markers %q and %q around its generated table", readme, begin, end)
	}
	want := before + begin + table + end + after
	if want == string(text) {
		return
	}
	if update {
		if err := os.WriteFile(readme, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s's generated table differs from the registry; %s", readme, hint)
}
