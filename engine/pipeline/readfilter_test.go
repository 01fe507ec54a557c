package pipeline

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/record"
)

// fociSignins are sign-ins that vary in every column the FOCI rules filter on: FOCI and other
// apps (by id and name), tenants, token types, resources, results, device compliance and scope
// info, in sessions of several sign-ins over the lookback, so that each filter keeps some rows and
// drops others.
func fociSignins(t *testing.T) []record.Row {
	return fociSigninsOf(t, 1500, 97, 16*time.Second)
}

// fociSigninsOf is n such sign-ins in sessions of about n/sessions, step apart and ending 7h
// before now less n steps.
func fociSigninsOf(t *testing.T, n, sessions int, step time.Duration) []record.Row {
	f, err := os.Open("../../rules/foci/foci-clients.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	records, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{"00000000-0000-0000-0000-00000000abcd"} // not a FOCI client
	for _, rec := range records[1:] {
		ids = append(ids, rec[0])
	}
	apps := []string{"Microsoft Teams", "Microsoft Azure CLI", "Microsoft Azure PowerShell", "Outlook Mobile", "Copilot App"}
	tokens := []string{"none", "refreshToken", "none", "primaryRefreshToken", "refreshToken", "none"}
	resources := []string{"00000002-0000-0000-c000-000000000000", "00000003-0000-0000-c000-000000000000"}
	scopes := []string{"[\\\"User.Read\\\"]", "[\\\"Directory.AccessAsUser.All\\\"]"}
	var rows []record.Row
	for i := range n {
		rows = append(rows, signin(i+1, map[string]any{
			"TimeGenerated":                   now.Add(-7*time.Hour + time.Duration(i)*step),
			"SessionId":                       fmt.Sprintf("session-%d", i%sessions),
			"UserPrincipalName":               fmt.Sprintf("user%d@contoso.example", i%sessions%13),
			"AppId":                           ids[(i*5)%len(ids)],
			"AppDisplayName":                  apps[(i*3)%len(apps)],
			"IncomingTokenType":               tokens[(i*7)%len(tokens)],
			"HomeTenantId":                    "tenant-a",
			"ResourceTenantId":                []string{"tenant-a", "tenant-a", "tenant-b"}[i%3],
			"ResourceIdentity":                resources[(i/2)%2],
			"ResultType":                      []string{"0", "0", "0", "50126"}[i%4],
			"DeviceDetail":                    fmt.Sprintf(`{"isCompliant":%v,"trustType":"Azure AD joined"}`, i%5 == 0),
			"AuthenticationProcessingDetails": `[{"key":"Oauth Scope Info","value":"` + scopes[(i/3)%2] + `"}]`,
		}))
	}
	return rows
}

// A record that fails a plan's read filter is one the plan would drop anyway: each shipped rule
// gives the same rows over only the records its filter keeps as over all of them, and the filter
// keeps fewer.
func TestReadFiltersKeepEveryRowARuleUses(t *testing.T) {
	rows := fociSignins(t)
	paths, err := filepath.Glob("../../rules/*/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	filtered := 0
	for _, path := range paths {
		if strings.HasSuffix(path, ".test.yaml") {
			continue
		}
		p := loadPlan(t, path)
		table := p.Inputs[0].Table.Name
		f := p.ReadFilters(true)[table]
		if f == nil {
			continue
		}
		var kept []record.Row
		keeps := testOf(f)
		for _, row := range rows {
			if keeps(row.Map()) {
				kept = append(kept, row)
			}
		}
		all := runTables(t, p, map[string][]record.Row{table: rows})
		some := runTables(t, p, map[string][]record.Row{table: kept})
		if (len(all) > 0 || len(some) > 0) && !reflect.DeepEqual(all, some) {
			t.Errorf("%s: %d rows over the %d records its filter keeps, %d over all %d", path, len(some), len(kept), len(all), len(rows))
		}
		if strings.Contains(path, "foci") {
			filtered++
			if len(all) == 0 || len(kept) >= len(rows) {
				t.Errorf("%s: %d alerts, filter keeps %d of %d records: the test tests nothing", path, len(all), len(kept), len(rows))
			}
		}
	}
	if filtered < 8 {
		t.Errorf("only %d FOCI rules have a read filter", filtered)
	}
}

// V2's filter: on the way from the start, the tenant, FOCI-client and first-login wheres and the
// first result (written after the join as SecondResult == 0); on the way into the join's right
// side, the same up to foci-client, the refresh-token where, and the second app and resource
// (written after the join under their joined names). The lookback reads the clock and stays out.
func TestV2ReadFilter(t *testing.T) {
	f := loadPlan(t, "../../rules/foci/v2.yaml").ReadFilters(false)["AADNonInteractiveUserSignInLogs"]
	if f == nil {
		t.Fatal("no read filter")
	}
	want := []string{"AppDisplayName", "AppId", "HomeTenantId", "IncomingTokenType", "ResourceIdentity", "ResourceTenantId", "ResultType"}
	if !reflect.DeepEqual(f.Columns, want) {
		t.Errorf("columns %v, want %v", f.Columns, want)
	}
	var ways []string
	for _, way := range f.ways {
		var parts []string
		for _, i := range way {
			c := f.conds[i]
			part := c.prog.Source
			if c.names != nil {
				var names []string
				for from, to := range c.names {
					names = append(names, from+"="+to)
				}
				sort.Strings(names)
				part += " " + strings.Join(names, ",")
			}
			parts = append(parts, part)
		}
		ways = append(ways, strings.Join(parts, " | "))
	}
	wantWays := []string{
		`HomeTenantId == ResourceTenantId | AppId in FociClientApplications | IncomingTokenType == "none" | SecondResult == 0 SecondResult=ResultType`,
		`HomeTenantId == ResourceTenantId | AppId in FociClientApplications | IncomingTokenType != "none" | SecondAppDisplayName in secondLoginApps SecondAppDisplayName=AppDisplayName | SecondResourceIdentity == "00000002-0000-0000-c000-000000000000" SecondResourceIdentity=ResourceIdentity`,
	}
	if !reflect.DeepEqual(ways, wantWays) {
		t.Errorf("ways:\n%s\nwant:\n%s", strings.Join(ways, "\n"), strings.Join(wantWays, "\n"))
	}
}

// A rule over several tables has a filter for each: devicecode-risky-user reads the union of the
// two sign-in tables (the success and device-code wheres filter both) and joins the risk events
// (read whole but for the lookback). With a fixed now, its lookbacks are in the filter, marked so
// that what they drop can be counted; without, they stay out.
func TestEachTableOfARuleHasItsFilter(t *testing.T) {
	p := loadPlan(t, "../../rules/entra/devicecode-risky-user.yaml")
	ways := func(f *ReadFilter) []string {
		var out []string
		for _, way := range f.Ways() {
			var parts []string
			for _, c := range way {
				part := f.conds[c].prog.Source
				if f.Lookback(c) != nil {
					part += " (lookback " + f.Lookback(c).Rule.Label() + ")"
				}
				parts = append(parts, part)
			}
			out = append(out, strings.Join(parts, " | "))
		}
		return out
	}
	signins := []string{`TimeGenerated > ago("1h") (lookback lookback) | equals_ci(ResultSignature, "SUCCESS") | equals_ci(AuthenticationProtocol, "deviceCode")`}
	withLookbacks := p.ReadFilters(true)
	for _, table := range []string{"SigninLogs", "AADNonInteractiveUserSignInLogs"} {
		if got := ways(withLookbacks[table]); !reflect.DeepEqual(got, signins) {
			t.Errorf("%s: ways %q, want %q", table, got, signins)
		}
	}
	if got, want := ways(withLookbacks["AADUserRiskEvents"]), []string{`TimeGenerated > ago("1d") (lookback risk-lookback)`}; !reflect.DeepEqual(got, want) {
		t.Errorf("AADUserRiskEvents: ways %q, want %q", got, want)
	}
	without := p.ReadFilters(false)
	if f := without["AADUserRiskEvents"]; f != nil {
		t.Errorf("without lookbacks, the risk events are filtered by %q", ways(f))
	}
	if got, want := ways(without["SigninLogs"]), []string{`equals_ci(ResultSignature, "SUCCESS") | equals_ci(AuthenticationProtocol, "deviceCode")`}; !reflect.DeepEqual(got, want) {
		t.Errorf("SigninLogs without lookbacks: ways %q, want %q", got, want)
	}
}

// A let's rows meet its wheres: whfb-prt-overlap reads SigninLogs from its start and in its let
// whfb (and the lets read from whfb), each past a lookback and then an mv-expand, which ends what
// a filter can say: every way is the lookback.
func TestALetsWheresFilterItsTable(t *testing.T) {
	f := loadPlan(t, "../../rules/entra/whfb-prt-overlap.yaml").ReadFilters(true)["SigninLogs"]
	if f == nil {
		t.Fatal("no read filter")
	}
	var ways []string
	for _, way := range f.Ways() {
		var parts []string
		for _, c := range way {
			parts = append(parts, f.conds[c].prog.Source)
		}
		ways = append(ways, strings.Join(parts, " | "))
	}
	ways = slices.Compact(ways)
	want := []string{`TimeGenerated > ago("1d")`}
	if !reflect.DeepEqual(ways, want) {
		t.Errorf("ways %q, want %q", ways, want)
	}
}

// testOf is the filter's test over a row of the table's columns (at least Columns), as the reader
// applies it: whether the row meets every condition of some way.
func testOf(f *ReadFilter) func(values map[string]any) bool {
	tests := make([]func(map[string]any) bool, len(f.conds))
	for i := range f.conds {
		tests[i] = f.NewConditionTest(i)
	}
	return func(values map[string]any) bool {
		return slices.ContainsFunc(f.ways, func(way []int) bool {
			return !slices.ContainsFunc(way, func(c int) bool { return !tests[c](values) })
		})
	}
}
