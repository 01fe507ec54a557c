package kqlparse

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// walk calls visit for every node under n (n included).
func walk(n any, visit func(Node)) {
	var rec func(v reflect.Value)
	rec = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Interface, reflect.Pointer:
			if v.IsNil() {
				return
			}
			if node, ok := v.Interface().(Node); ok && v.Kind() == reflect.Pointer {
				visit(node)
			}
			rec(v.Elem())
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					rec(v.Field(i))
				}
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				rec(v.Index(i))
			}
		}
	}
	rec(reflect.ValueOf(n))
}

// lineCol is the 1-based line and character column of a byte offset.
func lineCol(src string, off int) (int, int) {
	before := src[:off]
	line := strings.Count(before, "\n") + 1
	return line, utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:]) + 1
}

// checkPositions fails when a node's position is outside src or its line and column disagree
// with its offset.
func checkPositions(t *testing.T, src string, root any) {
	t.Helper()
	check := func(what string, p Pos) {
		if p.Offset < 0 || p.Offset > len(src) {
			t.Fatalf("%s at offset %d outside the %d bytes of %q", what, p.Offset, len(src), src)
		}
		if line, col := lineCol(src, p.Offset); line != p.Line || col != p.Col {
			t.Fatalf("%s at offset %d says %d:%d, the text says %d:%d (%q)", what, p.Offset, p.Line, p.Col, line, col, src)
		}
	}
	walk(root, func(n Node) {
		switch x := n.(type) {
		case *Pipeline:
			check("pipeline end", x.End)
			for i, pipe := range x.Pipes {
				check("pipe", pipe)
				if src[pipe.Offset] != '|' || pipe.Offset >= x.Ops[i].Position().Offset {
					t.Fatalf("pipe %d of %q is not a | before its operator", i, src)
				}
				if x.End.Offset < x.Ops[i].Position().Offset {
					t.Fatalf("pipeline of %q ends before its operator %d", src, i)
				}
				_ = x.OperatorText(src, i)
			}
		case *Let:
			check("let end", x.End)
		}
		p := n.Position()
		if p.Offset < 0 || p.Offset > len(src) {
			t.Fatalf("%T at offset %d outside the %d bytes of %q", n, p.Offset, len(src), src)
		}
		if line, col := lineCol(src, p.Offset); line != p.Line || col != p.Col {
			t.Fatalf("%T at offset %d says %d:%d, the text says %d:%d (%q)", n, p.Offset, p.Line, p.Col, line, col, src)
		}
	})
}

func TestPositionsAreWhereTheTextIs(t *testing.T) {
	src := "let n = 5;\n" +
		"SigninLogs\n" +
		"| where UserPrincipalName has \"admin\"\n" +
		"| summarize Count = count() by IPAddress\n" +
		"| extend é = \"ü\", z = 1 // a comment\n"
	q, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	checkPositions(t, src, q)
	pl := q.Result.(*Pipeline)
	where := pl.Ops[0].(*Where)
	has := where.Predicate.(*Binary)
	sum := pl.Ops[1].(*Summarize)
	ext := pl.Ops[2].(*Extend)
	for _, c := range []struct {
		what string
		n    Node
		want string
	}{
		{"let", q.Lets[0], "1:1"},
		{"let name", q.Lets[0].Name, "1:5"},
		{"let value", q.Lets[0].Value, "1:9"},
		{"pipeline", pl, "2:1"},
		{"where", where, "3:3"},
		{"has", has, "3:27"},
		{"has left", has.X, "3:9"},
		{"has right", has.Y, "3:31"},
		{"summarize", sum, "4:3"},
		{"aggregate", sum.Aggregates[0], "4:13"},
		{"count()", sum.Aggregates[0].Value, "4:21"},
		{"by", sum.By[0], "4:32"},
		{"é", ext.Columns[0].Names[0], "5:10"},
		{"z after ü (columns count characters)", ext.Columns[1], "5:19"},
	} {
		if got := c.n.Position().String(); got != c.want {
			t.Errorf("%s at %s, want %s", c.what, got, c.want)
		}
	}
	if got := src[ext.Columns[1].Offset:][:1]; got != "z" {
		t.Errorf("z's offset points at %q", got)
	}
}

