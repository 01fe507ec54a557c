package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// compileWithFiles writes files next to a rule of body and plans it with opts.
func compileWithFiles(t *testing.T, body string, files map[string]string, opts Options) (*Plan, error) {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "rule.yaml")
	text := "id: 5b0f5a52-8d3c-4f1e-9a57-3c2b1d0e9f8a\nname: test\nseverity: Low\n" + body
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := rule.Load(path)
	if err != nil {
		return nil, err
	}
	opts.Now = now
	return Compile(r, opts)
}

func mustCompileWithFiles(t *testing.T, body string, files map[string]string) *Plan {
	t.Helper()
	p, err := compileWithFiles(t, body, files, Options{})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return p
}

// owners.csv: session s1 has two owners (lines 2 and 3), s9 matches no left row.
const ownersCSV = "SessionId,Owner,AppDisplayName\ns1,ann,Owned App\ns1,bob,Other App\ns9,zoe,Nobody\n"

const ownersLookup = `lookups:
  owners:
    file: owners.csv
    ignoreFirstRecord: true
    columns: {SessionId: string, Owner: string, AppDisplayName: string}
`

// https://learn.microsoft.com/kusto/query/lookup-operator: the result does not repeat the right
// side's key columns; leftouter (the default) keeps the left rows without a match, the right
// columns null; inner drops them; a left row with several matches gives a row for each, as a join
// of the same kind does; a right column whose name is taken is numbered as a join numbers it.
func TestLookupLeavesOutTheRightKeys(t *testing.T) {
	rows := joinRows(t)[:4] // s1 twice (1, 2), s2 (3), "" (4)
	for _, c := range []struct {
		kind string
		want []string
	}{
		{"", []string{
			"SessionId=s1 AppDisplayName=Teams Owner=ann AppDisplayName1=Owned App SessionId1=<nil> @1,2",
			"SessionId=s1 AppDisplayName=Teams Owner=bob AppDisplayName1=Other App SessionId1=<nil> @1,3",
			"SessionId=s1 AppDisplayName=Outlook Owner=ann AppDisplayName1=Owned App SessionId1=<nil> @2,2",
			"SessionId=s1 AppDisplayName=Outlook Owner=bob AppDisplayName1=Other App SessionId1=<nil> @2,3",
			"SessionId=s2 AppDisplayName=Word Owner= AppDisplayName1= SessionId1=<nil> @3",
			"SessionId= AppDisplayName=Excel Owner= AppDisplayName1= SessionId1=<nil> @4"}},
		{"kind: inner, ", []string{
			"SessionId=s1 AppDisplayName=Teams Owner=ann AppDisplayName1=Owned App SessionId1=<nil> @1,2",
			"SessionId=s1 AppDisplayName=Teams Owner=bob AppDisplayName1=Other App SessionId1=<nil> @1,3",
			"SessionId=s1 AppDisplayName=Outlook Owner=ann AppDisplayName1=Owned App SessionId1=<nil> @2,2",
			"SessionId=s1 AppDisplayName=Outlook Owner=bob AppDisplayName1=Other App SessionId1=<nil> @2,3"}},
	} {
		p := mustCompileWithFiles(t, "table: AADNonInteractiveUserSignInLogs\n"+ownersLookup+
			"stages:\n  - lookup: {"+c.kind+"on: [SessionId], right: {from: owners}}\n", map[string]string{"owners.csv": ownersCSV})
		got := show(run(t, p, rows...), "SessionId", "AppDisplayName", "Owner", "AppDisplayName1", "SessionId1")
		expectRows(t, "lookup "+c.kind, got, c.want)
		if i := indexOf(p.Output, "SessionId1"); i >= 0 {
			t.Errorf("lookup %s: the output has the right key as SessionId1: %s", c.kind, columnNames(p.Output))
		}
	}
}

// A key written $left.A == $right.B leaves B out of a lookup's result too; a join keeps it.
func TestLookupLeavesOutARightKeyNamedOtherwise(t *testing.T) {
	csv := "sid,Owner\ns2,ann\n"
	lookups := "lookups:\n  owners: {file: owners.csv, ignoreFirstRecord: true, columns: {sid: string, Owner: string}}\n"
	for kind, wantSid := range map[string]bool{"lookup": false, "join": true} {
		p := mustCompileWithFiles(t, "table: AADNonInteractiveUserSignInLogs\n"+lookups+
			"stages:\n  - "+kind+": {kind: inner, on: [\"$left.SessionId == $right.sid\"], right: {from: owners}}\n", map[string]string{"owners.csv": csv})
		expectRows(t, kind, show(run(t, p, joinRows(t)[:4]...), "AppDisplayName", "Owner"), []string{"AppDisplayName=Word Owner=ann @3,2"})
		if got := indexOf(p.Output, "sid") >= 0; got != wantSid {
			t.Errorf("%s: the output has sid: %v, want %v (%s)", kind, got, wantSid, columnNames(p.Output))
		}
	}
}

