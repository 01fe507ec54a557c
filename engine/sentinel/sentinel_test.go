package sentinel

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// An analytic rule written for this test in the shape Azure-Sentinel publishes.
const analyticRule = `id: 3f1c0b7e-2d4a-4c55-9a61-0e8b7d2c4f10
name: Many failed sign-ins then a success
description: |
  'Flags an account with many failures followed by a success.'
severity: Medium
requiredDataConnectors:
  - connectorId: AzureActiveDirectory
    dataTypes:
      - SigninLogs
queryFrequency: 1h
queryPeriod: 1d
triggerOperator: gt
triggerThreshold: 2
tactics:
  - CredentialAccess
relevantTechniques:
  - T1110
query: |
  let threshold = 5;
  SigninLogs
  | where ResultType != "0"
  | summarize Failures = count() by UserPrincipalName, IPAddress
  | where Failures > threshold
entityMappings:
  - entityType: Account
    fieldMappings:
      - identifier: FullName
        columnName: UserPrincipalName
  - entityType: IP
    fieldMappings:
      - identifier: Address
        columnName: IPAddress
customDetails:
  FailureCount: Failures
  SourceAddress: IPAddress
alertDetailsOverride:
  alertDisplayNameFormat: Failures for {{UserPrincipalName}}
  alertDynamicProperties:
    - alertProperty: ProductName
      value: Entra
eventGroupingSettings:
  aggregationKind: AlertPerResult
version: 1.0.2
kind: Scheduled
metadata:
  source:
    kind: Community
`

func TestDecodeAnalyticRule(t *testing.T) {
	r, err := Decode("rule.yaml", []byte(analyticRule))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"id", r.ID, "3f1c0b7e-2d4a-4c55-9a61-0e8b7d2c4f10"},
		{"name", r.Name, "Many failed sign-ins then a success"},
		{"description (quotes removed)", r.Description, "Flags an account with many failures followed by a success."},
		{"severity", r.Severity, "Medium"},
		{"connectors", len(r.RequiredDataConnectors), 1},
		{"connector", r.RequiredDataConnectors[0].ConnectorID + "/" + strings.Join(r.RequiredDataConnectors[0].DataTypes, ","), "AzureActiveDirectory/SigninLogs"},
		{"queryFrequency", r.QueryFrequency, time.Hour},
		{"queryPeriod", r.QueryPeriod, 24 * time.Hour},
		{"triggerOperator", r.TriggerOperator, "gt"},
		{"triggerThreshold", r.TriggerThreshold, int64(2)},
		{"tactics", strings.Join(r.Tactics, ","), "CredentialAccess"},
		{"techniques", strings.Join(r.Techniques, ","), "T1110"},
		{"query first line", strings.SplitN(r.Query, "\n", 2)[0], "let threshold = 5;"},
		{"entities", len(r.EntityMappings), 2},
		{"IP entity", r.EntityMappings[1].EntityType + ":" + r.EntityMappings[1].FieldMappings[0].Identifier + "=" + r.EntityMappings[1].FieldMappings[0].ColumnName, "IP:Address=IPAddress"},
		{"custom details in file order", r.CustomDetails, []KeyValue{{"FailureCount", "Failures"}, {"SourceAddress", "IPAddress"}}},
		{"alert name format", r.AlertDetailsOverride.DisplayNameFormat, "Failures for {{UserPrincipalName}}"},
		{"alert properties", r.AlertDetailsOverride.DynamicProperties, []KeyValue{{"ProductName", "Entra"}}},
		{"grouping", r.EventGroupingSettings["aggregationKind"], "AlertPerResult"},
		{"version", r.Version, "1.0.2"},
		{"kind", r.Kind, "Scheduled"},
		{"other keys kept", r.Other["metadata"] != nil, true},
		{"hunting", r.Hunting(), false},
		{"unwrapped", r.QueryUnwrapped, false},
	}
	for _, c := range checks {
		if !equal(c.got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.what, c.got, c.want)
		}
	}
	if _, err := r.ParseQuery(); err != nil {
		t.Errorf("query: %v", err)
	}
}

func equal(a, b any) bool {
	as, aok := a.([]KeyValue)
	bs, bok := b.([]KeyValue)
	if aok && bok {
		if len(as) != len(bs) {
			return false
		}
		for i := range as {
			if as[i] != bs[i] {
				return false
			}
		}
		return true
	}
	return a == b
}

func TestDecodeHuntingQuery(t *testing.T) {
	src := "id: 0b6e1d5c-8f3a-4b2e-9c7d-1a2b3c4d5e6f\nname: Rare user agents\n" +
		"requiredDataConnectors: []\ntactics: [InitialAccess]\nrelevantTechniques: [T1078]\n" +
		"query: SigninLogs | summarize count() by UserAgent\ntags:\n  - Hunting\n  - id: abc\n    version: 1.0\n"
	r, err := Decode("hunt.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Hunting() || r.Query != "SigninLogs | summarize count() by UserAgent" || strings.Join(r.Tags, ";") != "Hunting;id=abc,version=1.0" {
		t.Errorf("hunting query decoded as %+v", r)
	}
}

