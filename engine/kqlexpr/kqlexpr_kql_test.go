package kqlexpr

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"github.com/signin-detect/detect/engine/kql"
)

// KQL's operators that expr has no syntax for are functions: =~ is equals_ci, !~ is
// not equals_ci, in~ is in_ci, !in is not in, has and has_cs, between.
// https://learn.microsoft.com/kusto/query/datatypes-string-operators
// https://learn.microsoft.com/kusto/query/in-operator
// https://learn.microsoft.com/kusto/query/between-operator
func TestKQLOperatorsWrittenAsFunctions(t *testing.T) {
	row := map[string]any{
		"AppDisplayName": "Microsoft Azure CLI", "IncomingTokenType": "deviceCode", "ResultType": "SUCCESS",
		"DeviceDetail":  `Mozilla/5.0 (ur mum) python-requests`,
		"TimeGenerated": time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), "DurationMs": int64(50),
	}
	cases := map[string]bool{
		`equals_ci(ResultType, "success")`:                                             true,
		`equals_ci(IncomingTokenType, "DEVICECODE")`:                                   true,
		`not equals_ci(IncomingTokenType, "devicecode")`:                               false,
		`not equals_ci(IncomingTokenType, "refreshToken")`:                             true,
		`in_ci(AppDisplayName, ["microsoft azure cli", "x"])`:                          true,
		`in_ci(AppDisplayName, apps)`:                                                  true,
		`in_ci(AppDisplayName, ["Azure CLI"])`:                                         false,
		`not in_ci(AppDisplayName, ["MICROSOFT AZURE CLI"])`:                           false,
		`AppDisplayName not in ["microsoft azure cli"]`:                                true,
		`has(DeviceDetail, "ur mum")`:                                                  true,
		`has(DeviceDetail, "UR MUM")`:                                                  true,
		`has_cs(DeviceDetail, "UR MUM")`:                                               false,
		`has(DeviceDetail, "request")`:                                                 false,
		`DeviceDetail contains "request"`:                                              true,
		`between(DurationMs, 50, 55)`:                                                  true,
		`between(DurationMs, 51, 55)`:                                                  false,
		`between(TimeGenerated, ago("2h"), ago("1h"))`:                                 false,
		`between(TimeGenerated, ago("3h"), ago("2h"))`:                                 true,
		`between(TimeGenerated, ago("3h"), now())`:                                     true,
		`between(TimeGenerated, todatetime("2026-11-20T08:00:00Z"), totimespan("1h"))`: true,
		`bin(TimeGenerated, "1d") == todatetime("2026-11-20")`:                         true,
	}
	for source, want := range cases {
		if got := eval(t, source, row); got != want {
			t.Errorf("%s = %v, want %v", source, got, want)
		}
	}
	if got := eval(t, `bin(DurationMs, 20)`, row); got != int64(40) {
		t.Errorf("bin(50, 20) = %#v", got)
	}
}

func TestInCIListBecomesAFoldedSet(t *testing.T) {
	p, err := Compile(`in_ci(AppDisplayName, ["A", "b"])`, env())
	if err != nil {
		t.Fatal(err)
	}
	if !hasSet(p) {
		t.Errorf("the list is not a set:\n%s", p.prog.Disassemble())
	}
	if _, err := Compile(`bin(TimeGenerated, "1 hour")`, env()); err == nil || !strings.Contains(err.Error(), "bin: not a timespan") {
		t.Errorf("a bad bin size literal must fail at compile time: %v", err)
	}
}

// A toscalar let's value is known only when the rule runs: the expression is checked against its
// type, and Bind makes it a constant (a hashed set when it is the right side of in).
// https://learn.microsoft.com/kusto/query/toscalar-function
func TestScalarsAreBoundBeforeRunning(t *testing.T) {
	e := env()
	e.Scalars = map[string]kql.Type{"sessions": kql.Dynamic, "threshold": kql.Long}
	p, err := Compile(`AppDisplayName in sessions and DurationMs > threshold`, e)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.Scalars, ",") != "sessions,threshold" {
		t.Errorf("scalars = %v", p.Scalars)
	}
	bound, err := p.Bind(map[string]any{"sessions": []any{"Teams", "Outlook"}, "threshold": int64(10)})
	if err != nil {
		t.Fatal(err)
	}
	if len(bound.Scalars) != 0 || !hasSet(bound) {
		t.Errorf("bound program still reads scalars %v or has no set", bound.Scalars)
	}
	var machine vm.VM
	for app, want := range map[string]bool{"Teams": true, "teams": false, "Word": false} {
		got, err := bound.Run(&machine, map[string]any{"AppDisplayName": app, "DurationMs": int64(11)})
		if err != nil || got != want {
			t.Errorf("%s: %v %v, want %v", app, got, err, want)
		}
	}
	// An empty set (toscalar of no rows' make_set) matches nothing; a null scalar too.
	for _, empty := range []any{[]any{}, nil} {
		b, err := p.Bind(map[string]any{"sessions": empty, "threshold": int64(0)})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := b.Run(&machine, map[string]any{"AppDisplayName": "Teams", "DurationMs": int64(11)}); got != false {
			t.Errorf("in %v = %v", empty, got)
		}
	}
	if _, err := Compile(`AppDisplayName in nosuch`, e); err == nil {
		t.Error("an unknown scalar must fail")
	}
	e.Columns["sessions"] = kql.String
	if _, err := Compile(`AppDisplayName in sessions`, e); err == nil || !strings.Contains(err.Error(), "both a column and a toscalar let") {
		t.Errorf("a scalar named like a column: %v", err)
	}
}

type setFinder struct{ found bool }

func (f *setFinder) Visit(node *ast.Node) {
	if c, ok := (*node).(*ast.ConstantNode); ok && reflect.TypeOf(c.Value) == reflect.TypeOf(&kql.Set{}) {
		f.found = true
	}
}

// hasSet tells whether the compiled expression holds a kql.Set constant.
func hasSet(p *Program) bool {
	f := &setFinder{}
	node := p.prog.Node()
	ast.Walk(&node, f)
	return f.found
}

// and and or read a null operand as false (bool(null) and true is false, bool(null) or true is
// true), and not() of a null is null, which a where drops; a dynamic operand that is a bool reads
// as that bool. https://learn.microsoft.com/kusto/query/logical-operators
// https://learn.microsoft.com/kusto/query/not-function
func TestLogicalOperatorsOverNull(t *testing.T) {
	row := map[string]any{"DeviceDetail": `{"isCompliant":true,"isManaged":false}`}
	cases := map[string]any{
		`todynamic(DeviceDetail).missing or true`:          true,
		`todynamic(DeviceDetail).missing or false`:         false,
		`todynamic(DeviceDetail).missing and true`:         false,
		`true and todynamic(DeviceDetail).missing`:         false,
		`todynamic(DeviceDetail).isCompliant and true`:     true,
		`todynamic(DeviceDetail).isManaged or false`:       false,
		`todynamic(DeviceDetail).isManaged || true`:        true,
		`not todynamic(DeviceDetail).missing`:              nil,
		`!todynamic(DeviceDetail).isCompliant`:             false,
		`not todynamic(DeviceDetail).isManaged`:            true,
		`not (todynamic(DeviceDetail).missing and true)`:   true,
		`todynamic(DeviceDetail).isCompliant && not false`: true,
	}
	for source, want := range cases {
		if got := eval(t, source, row); got != want {
			t.Errorf("%s = %#v, want %#v", source, got, want)
		}
	}
}
