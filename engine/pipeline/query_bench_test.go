package pipeline

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// synthetic makes n sign-ins of table spread over the day before now: 2000 sessions on 500
// devices, each with a Windows Hello for Business and a "Previously satisfied" step.
func synthetic(tb testing.TB, table string, n int) []record.Row {
	rows := make([]record.Row, n)
	for i := range rows {
		at := now.Add(-time.Duration(i%1440) * time.Minute)
		step := at.Add(-time.Second).Format(time.RFC3339)
		detail := `{"deviceId":"device-` + fmt.Sprint(i%500) + `","displayName":"PC"}`
		var device any = detail
		if table == "SigninLogs" {
			device = map[string]any{"deviceId": fmt.Sprint("device-", i%500), "displayName": "PC"}
		}
		rows[i] = tableRow(tb, table, i+1, map[string]any{
			"TimeGenerated": at, "SessionId": fmt.Sprint("session-", i%2000), "UserPrincipalName": fmt.Sprintf("user%d@x", i%300),
			"IncomingTokenType": "primaryRefreshToken", "DeviceDetail": device, "AppDisplayName": "Microsoft Teams",
			"ResultSignature": "SUCCESS", "AuthenticationProtocol": []string{"deviceCode", "none"}[i%2],
			"AuthenticationDetails": `[{"authenticationStepDateTime":"` + step + `","authenticationMethod":"Windows Hello for Business"},` +
				`{"authenticationStepDateTime":"` + step + `","authenticationMethod":"Previously satisfied"}]`,
		})
	}
	return rows
}

// asRead keeps of each row the columns the plan reads, as the reader would.
func asRead(p *Plan, tables map[string][]record.Row) map[string][]record.Row {
	for _, in := range p.Inputs {
		rows := tables[in.Table.Name]
		layout := record.NewLayout(in.Columns...)
		for i, row := range rows {
			values := make([]any, len(in.Columns))
			for k, col := range in.Columns {
				values[k] = row.Get(col)
			}
			rows[i] = layout.Row(values, row.Sources)
		}
	}
	return tables
}

func loadPlan(tb testing.TB, path string) *Plan {
	r, err := rule.Load(path)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := Compile(r, Options{Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// A plan is read-only while it runs, toscalar lets included: runs of one plan may go side by side.
func TestAPlanRunsConcurrently(t *testing.T) {
	p := loadPlan(t, "../../rules/entra/whfb-prt-overlap.yaml")
	tables := asRead(p, map[string][]record.Row{"SigninLogs": synthetic(t, "SigninLogs", 6000)})
	first, _, err := p.Run(tables)
	if err != nil || len(first) == 0 {
		t.Fatalf("%d rows, %v", len(first), err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows, _, err := p.Run(tables)
			if err != nil || len(rows) != len(first) {
				t.Errorf("concurrent run: %d rows (want %d), %v", len(rows), len(first), err)
			}
		}()
	}
	wg.Wait()
}

// BenchmarkWHfBRule runs lets, mv-expand, summarize (min, max, make_set, arg_min(*)), a toscalar
// in a predicate and a join over 20000 sign-ins.
func BenchmarkWHfBRule(b *testing.B) {
	p := loadPlan(b, "../../rules/entra/whfb-prt-overlap.yaml")
	tables := asRead(p, map[string][]record.Row{"SigninLogs": synthetic(b, "SigninLogs", 20000)})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := p.Run(tables); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnionJoin runs the union of two sign-in tables (10000 rows each) and an inner join
// with 3000 risk events.
func BenchmarkUnionJoin(b *testing.B) {
	p := loadPlan(b, "../../rules/entra/devicecode-risky-user.yaml")
	risk := make([]record.Row, 3000)
	for i := range risk {
		risk[i] = tableRow(b, "AADUserRiskEvents", i+1, map[string]any{"UserPrincipalName": fmt.Sprintf("user%d@x", i%300), "TimeGenerated": now.Add(-time.Hour)})
	}
	tables := asRead(p, map[string][]record.Row{"SigninLogs": synthetic(b, "SigninLogs", 10000),
		nonInteractive: synthetic(b, nonInteractive, 10000), "AADUserRiskEvents": risk})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := p.Run(tables); err != nil {
			b.Fatal(err)
		}
	}
}
