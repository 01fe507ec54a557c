package kqlparse

import (
	"errors"
	"testing"
)

// FuzzParse parses arbitrary text as a query. It must never panic; an error must be an *Error
// placed inside the text (line and column agreeing with its offset), and a tree must place
// every node inside the text.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"T | where A == 1",
		"let f = (T:(*), n:int = 5) { T | take n }; union kind=outer f(A), (B | where x has_any (\"a\"))",
		"T | summarize arg_max(TimeGenerated, *) by K | join kind=leftouter (T2) on $left.A == $right.B",
		"T | make-series n = count() default = 0 on TimeGenerated in range(ago(7d), now(), 1d) by K",
		"T | mv-apply x = xs to typeof(long) on (where x > 1 | top 1 by x desc nulls last)",
		"print d = dynamic({\"a\": [1, -2.5, null]}), t = datetime(2024-01-01 10:00), s = h@'x', m = ```a\nb```",
		"T | parse kind=regex flags=i Msg with @\"(\\d+)\" N:long | extend (a, b) = f(1), c = a.b[0]",
		"externaldata(c:string) [@\"https://x.test/a.csv\"] with (format=\"csv\") | project-reorder c asc",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		q, err := Parse(src)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			if e.Msg == "" || e.Pos.Offset < 0 || e.Pos.Offset > len(src) {
				t.Fatalf("error outside the text: %v (offset %d of %d)", err, e.Pos.Offset, len(src))
			}
			if line, col := lineCol(src, e.Pos.Offset); line != e.Pos.Line || col != e.Pos.Col {
				t.Fatalf("error at %d:%d, its offset says %d:%d", e.Pos.Line, e.Pos.Col, line, col)
			}
			return
		}
		if q == nil || q.Result == nil {
			t.Fatalf("no error and no query for %q", src)
		}
		checkPositions(t, src, q)
	})
}
