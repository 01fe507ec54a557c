package schema

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signin-detect/detect/engine/kql"
)

func TestTablesCarryTheReferenceTypes(t *testing.T) {
	nonInteractive, err := Lookup("AADNonInteractiveUserSignInLogs")
	if err != nil {
		t.Fatal(err)
	}
	interactive, err := Lookup("SigninLogs")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		table *Table
		col   string
		want  kql.Type
	}{
		{nonInteractive, "TimeGenerated", kql.Datetime},
		{nonInteractive, "ResultType", kql.String},
		{nonInteractive, "DeviceDetail", kql.String},
		{nonInteractive, "DurationMs", kql.Long},
		{nonInteractive, "IsInteractive", kql.Bool},
		{interactive, "DeviceDetail", kql.Dynamic},
		{interactive, "ResultType", kql.String},
	}
	for _, c := range cases {
		col, ok := c.table.Column(c.col)
		if !ok || col.Type != c.want {
			t.Errorf("%s.%s = %v (found %v), want %v", c.table.Name, c.col, col.Type, ok, c.want)
		}
	}
	if _, ok := nonInteractive.Column("resulttype"); ok {
		t.Error("column names are case-sensitive")
	}
	if len(nonInteractive.Columns) != 86 {
		t.Errorf("AADNonInteractiveUserSignInLogs has %d columns, want 86", len(nonInteractive.Columns))
	}
	if _, err := Lookup("NoSuchTable"); err == nil {
		t.Error("an unknown table must be an error")
	}
}

func TestUserRiskEventsTable(t *testing.T) {
	risk, err := Lookup("AADUserRiskEvents")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]kql.Type{
		"UserPrincipalName": kql.String, "TimeGenerated": kql.Datetime, "DetectedDateTime": kql.Datetime,
		"AdditionalInfo": kql.Dynamic, "Location": kql.Dynamic, "RiskLevel": kql.String, "IpAddress": kql.String,
	} {
		if col, ok := risk.Column(name); !ok || col.Type != want {
			t.Errorf("AADUserRiskEvents.%s = %v (found %v), want %v", name, col.Type, ok, want)
		}
	}
	if len(risk.Columns) != 27 {
		t.Errorf("AADUserRiskEvents has %d columns, want the reference's 27", len(risk.Columns))
	}
}

func TestAuditAndEnrichmentTables(t *testing.T) {
	for _, c := range []struct {
		table   string
		columns int
		types   map[string]kql.Type
	}{
		{"AuditLogs", 33, map[string]kql.Type{"TimeGenerated": kql.Datetime, "ActivityDateTime": kql.Datetime, "InitiatedBy": kql.Dynamic,
			"TargetResources": kql.Dynamic, "AdditionalDetails": kql.Dynamic, "DurationMs": kql.Long, "OperationName": kql.String, "Result": kql.String}},
		{"IdentityInfo", 55, map[string]kql.Type{"AccountUPN": kql.String, "AccountUpn": kql.String, "PrivilegedEntraPimRoles": kql.Dynamic, "AssignedRoles": kql.Dynamic, "GroupMembership": kql.Dynamic,
			"IsAccountEnabled": kql.Bool, "LastSeenDate": kql.Datetime, "BlastRadius": kql.String}},
		{"BehaviorAnalytics", 31, map[string]kql.Type{"ActivityInsights": kql.Dynamic, "UsersInsights": kql.Dynamic, "InvestigationPriority": kql.Int,
			"UserPrincipalName": kql.String, "SourceIPAddress": kql.String}},
		{"OfficeActivity", 119, map[string]kql.Type{"Operation": kql.String, "UserId": kql.String, "ClientIP": kql.String, "Parameters": kql.String,
			"IsManagedDevice": kql.Bool, "Start_Time": kql.Datetime, "AppAccessContext": kql.Dynamic}},
		{"AWSCloudTrail", 52, map[string]kql.Type{"EventName": kql.String, "SessionMfaAuthenticated": kql.Bool, "ManagementEvent": kql.Bool,
			"SessionCreationDate": kql.Datetime, "RequestParameters": kql.String}},
	} {
		table, err := Lookup(c.table)
		if err != nil {
			t.Fatal(err)
		}
		if len(table.Columns) != c.columns {
			t.Errorf("%s has %d columns, want the %d its file lists from the reference", c.table, len(table.Columns), c.columns)
		}
		for name, want := range c.types {
			if col, ok := table.Column(name); !ok || col.Type != want {
				t.Errorf("%s.%s = %v (found %v), want %v", c.table, name, col.Type, ok, want)
			}
		}
		if table.File != "" {
			t.Errorf("%s is shipped, yet has the file %q", c.table, table.File)
		}
	}
}

func TestAddDirDefinesTablesAndPlacesMistakes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("okta.yaml", "name: OktaSystemLog_CL\ncolumns:\n  TimeGenerated: datetime\n  RiskScore: int\n  Client: dynamic\n")
	write("notes.txt", "not a schema")
	if problems := AddDir(dir); len(problems) != 0 {
		t.Fatalf("%v", problems)
	}
	okta, err := Lookup("OktaSystemLog_CL")
	if err != nil {
		t.Fatal(err)
	}
	if col, _ := okta.Column("RiskScore"); col.Type != kql.Int || len(okta.Columns) != 3 || okta.File != filepath.Join(dir, "okta.yaml") {
		t.Errorf("OktaSystemLog_CL = %+v", okta)
	}
	// The same file again replaces its table.
	if problems := AddDir(dir); len(problems) != 0 {
		t.Errorf("adding the same folder again: %v", problems)
	}
	if problems := AddDir(filepath.Join(dir, "missing")); len(problems) != 0 {
		t.Errorf("a folder that does not exist adds nothing: %v", problems)
	}

	bad := t.TempDir()
	files := map[string]string{
		"a.yaml": "name: Bad_CL\ncolumns:\n  A: strng\n  B: string\n  B: long\n  9x: string\ncolour: blue\n",
		"b.yaml": "columns: {A: string}\n",
		"c.yaml": "name: [x]\ncolumns: []\n",
		"d.yaml": "name: SigninLogs\ncolumns: {A: string}\n",
		"e.yaml": "name: E\ncolumns:\n  A: string\n B: long\n",
		"f.yaml": "name: OktaSystemLog_CL\ncolumns: {A: string}\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(bad, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, p := range AddDir(bad) {
		got = append(got, strings.TrimPrefix(p.Error(), bad+string(filepath.Separator)))
	}
	want := []string{
		`a.yaml:3:6: column A: unknown KQL type "strng" (want string, datetime, long, int, real, bool, timespan, guid or dynamic)`,
		`a.yaml:5:3: column B is listed twice`,
		`a.yaml:6:3: column "9x": want a name of letters, digits and _, not starting with a digit`,
		`a.yaml:7:1: unknown key colour (a table schema has name and columns)`,
		`b.yaml:1:1: missing name: the table's name, as rules write it in table:`,
		`c.yaml:1:7: name must be one table name, as rules write it in table:`,
		`c.yaml:2:10: columns must map each column's name to its KQL type (string, datetime, long, int, real, bool, timespan, guid or dynamic)`,
		`d.yaml:1:1: table SigninLogs is already known (a table shipped with detect)`,
		// yaml.v3 names the line where the mapping it could not end began.
		`e.yaml:3:1: did not find expected key`,
		`f.yaml:1:1: table OktaSystemLog_CL is already known (defined in ` + filepath.Join(dir, "okta.yaml") + `)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := Lookup("Bad_CL"); err == nil {
		t.Error("a faulty schema file must define no table")
	}
}
