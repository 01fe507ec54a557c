package kqlexpr

import (
	"strings"
	"testing"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/signin-detect/detect/engine/kql"
)

var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func env() Env {
	return Env{
		Columns: map[string]kql.Type{
			"TimeGenerated": kql.Datetime, "SecondRequestTimeGenerated": kql.Datetime,
			"AppDisplayName": kql.String, "AppId": kql.String, "IncomingTokenType": kql.String,
			"ResultType": kql.String, "DeviceDetail": kql.String, "AuthenticationProcessingDetails": kql.String,
			"DurationMs": kql.Long,
		},
		Constants: map[string]any{
			"maxTimeDiff": int64(90),
			"apps":        []any{"Microsoft Azure CLI", "Microsoft Azure PowerShell"},
		},
		Now: now,
	}
}

func eval(t *testing.T, source string, row map[string]any) any {
	t.Helper()
	p, err := Compile(source, env())
	if err != nil {
		t.Fatalf("compile %q: %v", source, err)
	}
	var machine vm.VM
	out, err := p.Run(&machine, row)
	if err != nil {
		t.Fatalf("run %q: %v", source, err)
	}
	return out
}

func TestOperatorsFollowKQL(t *testing.T) {
	row := map[string]any{
		"AppDisplayName": "Microsoft Azure CLI", "IncomingTokenType": "", "ResultType": "0",
		"AuthenticationProcessingDetails": `[{"key":"Role","value":"62E90394-69F5-4237-9190-012177145E10"}]`,
		"DeviceDetail":                    `{"isCompliant":true}`, "TimeGenerated": now.Add(-6 * time.Hour), "DurationMs": int64(5),
	}
	cases := map[string]bool{
		`AppDisplayName == "Microsoft Azure CLI"`:   true,
		`AppDisplayName == "microsoft azure cli"`:   false,
		`AppDisplayName in apps`:                    true,
		`AppDisplayName in ["microsoft azure cli"]`: false,
		`AppDisplayName not in apps`:                false,
		`IncomingTokenType != "none"`:               true,
		`IncomingTokenType == ""`:                   true,
		`AuthenticationProcessingDetails contains "62e90394-69f5-4237-9190-012177145e10"`: true,
		`ResultType == 0`: true,
		`ResultType != 0`: false,
		`todynamic(DeviceDetail).isCompliant != "true"`:   false,
		`todynamic(AppDisplayName).isCompliant != "true"`: true,
		`isnull(todynamic(DeviceDetail).missing.deeper)`:  true,
		// null == null is null, false in a where.
		`todynamic(DeviceDetail).missing == todynamic(DeviceDetail).missing`: false,
		`TimeGenerated > ago("6h")`:                            false,
		`TimeGenerated >= ago("6h")`:                           true,
		`DurationMs < maxTimeDiff and DurationMs >= 5`:         true,
		`AppDisplayName startsWith "microsoft"`:                true,
		`isempty(IncomingTokenType) && isnotempty(ResultType)`: true,
	}
	for source, want := range cases {
		if got := eval(t, source, row); got != want {
			t.Errorf("%s = %v, want %v", source, got, want)
		}
	}
}

func TestFunctions(t *testing.T) {
	row := map[string]any{
		"TimeGenerated":                   time.Date(2026, 11, 20, 10, 0, 59, 900000000, time.UTC),
		"SecondRequestTimeGenerated":      time.Date(2026, 11, 20, 10, 1, 0, 100000000, time.UTC),
		"AuthenticationProcessingDetails": `[{"key":"Oauth Scope Info","value":"[\"user_impersonation\"]"}]`,
	}
	if got := eval(t, `datetime_diff('minute', SecondRequestTimeGenerated, TimeGenerated)`, row); got != int64(1) {
		t.Errorf("datetime_diff = %#v", got)
	}
	if got := eval(t, "extract(`{\"key\":\"Oauth Scope Info\",\"value\":\"\\[(.*)\\]\"}`, 1, AuthenticationProcessingDetails)", row); got != `\"user_impersonation\"` {
		t.Errorf("extract = %#v", got)
	}
	if got := eval(t, `ago("1d")`, row); got != now.Add(-24*time.Hour) {
		t.Errorf("ago = %#v", got)
	}
	if got := eval(t, `tostring(TimeGenerated)`, row); got != "2026-11-20T10:00:59.9000000Z" {
		t.Errorf("tostring = %#v", got)
	}
	if got := eval(t, `datetime_diff('minute', SecondRequestTimeGenerated, todatetime("garbage"))`, row); got != nil {
		t.Errorf("a null datetime must give null, got %#v", got)
	}
}

func TestProgramReportsColumnsAndType(t *testing.T) {
	p, err := Compile(`datetime_diff('minute', SecondRequestTimeGenerated, TimeGenerated) + DurationMs`, env())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.Columns, ",") != "DurationMs,SecondRequestTimeGenerated,TimeGenerated" {
		t.Errorf("columns = %v", p.Columns)
	}
	if p.Type != kql.Long {
		t.Errorf("type = %v", p.Type)
	}
	if p, _ := Compile(`extract("a(b)", 1, AppId)`, env()); p.Type != kql.String {
		t.Errorf("extract type = %v", p.Type)
	}
	if p, _ := Compile(`AppId == "x"`, env()); p.Type != kql.Bool {
		t.Errorf("predicate type = %v", p.Type)
	}
}

func TestCompileErrorsCarryTheirPlace(t *testing.T) {
	cases := []struct {
		source       string
		line, column int
		want         string
	}{
		{`AppId == NoSuchColumn`, 1, 9, "unknown name NoSuchColumn"},
		{"AppId == \"x\" and\n  ago(\"6 hours\") < TimeGenerated", 2, 6, "not a timespan"},
		{`extract("(", 1, AppId) == ""`, 1, 8, "bad regular expression"},
		{`datetime_diff('fortnight', TimeGenerated, TimeGenerated) > 1`, 1, 14, "unknown period"},
		{`AppId ==`, 1, 7, "unexpected token"},
	}
	for _, c := range cases {
		_, err := Compile(c.source, env())
		e, ok := err.(*Error)
		if !ok {
			t.Fatalf("%q: error %v (%T)", c.source, err, err)
		}
		if e.Line != c.line || e.Column != c.column || !strings.Contains(e.Msg, c.want) {
			t.Errorf("%q: got %d:%d %q, want %d:%d %q", c.source, e.Line, e.Column, e.Msg, c.line, c.column, c.want)
		}
	}
}
