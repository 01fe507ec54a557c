package rule_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/pipeline"
	"github.com/signin-detect/detect/engine/rule"
)

// FuzzLoad loads arbitrary bytes as a rule file (seeds: testdata/fuzz/FuzzLoad/, the shipped
// rules among them) and plans what loads. Neither may panic; every problem must be a rule.Errors
// placed in the file, and a rule that loads has what the loader promises.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("id: 0d1c5e9a-3f2b-4c6d-8e7f-9a0b1c2d3e4f\nname: x\nseverity: Low\ntable: AADNonInteractiveUserSignInLogs\nstages:\n  - where: AppId == \"x\"\n"))
	f.Add([]byte("id: 0d1c5e9a-3f2b-4c6d-8e7f-9a0b1c2d3e4f\nname: x\nseverity: Low\nlet:\n  f: {params: [t: string], table: $t}\nunion: {kind: inner, withsource: S, of: ['f(\"SigninLogs\")', {table: AuditLogs}]}\nstages:\n  - parse: 'S with * \"a\" X:long *'\n  - project-reorder: ['X* granny-asc']\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "rule.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := rule.Load(path)
		if err != nil {
			var errs rule.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("not rule.Errors: %#v", err)
			}
			for _, e := range errs {
				if e.Pos.File == "" || e.Pos.Line < 0 || e.Pos.Column < 0 || e.Msg == "" {
					t.Fatalf("an error without its place: %#v", e)
				}
			}
			return
		}
		if r == nil || r.Meta.ID == "" || r.Meta.Name == "" || r.Meta.Table == "" && r.Meta.From == "" && r.Meta.Union == nil {
			t.Fatalf("a rule loaded without its required keys: %#v", r)
		}
		_, _ = pipeline.Compile(r, pipeline.Options{Now: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)})
	})
}

// Found by FuzzLoad (testdata/fuzz/FuzzLoad/30060c47e978c19a): a required key with an empty value
// (`table: ""`, or a YAML tag with no value) loaded, and the rule failed later without a place.
func TestEmptyRequiredValuesAreErrorsAtTheirPlace(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"id: 0d1c5e9a-3f2b-4c6d-8e7f-9a0b1c2d3e4f\nname: x\nseverity: Low\ntable: \"\"\nstages:\n  - where: AppId == \"x\"\n", ":4:8: table must not be empty"},
		{"id: 0d1c5e9a-3f2b-4c6d-8e7f-9a0b1c2d3e4f\nname: !tag\nseverity: Low\ntable: SigninLogs\nstages:\n  - where: AppId == \"x\"\n", ":2:7: name must not be empty"},
	} {
		path := filepath.Join(t.TempDir(), "rule.yaml")
		if err := os.WriteFile(path, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := rule.Load(path); err == nil || err.Error() != path+c.want {
			t.Errorf("%q: %v, want %s%s", c.text, err, path, c.want)
		}
	}
}
