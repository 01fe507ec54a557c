package kqlexpr

import (
	"reflect"
	"testing"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/signin-detect/detect/engine/kql"
)

func TestDatetimeFunctions(t *testing.T) {
	row := map[string]any{"TimeGenerated": now.Add(-90 * time.Minute), "SecondRequestTimeGenerated": now}
	cases := []struct {
		source string
		want   any
	}{
		// https://learn.microsoft.com/kusto/query/ago-function, now-function
		{`ago("1h")`, now.Add(-time.Hour)},
		{`now()`, now},
		// https://learn.microsoft.com/kusto/query/datetime-diff-function
		{`datetime_diff('minute', SecondRequestTimeGenerated, TimeGenerated)`, int64(90)},
		// https://learn.microsoft.com/kusto/query/bin-function
		{`bin(TimeGenerated, "1h")`, now.Add(-2 * time.Hour)},
		{`bin(17, 5)`, int64(15)},
		// https://learn.microsoft.com/kusto/query/between-operator
		{`between(TimeGenerated, ago("2h"), now())`, true},
	}
	for _, c := range cases {
		if got := eval(t, c.source, row); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.source, got, c.want)
		}
	}
}

// The arithmetic operators follow KQL: null propagates, long / long truncates, an integer division
// by zero is null, a modulo is never negative, and datetimes and timespans combine as KQL's do.
// https://learn.microsoft.com/kusto/query/numerical-operators
// https://learn.microsoft.com/kusto/query/datetime-timespan-arithmetic
// https://learn.microsoft.com/kusto/query/scalar-data-types/null-values
func TestArithmeticFollowsKQL(t *testing.T) {
	row := map[string]any{"TimeGenerated": now.Add(-90 * time.Minute), "SecondRequestTimeGenerated": now,
		"AppId": "Mozilla/5.0", "DurationMs": nil}
	cases := []struct {
		source string
		want   any
		typ    kql.Type
	}{
		{`tolong(AppId) + 1`, nil, kql.Long},
		{`DurationMs - 1`, nil, kql.Long},
		{`1 - DurationMs`, nil, kql.Long},
		{`DurationMs * 2.5`, nil, kql.Real},
		{`-DurationMs`, nil, kql.Long},
		{`7 / 2`, int64(3), kql.Long},
		{`-7 / 2`, int64(-3), kql.Long},
		{`7 / 2.0`, 3.5, kql.Real},
		{`1 / 0`, nil, kql.Long},
		{`1 % 0`, nil, kql.Long},
		{`-14 % 12`, int64(10), kql.Long},
		{`14 % -12`, int64(2), kql.Long},
		{`SecondRequestTimeGenerated - TimeGenerated`, 90 * time.Minute, kql.Timespan},
		{`TimeGenerated + totimespan("90m")`, now, kql.Datetime},
		{`SecondRequestTimeGenerated - totimespan("90m")`, now.Add(-90 * time.Minute), kql.Datetime},
		{`totimespan("1h") / 2`, 30 * time.Minute, kql.Timespan},
		{`totimespan("1h") * 1.5`, 90 * time.Minute, kql.Timespan},
		{`2 * totimespan("1h")`, 2 * time.Hour, kql.Timespan},
		{`totimespan("1h") / totimespan("30m")`, 2.0, kql.Real},
		{`(SecondRequestTimeGenerated - TimeGenerated) / totimespan("1m")`, 90.0, kql.Real},
	}
	for _, c := range cases {
		p, err := Compile(c.source, env())
		if err != nil {
			t.Errorf("%s: %v", c.source, err)
			continue
		}
		if p.Type != c.typ {
			t.Errorf("%s: type %s, want %s", c.source, p.Type, c.typ)
		}
		if got := eval(t, c.source, row); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.source, got, c.want)
		}
	}
}

// A value an operator or function cannot take (known only from the row) is null, never an error
// that stops the rule; the program counts such nulls, safely from several goroutines.
func TestDataDependentErrorsAreCountedNulls(t *testing.T) {
	p, err := Compile(`todynamic(DeviceDetail).n + 1`, env())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func() {
			var machine vm.VM
			for i := 0; i < 50; i++ {
				v, err := p.Run(&machine, map[string]any{"DeviceDetail": `{"n":"x"}`})
				if v != nil || err != nil {
					t.Errorf("got %#v, %v; want null", v, err)
				}
			}
			done <- true
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
	var machine vm.VM
	if v, _ := p.Run(&machine, map[string]any{"DeviceDetail": `{"n":41}`}); v != int64(42) {
		t.Errorf("a good row gives %#v", v)
	}
	if p.RuntimeNulls() != 200 {
		t.Errorf("RuntimeNulls = %d, want 200", p.RuntimeNulls())
	}
	if want := "cannot apply + to a string and a long"; p.FirstRuntimeNull() != want {
		t.Errorf("FirstRuntimeNull = %q, want %q", p.FirstRuntimeNull(), want)
	}
	// A null that KQL defines (a conversion that fails) is no error and not counted.
	q, _ := Compile(`tolong(AppId) + 1`, env())
	q.Run(&machine, map[string]any{"AppId": "Mozilla"})
	if q.RuntimeNulls() != 0 {
		t.Errorf("tolong of text counted %d", q.RuntimeNulls())
	}
}
