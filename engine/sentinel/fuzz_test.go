package sentinel

import (
	"errors"
	"strings"
	"testing"
)

// FuzzDecode decodes arbitrary bytes as a Sentinel rule and parses its query. Neither may
// panic; every error is placed at a line of the file.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(analyticRule))
	f.Add([]byte("id: x\nquery: >\n  T\n  | where A == \"x\"\n"))
	f.Add([]byte("query: \"T | where A == \\\"x\\\"\"\n"))
	f.Add([]byte("query: |\n  '// c\n  T\n  '\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// YAML ends lines at \n, \r\n and a lone \r.
		lines := strings.Count(strings.ReplaceAll(strings.ReplaceAll(string(data), "\r\n", "\n"), "\r", "\n"), "\n") + 1
		placed := func(e *Error) {
			if e.Pos.File != "f.yaml" || e.Pos.Line < 1 || e.Pos.Line > lines || e.Pos.Col < 1 || e.Msg == "" {
				t.Fatalf("an error not placed in the %d-line file: %v", lines, e)
			}
		}
		r, err := Decode("f.yaml", data)
		if err != nil {
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("not Errors: %#v", err)
			}
			for _, e := range errs {
				placed(e)
			}
		}
		if r == nil {
			return
		}
		if _, err := r.ParseQuery(); err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("query error not placed: %#v", err)
			}
			placed(e)
		}
	})
}
