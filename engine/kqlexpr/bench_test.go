package kqlexpr

import (
	"testing"
	"time"

	"github.com/expr-lang/expr/vm"
)

// BenchmarkPredicate is the cost of one where over one row: a lookback, an equality of two
// columns and membership in a 38-item lookup.
func BenchmarkPredicate(b *testing.B) {
	lookup := make([]any, 38)
	for i := range lookup {
		lookup[i] = string(rune('a'+i%26)) + "-client-id-0000-0000-000000000000"
	}
	e := env()
	e.Columns["HomeTenantId"], e.Columns["ResourceTenantId"] = e.Columns["AppId"], e.Columns["AppId"]
	e.Constants["FociClientApplications"] = lookup
	p, err := Compile(`TimeGenerated > ago("6h") and HomeTenantId == ResourceTenantId and AppId in FociClientApplications`, e)
	if err != nil {
		b.Fatal(err)
	}
	row := map[string]any{"TimeGenerated": now.Add(-time.Hour), "HomeTenantId": "t", "ResourceTenantId": "t", "AppId": lookup[37]}
	var machine vm.VM
	b.ReportAllocs()
	for b.Loop() {
		if v, err := p.Run(&machine, row); err != nil || v != true {
			b.Fatal(v, err)
		}
	}
}

// BenchmarkCompile is the cost of compiling one where of a rule: a run compiles every expression
// of every rule it loads before it reads a record, so this is most of what a run of many rules
// costs over a small input.
func BenchmarkCompile(b *testing.B) {
	e := env()
	e.Columns["HomeTenantId"], e.Columns["ResourceTenantId"] = e.Columns["AppId"], e.Columns["AppId"]
	e.Constants["FociClientApplications"] = []any{"a", "b"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(`TimeGenerated > ago("6h") and HomeTenantId == ResourceTenantId and AppId in FociClientApplications`, e); err != nil {
			b.Fatal(err)
		}
	}
}