// A syntax error in the query is placed in the file: the query's line plus the block's first
// line, its column plus the block's indentation, whatever the scalar's style.
func TestQueryErrorsArePlacedInTheFile(t *testing.T) {
	for _, c := range []struct{ what, src, want string }{
		{"literal block", "id: x\nquery: |\n  SigninLogs\n  | where A ==\n  | take 5\n", "r.yaml:5:3: expected an expression"},
		{"literal block, blank first line, deeper indent", "id: x\nquery: |\n\n    SigninLogs\n    | wher A\n", "r.yaml:5:7: unknown or unsupported tabular operator"},
		{"literal block with CRLF", "id: x\r\nquery: |\r\n  SigninLogs\r\n  | wher A\r\n", "r.yaml:4:5: unknown or unsupported tabular operator"},
		{"folded block", "id: x\nquery: >\n  SigninLogs\n  | where A == \"x\"\n  | wher B\n", "r.yaml:5:5: unknown or unsupported tabular operator"},
		{"double quoted", "id: x\nquery: \"SigninLogs | where A == \\\"x\\\" | wher B\"\n", "r.yaml:2:41: unknown or unsupported tabular operator"},
		{"plain", "id: x\nquery: SigninLogs | wher B\n", "r.yaml:2:21: unknown or unsupported tabular operator"},
		{"error at the end of the text", "id: x\nquery: |\n  SigninLogs\n  | where\n", "r.yaml:4:10: expected an expression"},
		{"non-ASCII before the error", "id: x\nquery: |\n  T | where A == \"é\" and\n", "r.yaml:3:25: expected an expression"},
	} {
		r, err := Decode("r.yaml", []byte(c.src))
		if err != nil {
			t.Errorf("%s: %v", c.what, err)
			continue
		}
		_, err = r.ParseQuery()
		var e *Error
		if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %s...", c.what, err, c.want)
		}
	}
}

func TestQueryWrappedInQuotesIsUnwrapped(t *testing.T) {
	src := "id: x\nquery: |\n  '// a comment with 'quotes'\n  SigninLogs\n  | wher A\n  '\n"
	r, err := Decode("r.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if !r.QueryUnwrapped || strings.Contains(r.Query, "'//") {
		t.Fatalf("not unwrapped: %q", r.Query)
	}
	if _, err := r.ParseQuery(); err == nil || !strings.HasPrefix(err.Error(), "r.yaml:5:5: unknown or unsupported tabular operator") {
		t.Errorf("got %v", err)
	}
	// A query that is one quoted string parses as it stands and is left alone.
	r, err = Decode("r.yaml", []byte("id: x\nquery: |\n  'text'\n"))
	if err != nil || r.QueryUnwrapped {
		t.Errorf("a string query was unwrapped: %v %+v", err, r)
	}
}

func TestBadFilesGetPlacedErrors(t *testing.T) {
	for _, c := range []struct{ what, src, want string }{
		{"not YAML", "id: x\nname:Broken line\ndescription: |\n  x\n", "r.yaml:2:1: not valid YAML: could not find expected ':'"},
		{"not a mapping", "- a\n- b\n", "r.yaml:1:1: a Sentinel rule is a YAML mapping"},
		{"no query", "id: x\nname: y\n", "r.yaml:1:1: the rule has no query"},
		{"empty query", "id: x\nquery: \"\"\n", "r.yaml:2:8: query must be the KQL text"},
		{"bad trigger operator", "triggerOperator: above\nquery: T\n", `r.yaml:1:18: triggerOperator "above" is not gt, lt, eq or ne`},
		{"bad threshold", "triggerThreshold: many\nquery: T\n", `r.yaml:1:19: triggerThreshold "many" is not a whole number`},
		{"bad period", "queryPeriod: soon\nquery: T\n", `r.yaml:1:14: queryPeriod: "soon" is not a duration`},
		{"entity without type", "query: T\nentityMappings:\n  - customDetails:\n      A: B\n", "r.yaml:3:5: an entity mapping needs entityType"},
		{"repeated key", "query: T\nquery: U\n", "r.yaml:2:1: query is given twice"},
		{"tactics not a list", "query: T\ntactics: {a: b}\n", "r.yaml:2:10: tactics must be a list"},
		{"no id", "name: y\nquery: T\n", "r.yaml:1:1: the rule has no id"},
	} {
		_, err := Decode("r.yaml", []byte(c.src))
		var errs Errors
		if !errors.As(err, &errs) || !strings.HasPrefix(errs[0].Error(), c.want) {
			t.Errorf("%s: got %v, want %s...", c.what, err, c.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for s, want := range map[string]time.Duration{
		"5m": 5 * time.Minute, "1h": time.Hour, "14d": 14 * 24 * time.Hour, "PT1H": time.Hour,
		"P14D": 14 * 24 * time.Hour, "PT5M": 5 * time.Minute, "P1DT12H": 36 * time.Hour,
	} {
		if got, err := ParseDuration(s); err != nil || got != want {
			t.Errorf("%s: %v %v, want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "soon", "5", "P", "PT", "P1H", "1h | where"} {
		if _, err := ParseDuration(s); err == nil {
			t.Errorf("%q read as a duration", s)
		}
	}
}