// Only leftouter and inner are lookup kinds (Learn: "Only two kinds of lookup are supported").
func TestLookupKinds(t *testing.T) {
	_, err := compileWithFiles(t, "table: AADNonInteractiveUserSignInLogs\nstages:\n  - lookup: {kind: fullouter, on: [SessionId]}\n", nil, Options{})
	if err == nil || !strings.Contains(err.Error(), `lookup kind "fullouter" is not supported (supported: leftouter, inner)`) {
		t.Errorf("got %v", err)
	}
}

const rangesCSV = `network,provider
10.0.0.0/8,wide
10.1.0.0/16,narrow
192.168.1.5,single
not a range,broken
172.16.0.0/12,private
10.1.2.0/24,AppDisplayName
198.51.100.77/30,host bits
`

const rangesLookup = `lookups:
  ranges:
    file: ranges.csv
    format: csv
    ignoreFirstRecord: true
    columns: {network: string, provider: string}
`

func ipRows(t *testing.T, ips ...string) []record.Row {
	var rows []record.Row
	for i, ip := range ips {
		rows = append(rows, tableRow(t, nonInteractive, i+1, map[string]any{"IPAddress": ip}))
	}
	return rows
}

// https://learn.microsoft.com/kusto/query/ipv4-lookup-plugin: each row's IPv4 address is looked up
// among the table's IPv4 ranges (IP-prefix notation); the result is a lookup's (a join's): a row for
// each range that holds the address, the table's columns (the range column too) added; unmatched
// rows are left out unless return_unmatched is true, which keeps them with the table's columns null.
// Each address is one just inside or just outside a range.
func TestIPv4Lookup(t *testing.T) {
	ips := []string{"10.1.2.3", "10.255.255.255", "11.0.0.0", "9.255.255.255", "192.168.1.5", "192.168.1.6",
		"172.31.255.255", "172.32.0.0", "", "not an ip", "::ffff:10.1.2.3", "198.51.100.76", "198.51.100.80"}
	matched := []string{
		// 10.1.2.3 is in 10.0.0.0/8, 10.1.0.0/16 and 10.1.2.0/24: a row for each, in the table's order.
		"IPAddress=10.1.2.3 network=10.0.0.0/8 provider=wide @1,2", "IPAddress=10.1.2.3 network=10.1.0.0/16 provider=narrow @1,3",
		"IPAddress=10.1.2.3 network=10.1.2.0/24 provider=AppDisplayName @1,7",
		"IPAddress=10.255.255.255 network=10.0.0.0/8 provider=wide @2,2",
		"IPAddress=192.168.1.5 network=192.168.1.5 provider=single @5,4",
		"IPAddress=172.31.255.255 network=172.16.0.0/12 provider=private @7,6",
		// 198.51.100.77/30 is the network 198.51.100.76/30 holding that address: .76 to .79.
		"IPAddress=198.51.100.76 network=198.51.100.77/30 provider=host bits @12,8",
	}
	p := mustCompileWithFiles(t, "table: AADNonInteractiveUserSignInLogs\n"+rangesLookup+
		"stages:\n  - ipv4-lookup: {from: ranges, ip: IPAddress, range: network}\n", map[string]string{"ranges.csv": rangesCSV})
	expectRows(t, "ipv4_lookup", show(run(t, p, ipRows(t, ips...)...), "IPAddress", "network", "provider"), matched)

	p = mustCompileWithFiles(t, "table: AADNonInteractiveUserSignInLogs\n"+rangesLookup+
		"stages:\n  - ipv4-lookup: {from: ranges, ip: IPAddress, range: network, return_unmatched: true}\n", map[string]string{"ranges.csv": rangesCSV})
	all := append(append([]string{}, matched[:4]...), "IPAddress=11.0.0.0 network= provider= @3", "IPAddress=9.255.255.255 network= provider= @4",
		matched[4], "IPAddress=192.168.1.6 network= provider= @6", matched[5], "IPAddress=172.32.0.0 network= provider= @8",
		"IPAddress= network= provider= @9", "IPAddress=not an ip network= provider= @10", "IPAddress=::ffff:10.1.2.3 network= provider= @11",
		matched[6], "IPAddress=198.51.100.80 network= provider= @13")
	expectRows(t, "ipv4_lookup return_unmatched", show(run(t, p, ipRows(t, ips...)...), "IPAddress", "network", "provider"), all)
}

