package rule

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/record"
)

func showTable(rows []record.Row, cols []TableColumn) []string {
	var out []string
	for _, r := range rows {
		var parts []string
		for _, c := range cols {
			v := r.Get(c.Name)
			if tm, ok := v.(time.Time); ok {
				v = tm.Format(time.RFC3339)
			}
			if v != nil && c.Type == kql.Dynamic {
				v = kql.ToString(v)
			}
			parts = append(parts, fmt.Sprintf("%s=%v", c.Name, v))
		}
		out = append(out, fmt.Sprintf("%s @%d", strings.Join(parts, " "), r.Sources[0].Line))
	}
	return out
}

// https://learn.microsoft.com/kusto/query/externaldata-operator: the columns are the schema given
// in the query; csv and tsv map cells to columns by position, json and multijson map properties
// by name; ignoreFirstRecord leaves out the first record (a header). A value that does not fit its
// column's type is null, as ingestion stores it
// (https://learn.microsoft.com/azure/data-explorer/ingest-invalid-data).
func TestReadTableFormats(t *testing.T) {
	cols := []TableColumn{{"network", kql.String}, {"score", kql.Long}, {"seen", kql.Datetime}, {"vpn", kql.Bool}, {"tags", kql.Dynamic}}
	dir := t.TempDir()
	cases := []struct {
		name, format, text string
		ignoreFirst        bool
		want               []string
	}{
		{"csv with a header", "csv", "network,score,seen,vpn,tags\n" +
			"10.0.0.0/8,5,2026-11-20T09:00:00Z,true,\"[\"\"a\"\",\"\"b\"\"]\"\n" +
			"\n" +
			"192.0.2.0/24,high,not a date,maybe,\n" +
			"198.51.100.7\n", true, []string{
			`network=10.0.0.0/8 score=5 seen=2026-11-20T09:00:00Z vpn=true tags=["a","b"] @2`,
			`network=192.0.2.0/24 score=<nil> seen=<nil> vpn=<nil> tags=<nil> @4`,
			`network=198.51.100.7 score=<nil> seen=<nil> vpn=<nil> tags=<nil> @5`}},
		{"csv without ignoreFirstRecord keeps the first record", "csv", "network,score\n10.0.0.0/8,5\n", false, []string{
			`network=network score=<nil> seen=<nil> vpn=<nil> tags=<nil> @1`,
			`network=10.0.0.0/8 score=5 seen=<nil> vpn=<nil> tags=<nil> @2`}},
		{"tsv", "tsv", "10.0.0.0/8\t7\t2026-11-20T09:00:00Z\tFALSE\t{\"k\":1}\n\"q\"\t-1\n", false, []string{
			`network=10.0.0.0/8 score=7 seen=2026-11-20T09:00:00Z vpn=false tags={"k":1} @1`,
			`network=q score=-1 seen=<nil> vpn=<nil> tags=<nil> @2`}},
		{"json lines, by name", "json", "{\"score\": 3, \"network\": \"10.1.0.0/16\", \"tags\": [1], \"other\": 0}\n\n{\"network\": \"10.2.0.0/16\", \"vpn\": true, \"score\": \"4\"}\n", false, []string{
			`network=10.1.0.0/16 score=3 seen=<nil> vpn=<nil> tags=[1] @1`,
			`network=10.2.0.0/16 score=4 seen=<nil> vpn=true tags=<nil> @3`}},
		{"multijson, objects over several lines", "multijson", "{\"network\": \"10.1.0.0/16\",\n \"tags\": {\"a\": [1, 2]}}\n{\"network\": {\"x\": 1}}\n", false, []string{
			`network=10.1.0.0/16 score=<nil> seen=<nil> vpn=<nil> tags={"a":[1,2]} @1`,
			`network={"x":1} score=<nil> seen=<nil> vpn=<nil> tags=<nil> @3`}},
		{"multijson, an array", "multijson", "[\n {\"network\": \"a\"},\n {\"network\": \"b\"}\n]\n", true, []string{
			`network=b score=<nil> seen=<nil> vpn=<nil> tags=<nil> @3`}},
	}
	for i, c := range cases {
		path := write(t, dir, fmt.Sprintf("t%d.%s", i, c.format), c.text)
		rows, err := ReadTable(path, &ExternalTable{Columns: cols, Format: c.format, IgnoreFirstRecord: c.ignoreFirst})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := showTable(rows, cols); strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s:\n got  %q\n want %q", c.name, got, c.want)
		}
	}
}

// A file that cannot be read as its format is an error that says where.
func TestReadTableErrors(t *testing.T) {
	dir := t.TempDir()
	cols := []TableColumn{{"a", kql.String}}
	for _, c := range []struct{ file, format, text, want string }{
		{"t0.csv", "csv", "a\n\"open\n", "t0.csv:2: malformed CSV"},
		{"t1.json", "json", "{\"a\": 1}\n[1]\n", "t1.json:2: malformed JSON"},
		{"t2.json", "json", "{\"a\":\n 1}\n", "t2.json:1: format json holds one object per line"},
		{"t3.json", "multijson", "{\"a\": 1} {", "t3.json:1: malformed JSON"},
	} {
		path := write(t, dir, c.file, c.text)
		_, err := ReadTable(path, &ExternalTable{Columns: cols, Format: c.format})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q as %s: got %v, want an error with %q", c.text, c.format, err, c.want)
		}
	}
	if _, err := ReadTable(dir+"/missing.csv", &ExternalTable{Columns: cols, Format: "csv"}); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("a missing file: got %v", err)
	}
}

// A table lookup's file is confined to the rule pack as a list's is, by the same resolution.
func TestTableLookupsAreConfinedToo(t *testing.T) {
	top := t.TempDir()
	pack := filepath.Join(top, "pack")
	if err := os.MkdirAll(pack, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, top, "secret.csv", "top secret\n")
	path := write(t, pack, "r.yaml", base+"lookups:\n  T:\n    file: ../secret.csv\n    columns: {a: string}\n")
	_, err := LoadPaths([]string{path})
	if err == nil || !strings.Contains(err.Error(), "r.yaml:24:3: lookup T: ") || !strings.Contains(err.Error(), "outside the rule's folder") {
		t.Errorf("got %v", err)
	}
}
