package schema

import (
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