// The table's columns are added as a lookup adds them: a name the rows have already is numbered.
func TestIPv4LookupNamesClashingColumns(t *testing.T) {
	csv := "10.0.0.0/8,Range App\n"
	lookups := "lookups:\n  ranges: {file: r.csv, columns: {IPAddress: string, AppDisplayName: string}}\n"
	p := mustCompileWithFiles(t, "table: AADNonInteractiveUserSignInLogs\n"+lookups+
		"stages:\n  - ipv4-lookup: {from: ranges, ip: IPAddress, range: IPAddress}\n", map[string]string{"r.csv": csv})
	rows := []record.Row{tableRow(t, nonInteractive, 1, map[string]any{"IPAddress": "10.9.9.9", "AppDisplayName": "Teams"})}
	expectRows(t, "clash", show(run(t, p, rows...), "IPAddress", "AppDisplayName", "IPAddress1", "AppDisplayName1"),
		[]string{"IPAddress=10.9.9.9 AppDisplayName=Teams IPAddress1=10.0.0.0/8 AppDisplayName1=Range App @1,1"})
}

// A table lookup is read by name wherever rows are: a join's right side, a let's from; in an
// expression its name is its first column's values (KQL's `in (T)`); --lookup reads another file
// in its place.
func TestTableLookupIsATable(t *testing.T) {
	body := "table: AADNonInteractiveUserSignInLogs\n" + rangesLookup + `let:
  wide:
    from: ranges
    stages:
      - where: provider == "wide"
stages:
  - where: IPAddress in ranges or IPAddress == "10.2.2.2"
  - join: {kind: inner, on: ["$left.UserPrincipalName == $right.provider"], right: {from: wide}}
`
	rows := []record.Row{
		tableRow(t, nonInteractive, 1, map[string]any{"IPAddress": "192.168.1.5", "UserPrincipalName": "wide"}),
		tableRow(t, nonInteractive, 2, map[string]any{"IPAddress": "10.2.2.2", "UserPrincipalName": "wide"}),
		tableRow(t, nonInteractive, 3, map[string]any{"IPAddress": "10.2.2.2", "UserPrincipalName": "narrow"}),
	}
	p := mustCompileWithFiles(t, body, map[string]string{"ranges.csv": rangesCSV})
	expectRows(t, "table lookup", show(run(t, p, rows...), "IPAddress", "network"),
		[]string{"IPAddress=192.168.1.5 network=10.0.0.0/8 @1,2", "IPAddress=10.2.2.2 network=10.0.0.0/8 @2,2"})

	other := filepath.Join(t.TempDir(), "other.csv")
	if err := os.WriteFile(other, []byte("network,provider\n10.3.0.0/16,wide\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := compileWithFiles(t, body, map[string]string{"ranges.csv": rangesCSV}, Options{LookupFiles: map[string]string{"ranges": other}})
	if err != nil {
		t.Fatal(err)
	}
	expectRows(t, "--lookup ranges=other.csv", show(run(t, p, rows...), "IPAddress", "network"),
		[]string{"IPAddress=10.2.2.2 network=10.3.0.0/16 @2,2"})
}

// Mistakes in a table lookup or an ipv4-lookup are reported at their place.
func TestTableLookupMistakes(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{"lookups:\n  r: {file: ranges.csv, columns: {network: ipaddr}}\n", `rule.yaml:6:44: lookup r column network: unknown KQL type "ipaddr"`},
		{"lookups:\n  r: {file: ranges.csv, format: xml, columns: {network: string}}\n", `rule.yaml:6:33: lookup r format "xml" is not supported (supported: csv, tsv, json, multijson)`},
		{"lookups:\n  r: {file: ranges.csv, column: network, ignoreFirstRecord: true}\n", `rule.yaml:6:42: lookup r: ignoreFirstRecord is for a table`},
		{"lookups:\n  r: {file: ranges.csv, column: network, columns: {network: string}}\n", "rule.yaml:6:6: lookup r needs file"},
		{"lookups:\n  r: {file: missing.csv, columns: {network: string}}\n", "rule.yaml:6:3: lookup r: "},
		{rangesLookup + "stages:\n  - ipv4-lookup: {from: ranges, ip: IPAdress, range: network}\n", "ipv4-lookup ip: no column IPAdress here"},
		{rangesLookup + "stages:\n  - ipv4-lookup: {from: ranges, ip: IPAddress, range: net}\n", "ipv4-lookup range: ranges has no column net (columns here: network, provider)"},
		{rangesLookup + "stages:\n  - ipv4-lookup: {from: nothing, ip: IPAddress, range: network}\n", `ipv4-lookup from "nothing": no let of that name`},
		{rangesLookup + "stages:\n  - ipv4-lookup: {from: ranges, ip: DurationMs, range: network}\n", "ipv4-lookup ip: column DurationMs is a long"},
		{"stages:\n  - ipv4-lookup: {from: ranges}\n", "ipv4-lookup needs from"},
	} {
		body := "table: AADNonInteractiveUserSignInLogs\n" + c.body
		if !strings.Contains(body, "stages:") {
			body += "stages:\n  - where: true\n"
		}
		_, err := compileWithFiles(t, body, map[string]string{"ranges.csv": rangesCSV}, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s\n got  %v\n want %q", c.body, err, c.want)
		}
	}
}

// ipv4_lookup's extra keys (Learn: "records with equal values are considered matching"): a range
// matches only the rows whose keys equal its row's, and the keys are not repeated in the result,
// as a lookup's are not.
func TestIPv4LookupExtraKeys(t *testing.T) {
	csv := "10.0.0.0/8,tenant-a,A's network\n10.0.0.0/8,tenant-b,B's network\n10.0.0.0/8,,no tenant's\n"
	lookups := "lookups:\n  ranges: {file: r.csv, columns: {network: string, AADTenantId: string, label: string}}\n"
	p := mustCompileWithFiles(t, "table: AADNonInteractiveUserSignInLogs\n"+lookups+
		"stages:\n  - ipv4-lookup: {from: ranges, ip: IPAddress, range: network, keys: [AADTenantId], return_unmatched: true}\n", map[string]string{"r.csv": csv})
	rows := []record.Row{
		tableRow(t, nonInteractive, 1, map[string]any{"IPAddress": "10.1.1.1", "AADTenantId": "tenant-b"}),
		tableRow(t, nonInteractive, 2, map[string]any{"IPAddress": "10.1.1.1", "AADTenantId": "tenant-c"}),
		tableRow(t, nonInteractive, 3, map[string]any{"IPAddress": "10.1.1.1", "AADTenantId": ""}),
	}
	expectRows(t, "extra keys", show(run(t, p, rows...), "AADTenantId", "network", "label", "AADTenantId1"), []string{
		"AADTenantId=tenant-b network=10.0.0.0/8 label=B's network AADTenantId1=<nil> @1,2",
		"AADTenantId=tenant-c network= label= AADTenantId1=<nil> @2",
		"AADTenantId= network=10.0.0.0/8 label=no tenant's AADTenantId1=<nil> @3,3"})
	if _, err := compileWithFiles(t, "table: AADNonInteractiveUserSignInLogs\n"+lookups+
		"stages:\n  - ipv4-lookup: {from: ranges, ip: IPAddress, range: network, keys: [label]}\n", map[string]string{"r.csv": csv}, Options{}); err == nil ||
		!strings.Contains(err.Error(), "ipv4-lookup keys: label is not a column of both the rows and ranges") {
		t.Errorf("a key the rows lack: %v", err)
	}
}

// The looked-up address may be masked too (Learn: SourceIPv4Key "can be masked using IP-prefix
// notation"): 172.20.9.9/12 is looked up as its network's first address, 172.16.0.0.
func TestIPv4LookupOfAMaskedAddress(t *testing.T) {
	p := mustCompileWithFiles(t, "table: AADNonInteractiveUserSignInLogs\n"+rangesLookup+
		"stages:\n  - ipv4-lookup: {from: ranges, ip: IPAddress, range: network}\n", map[string]string{"ranges.csv": rangesCSV})
	expectRows(t, "masked", show(run(t, p, ipRows(t, "172.20.9.9/12", "172.20.9.9/11")...), "IPAddress", "network"),
		[]string{"IPAddress=172.20.9.9/12 network=172.16.0.0/12 @1,6"})
}

// A table lookup is a table wherever a let is: the rule's own rows may start from it, and a union
// reads it as an operand.
func TestTableLookupAsTheRulesRowsAndAUnionOperand(t *testing.T) {
	p := mustCompileWithFiles(t, rangesLookup+"from: ranges\nstages:\n  - where: provider != \"broken\"\n  - union: [ranges]\n  - project: [network]\n",
		map[string]string{"ranges.csv": "network,provider\n10.0.0.0/8,wide\nnot a range,broken\n"})
	expectRows(t, "from and union", show(run(t, p), "network"),
		[]string{"network=10.0.0.0/8 @2", "network=10.0.0.0/8 @2", "network=not a range @3"})
}
