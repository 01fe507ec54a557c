package kqlexpr

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/kql"
)

func TestMathFunctions(t *testing.T) {
	row := map[string]any{"DurationMs": int64(-1250), "TimeGenerated": now}
	cases := []struct {
		source string
		want   any
	}{
		// https://learn.microsoft.com/kusto/query/round-function: Learn's examples.
		{`round(2.98765, 3)`, 2.988},
		{`round(2.15, 1)`, 2.2},
		{`round(2.15)`, 2.0},
		{`round(-50.55, -2)`, -100.0},
		{`round(21.5, -1)`, 20.0},
		{`round(2.5)`, 3.0},
		{`round(-2.5)`, -3.0},
		{`round(DurationMs, -2)`, int64(-1300)},
		{`round(DurationMs, -3)`, int64(-1000)},
		{`round(DurationMs)`, int64(-1250)},
		{`round(tolong(AppId))`, nil},
		// https://learn.microsoft.com/kusto/query/floor-function (an alias of bin),
		// https://learn.microsoft.com/kusto/query/ceiling-function
		{`floor(-2.5, 1)`, -3.0},
		{`floor(DurationMs, 1000)`, int64(-2000)},
		{`ceiling(-2.5)`, -2.0},
		{`ceiling(2.1)`, 3.0},
		{`ceiling(DurationMs)`, int64(-1250)},
		// https://learn.microsoft.com/kusto/query/abs-function, sign-function
		{`abs(DurationMs)`, int64(1250)},
		{`abs(-2.5)`, 2.5},
		{`abs(TimeGenerated - ago("1h") - totimespan("2h"))`, time.Hour},
		{`sign(DurationMs)`, int64(-1)},
		{`sign(0.0)`, 0.0},
		{`sign(3)`, int64(1)},
		// https://learn.microsoft.com/kusto/query/sqrt-function, log-function, log10-function,
		// log2-function, exp-function, exp2-function, exp10-function, pow-function: null outside
		// the domain.
		{`sqrt(16)`, 4.0},
		{`sqrt(-1)`, nil},
		{`log(exp(2))`, 2.0},
		{`log(-1)`, nil},
		{`log10(1000)`, 3.0},
		{`log2(8)`, 3.0},
		{`log10(-5)`, nil},
		{`exp2(10)`, 1024.0},
		{`exp10(2)`, 100.0},
		{`pow(2, 10)`, 1024.0},
		{`pow(4, 0.5)`, 2.0},
		{`pow(tolong(AppId), 2)`, nil},
		// https://learn.microsoft.com/kusto/query/max-of-function, min-of-function: nulls ignored.
		{`max_of(3, 10, 2)`, int64(10)},
		{`min_of(3, tolong(AppId), 2)`, int64(2)},
		{`max_of(tolong(AppId), tolong(AppId))`, nil},
		{`max_of(TimeGenerated, ago("1h"))`, now},
	}
	for _, c := range cases {
		got := eval(t, c.source, row)
		if f, ok := got.(float64); ok {
			if w, ok := c.want.(float64); ok && math.Abs(f-w) < 1e-9 {
				continue
			}
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.source, got, c.want)
		}
	}
	// round, ceiling, sign and abs keep their number's type; the rest are reals.
	for source, want := range map[string]kql.Type{`round(DurationMs)`: kql.Long, `round(1.5)`: kql.Real, `ceiling(DurationMs)`: kql.Long,
		`abs(DurationMs)`: kql.Long, `sqrt(DurationMs)`: kql.Real, `max_of(1, 2)`: kql.Long} {
		p, err := Compile(source, env())
		if err != nil {
			t.Fatal(err)
		}
		if p.Type != want {
			t.Errorf("%s: type %s, want %s", source, p.Type, want)
		}
	}
}
