package kqlexpr

import (
	"strings"
	"testing"

	"github.com/expr-lang/expr/vm"

	"github.com/signin-detect/detect/engine/kql"
)

// A call of a user-defined scalar function is its body with the params read as the arguments,
// the body following KQL's semantics as if written in place; functions may call functions, never
// themselves (Learn: user-defined functions).
func TestUserFunctionsExpandWhereCalled(t *testing.T) {
	env := Env{Columns: map[string]kql.Type{"UserAgent": kql.String, "UPN": kql.String},
		Functions: map[string]UserFunction{
			"browser": {Params: []string{"ua"}, Body: `iff(ua contains "edg/", "Edge", iff(ua contains "chrome", "Chrome", "Other"))`},
			"domain":  {Params: []string{"upn"}, Body: `tolower(tostring(split(upn, "@")[1]))`},
			"label":   {Params: []string{"ua", "upn"}, Body: `strcat(browser(ua), "@", domain(upn))`},
			"loop":    {Params: []string{"x"}, Body: `loop(x)`},
		}}
	p, err := Compile(`label(UserAgent, UPN)`, env)
	if err != nil {
		t.Fatal(err)
	}
	var machine vm.VM
	for _, c := range []struct{ ua, upn, want string }{
		{"Mozilla/5.0 Chrome/120 Edg/120", "Ann@Contoso.Example", "Edge@contoso.example"},
		{"Mozilla/5.0 CHROME/120", "bob@fabrikam.example", "Chrome@fabrikam.example"},
		{"curl/8", "cat", "Other@"},
	} {
		got, _ := p.Run(&machine, map[string]any{"UserAgent": c.ua, "UPN": c.upn})
		if got != c.want {
			t.Errorf("label(%q, %q) = %v, want %s", c.ua, c.upn, got, c.want)
		}
	}
	if p.Type != kql.String || strings.Join(p.Columns, ",") != "UPN,UserAgent" {
		t.Errorf("type %s, columns %v", p.Type, p.Columns)
	}
	for src, want := range map[string]string{
		`browser(UserAgent, UPN)`: "takes 1 arguments",
		`loop(UPN)`:               "calls itself",
		`nosuch(UPN)`:             "not a KQL function",
	} {
		if _, err := Compile(src, env); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one saying %q", src, err, want)
		}
	}
}
