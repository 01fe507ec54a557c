package rule

import (
	"reflect"
	"testing"
)

// A call of a function let takes literals and, for anything else, the expression's text, split at
// the commas outside brackets and strings (Learn: user-defined functions, "the arguments are
// evaluated").
func TestParseCallSplitsLiteralsAndExpressions(t *testing.T) {
	for _, c := range []struct {
		text string
		name string
		args []any
	}{
		{`f("Signin, Logs", 'x', 12, 1.5, true)`, "f", []any{"Signin, Logs", "x", int64(12), 1.5, true}},
		{`window(totimespan(lookback) + totimespan("1d"), span)`, "window", []any{Expression(`totimespan(lookback) + totimespan("1d")`), Expression("span")}},
		{`g(strcat("a,b", @"c\"), [1, 2])`, "g", []any{Expression(`strcat("a,b", @"c\")`), Expression("[1, 2]")}},
		{`h()`, "h", nil},
	} {
		name, args, ok := ParseCall(c.text)
		if !ok || name != c.name || !reflect.DeepEqual(args, c.args) {
			t.Errorf("%s: got %s %#v %v, want %s %#v", c.text, name, args, ok, c.name, c.args)
		}
	}
	for _, text := range []string{`Signins`, `f(a, )`, `f((a, b)`, `f("open)`} {
		if _, _, ok := ParseCall(text); ok {
			t.Errorf("%s is no call", text)
		}
	}
}