func TestEveryParsedNodeIsPlacedInItsText(t *testing.T) {
	for _, src := range []string{
		"let f = (T:(*), n:int = 5) {\n  T\n  | take n\n};\nunion kind=outer f(SigninLogs), (AADNonInteractiveUserSignInLogs\n | mv-apply x = xs on (where x > 1))",
		"T\n| make-series n = count() default = 0 on TimeGenerated in range(ago(7d), now(), 1d) by K\n| extend (a, b) = series_fit_line(n)\n| join kind=inner (datatable(K:string)[\"x\"]) on $left.K == $right.K",
		"print d = dynamic({\"a\": [1, 2]}), t = datetime(2024-01-01 10:00), s = h@'x', m = ```\nmulti\nline```",
	} {
		q, err := Parse(src)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		checkPositions(t, src, q)
	}
}

func TestSyntaxErrorsSayWhereAndWhat(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"T | wher A", `1:5: unknown or unsupported tabular operator "wher"`},
		{"T | where", "1:10: expected an expression, found the end of the query"},
		{"T\n| where A ==", "2:13: expected an expression, found the end of the query"},
		{"let x = 5", "1:10: expected a query expression, found the end of the query"},
		{"let x = 5 T", `1:11: expected ; after the let statement, found "T"`},
		{`T | where A == "abc`, `1:16: string literal is not closed: expected "`},
		{"T | where A == \"abc\n\"", `1:16: string literal is not closed on its line: expected "`},
		{`T | where A == 'x\q'`, `1:18: unknown escape \q in a string literal`},
		{`T | where X in "a"`, `1:16: expected "(" after in, found string "a"`},
		{"T | join (T2) K", `1:15: expected "on" after the right side of join, found "K"`},
		{"T | extend A = datetime(2024-13-45)", `1:25: "2024-13-45" is not a datetime KQL reads`},
		{"T | extend A = datetime(2024-01-01", "1:16: datetime( is not closed by ) on its line"},
		{"T | take 99999999999999999999", `1:10: "99999999999999999999" does not fit a long`},
		{"T | where A > 1.5x", `1:15: "1.5x" is not a number or a timespan`},
		{`T | where A == "\x4"`, `1:17: \x needs 2 hex digits`},
		{"T | project-away", "1:17: expected a column name in project-away, found the end of the query"},
		{"T | summarize", "1:14: expected aggregates or by after summarize, found the end of the query"},
		{"T | sort A", `1:10: expected "by" after sort, found "A"`},
		{"T | where A between (1, 2)", `1:23: expected ".." between the bounds of between, found ","`},
		{"T | where A == 1)", `1:17: expected ; or the end of the query, found ")"`},
		{"T | where A == 1 == 2", `1:18: expected ; or the end of the query, found "=="`},
		{"let f = (a:strin) { T }; f(1)", "1:12: expected a type (string, long, int, real, bool, datetime, timespan, dynamic, guid, decimal), found \"strin\""},
		{"T | mv-expand A to typeof(str)", `1:27: expected a type`},
		{"T | where A ` 1", "1:13: unexpected character '`'"},
		{"T | where é == ?", `1:16: expected an expression, found "?"`},
		{"T | extend x = dynamic([1, A])", "1:28: a dynamic literal holds constants only"},
		{"T | where A in (1, 2", `1:21: expected ")" to close the list of in, found the end of the query`},
		{"T | where f(1, 2", `1:17: expected ")" to close the arguments of f, found the end of the query`},
		{"T | where (A", `1:13: expected ")" to close the parenthesis opened at 1:11, found the end of the query`},
		{"T | mv-apply x = xs on (T | take 1)", `1:25: unknown or unsupported tabular operator "T"`},
		{"T | extend x = ```abc", "1:16: multi-line string ``` is not closed"},
		{strings.Repeat("(", 2000) + "1", "1:168: the query nests deeper than 500 levels"},
		{"T | extend x = 1.5q", `1:16: "1.5q" is not a number or a timespan`},
		{"", "1:1: expected a query expression, found the end of the query"},
		{"T | extend x = f(1,)", `1:20: expected an expression, found ")"`},
		{"T | where A in ()", `1:17: expected an expression, found ")"`},
	} {
		_, err := Parse(c.src)
		if err == nil {
			t.Errorf("%q parsed, want error %s", c.src, c.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q:\n got %v\nwant %s...", c.src, err, c.want)
		}
		if _, ok := err.(*Error); !ok {
			t.Errorf("%q: error is %T, not *Error", c.src, err)
		}
	}
}
