package main

// This file renders the fixture set of fixtures/shapes/ (one set of sign-ins in every shape Entra
// ID sign-ins are exported in, plain, gzip and zstd) and fixtures/garbage/ (the same rows mixed
// with every kind of bad input). TestFixturesAreUpToDate checks the files on disk against it;
// `go test ./cmd/detect -run TestFixturesAreUpToDate -update` (or `make fixtures`) writes them.
//
// Each shape is written here from the sign-ins directly, as the exporter writes it (field names and
// layout from fixtures/shapes/README.md), not through the engine's mappings: a mapping that reads a
// shape wrongly then fails the test that compares the alerts of every shape.

import (
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
)

var update = flag.Bool("update", false, "rewrite the rendered fixtures in fixtures/shapes and fixtures/garbage")

const (
	nonInteractiveTable = "AADNonInteractiveUserSignInLogs"
	interactiveTable    = "SigninLogs"

	contosoTenant  = "15511bbb-5c4f-48af-9aa8-18fc0dd983d8"
	fabrikamTenant = "ab791d8e-a16b-479f-97ce-374a536cd7f7"
	// The Global Administrator role template id the tuning variants look for.
	globalAdminRole = "62e90394-69f5-4237-9190-012177145e10"
)

type app struct{ name, id string }

var (
	teams       = app{"Microsoft Teams", "1fec8e78-bce4-4aaf-ab1b-5451cc387264"}
	office      = app{"Microsoft Office", "d3590ed6-52b3-4102-aeff-aad2292ab01c"}
	outlook     = app{"Outlook Mobile", "27922004-5251-4030-b22d-91ecd9a37ea4"}
	azureCLI    = app{"Microsoft Azure CLI", "04b07795-8ddb-461a-bbee-02f9e1bf7b46"}
	powerShell  = app{"Microsoft Azure PowerShell", "1950a258-227b-4e31-a9cf-717495945fc2"}
	copilot     = app{"Copilot App", "14638111-3389-403d-b206-a6a71d9f8f16"}
	azurePortal = app{"Azure Portal", "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"}

	msGraph  = app{"Microsoft Graph", "00000003-0000-0000-c000-000000000000"}
	aadGraph = app{"Windows Azure Active Directory", "00000002-0000-0000-c000-000000000000"}
	arm      = app{"Azure Resource Manager", "797f4846-ba00-4fd7-ba43-dac1f8f63013"}
)

type user struct{ upn, name, ip, city, country string }

var (
	ana    = user{"ana.silva@contoso.example", "Ana Silva", "203.0.113.10", "Lisbon", "PT"}
	bruno  = user{"bruno.costa@contoso.example", "Bruno Costa", "203.0.113.11", "Porto", "PT"}
	clara  = user{"clara.weiss@contoso.example", "Clara Weiss", "203.0.113.12", "Vienna", "AT"}
	dmitri = user{"dmitri.ivanov@contoso.example", "Dmitri Ivanov", "203.0.113.13", "Tallinn", "EE"}
	elif   = user{"elif.yilmaz@contoso.example", "Elif Yılmaz", "203.0.113.14", "İzmir", "TR"}
	farid  = user{"farid.haddad@contoso.example", "Farid Haddad", "203.0.113.15", "Brussels", "BE"}
	gina   = user{"gina.rossi@contoso.example", "Gina Rossi", "198.51.100.16", "Milan", "IT"}
	hugo   = user{"hugo.blanc@contoso.example", "Hugo Blanc", "198.51.100.17", "Lyon", "FR"}
	ines   = user{"ines.moreau@fabrikam.example", "Inès Moreau", "192.0.2.18", "Paris", "FR"}
	jonas  = user{"jonas.berg@contoso.example", "Jonas Berg", "203.0.113.19", "Oslo", "NO"}
)

// signIn is one sign-in of the fixture set. Times have millisecond precision, which is what the
// portal's CSV export keeps.
type signIn struct {
	key         string // names the sign-in's ids
	interactive bool
	at          string // on 2026-11-20, UTC
	user        user
	app         app
	token       string // IncomingTokenType; "null" for a JSON null
	session     string
	resource    app
	result      int
	home        string // HomeTenantId; ResourceTenantId is contoso's
	scopes      []string
	roles       []string
	compliant   *bool
}

var yes, no = true, false

// signIns are the fixture set; fixtures/shapes/README.md says what each pair exercises.
var signIns = []signIn{
	{key: "j1", at: "05:00:00.000", user: jonas, app: teams, token: "none", session: "j", resource: msGraph, scopes: []string{"User.Read"}},
	{key: "j2", at: "05:10:00.000", user: jonas, app: azureCLI, token: "refreshToken", session: "j", resource: aadGraph, scopes: []string{"user_impersonation"}, roles: []string{globalAdminRole}},
	{key: "a1", at: "08:00:01.123", user: ana, app: teams, token: "none", session: "a", resource: msGraph, scopes: []string{"Calendars.ReadWrite", "Files.ReadWrite.All", "User.Read"}, compliant: &yes},
	{key: "a2", at: "08:05:30.456", user: ana, app: azureCLI, token: "refreshToken", session: "a", resource: aadGraph, scopes: []string{"user_impersonation"}, roles: []string{globalAdminRole}, compliant: &yes},
	{key: "b1", at: "08:30:00.000", user: bruno, app: office, token: "none", session: "b", resource: msGraph, scopes: []string{"User.Read"}},
	{key: "b2", at: "08:42:10.250", user: bruno, app: powerShell, token: "refreshToken", session: "b", resource: aadGraph, scopes: []string{"user_impersonation"}, compliant: &no},
	{key: "c1", at: "09:10:00.500", user: clara, app: teams, token: "none", session: "c", resource: msGraph, scopes: []string{"User.Read"}},
	{key: "c2", at: "09:20:00.500", user: clara, app: copilot, token: "refreshToken", session: "c", resource: aadGraph, scopes: []string{"user_impersonation"}},
	{key: "d1", at: "09:40:00.000", user: dmitri, app: outlook, token: "none", session: "d", resource: msGraph, scopes: []string{"Mail.ReadWrite"}},
	{key: "d2", at: "09:41:30.000", user: dmitri, app: powerShell, token: "null", session: "d", resource: aadGraph, scopes: []string{"user_impersonation"}},
	{key: "e1", at: "10:00:00.000", user: elif, app: outlook, token: "none", session: "e", resource: msGraph, scopes: []string{"Mail.ReadWrite"}},
	{key: "f1", at: "10:15:00.000", user: farid, app: azureCLI, token: "none", session: "f", resource: arm, scopes: []string{"user_impersonation"}},
	{key: "f2", at: "10:20:00.000", user: farid, app: azureCLI, token: "refreshToken", session: "f", resource: arm, scopes: []string{"user_impersonation"}},
	{key: "e2", at: "10:30:00.000", user: elif, app: outlook, token: "refreshToken", session: "e", resource: msGraph, scopes: []string{"Mail.ReadWrite"}},
	{key: "g1", interactive: true, at: "10:45:00.000", user: gina, app: teams, token: "none", session: "g", resource: msGraph, scopes: []string{"User.Read"}, compliant: &no},
	{key: "g2", at: "10:51:00.000", user: gina, app: azureCLI, token: "refreshToken", session: "g", resource: aadGraph, scopes: []string{"user_impersonation"}, roles: []string{globalAdminRole}, compliant: &no},
	{key: "h1", interactive: true, at: "11:00:00.000", user: hugo, app: azurePortal, token: "none", session: "h", resource: arm, result: 50126},
	{key: "i1", at: "11:10:00.000", user: ines, app: teams, token: "none", session: "i", resource: msGraph, home: fabrikamTenant, scopes: []string{"User.Read"}},
	{key: "i2", at: "11:15:00.000", user: ines, app: azureCLI, token: "refreshToken", session: "i", resource: aadGraph, home: fabrikamTenant, scopes: []string{"user_impersonation"}, roles: []string{globalAdminRole}},
}

// guid is a made-up GUID, the same every time for the same label.
func guid(label string) string {
	h := fmt.Sprintf("%x", sha1.Sum([]byte(label)))
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20] + "-" + h[20:32]
}

// obj is a JSON object that keeps its fields in order, as exporters write them.
type obj []field

type field struct {
	key   string
	value any
}

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(jsonText(f.key))
		b.WriteByte(':')
		b.Write(jsonText(f.value))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// jsonText is v as compact JSON, <, > and & as they are.
func jsonText(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func prettyJSON(v any) []byte {
	var b bytes.Buffer
	if err := json.Indent(&b, jsonText(v), "", "  "); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func (s signIn) time() string { return "2026-11-20T" + s.at + "Z" }

func (s signIn) table() string {
	if s.interactive {
		return interactiveTable
	}
	return nonInteractiveTable
}

func (s signIn) homeTenant() string {
	if s.home != "" {
		return s.home
	}
	return contosoTenant
}

func (s signIn) failure() string {
	if s.result == 50126 {
		return "Error validating credentials due to invalid username or password."
	}
	return ""
}

// The nested values of a sign-in, as compact JSON: Log Analytics holds this text in its string
// columns; the diagnostic and Graph shapes hold the values themselves.
func (s signIn) status() json.RawMessage {
	if s.result == 0 {
		return jsonText(obj{{"errorCode", 0}})
	}
	return jsonText(obj{{"errorCode", s.result}, {"failureReason", s.failure()}})
}

func (s signIn) deviceDetail() json.RawMessage {
	device := obj{{"deviceId", guid("device " + s.user.upn)}, {"displayName", "CONTOSO-" + strings.ToUpper(s.user.upn[:3])}, {"operatingSystem", "Windows10"}}
	if s.compliant != nil {
		device = append(device, field{"isCompliant", *s.compliant}, field{"isManaged", true})
	}
	return jsonText(append(device, field{"trustType", "Azure AD joined"}))
}

func (s signIn) locationDetails() json.RawMessage {
	return jsonText(obj{{"city", s.user.city}, {"state", s.user.city}, {"countryOrRegion", s.user.country},
		{"geoCoordinates", obj{{"latitude", 48.5}, {"longitude", 2.25}}}})
}

func (s signIn) processingDetails() json.RawMessage {
	details := []obj{{{"key", "Legacy TLS (TLS 1.0, 1.1, 3DES)"}, {"value", "False"}}}
	if len(s.scopes) > 0 {
		details = append(details, obj{{"key", "Oauth Scope Info"}, {"value", string(jsonText(s.scopes))}})
	}
	if len(s.roles) > 0 {
		details = append(details, obj{{"key", "Role Template Ids"}, {"value", string(jsonText(s.roles))}})
	}
	return jsonText(append(details, obj{{"key", "Is CAE Token"}, {"value", "False"}}))
}

func (s signIn) conditionalAccess() json.RawMessage {
	return jsonText([]obj{{{"id", guid("policy mfa")}, {"displayName", "CA001 - Require MFA for all users"},
		{"enforcedGrantControls", []string{"Mfa"}}, {"enforcedSessionControls", []string{}}, {"result", "success"}}})
}

func (s signIn) tokenType() any {
	if s.token == "null" {
		return nil
	}
	return s.token
}

func (s signIn) id() string            { return guid("id " + s.key) }
func (s signIn) correlationID() string { return guid("correlation " + s.key) }
func (s signIn) userID() string        { return guid("user " + s.user.upn) }
func (s signIn) sessionID() string     { return guid("session " + s.session) }
func (s signIn) tokenID() string       { return strings.ReplaceAll(guid("token " + s.key)[:22], "-", "_") }

// category is the diagnostic settings category of the sign-in, which Log Analytics keeps in Category.
func (s signIn) category() string {
	if s.interactive {
		return "SignInLogs"
	}
	return "NonInteractiveUserSignInLogs"
}

func (s signIn) resultSignature() string {
	if s.result != 0 {
		return "FAILURE"
	}
	return "SUCCESS"
}

func (s signIn) userAgent() string {
	return "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
}

// laRow is the sign-in as a Log Analytics row, its columns in alphabetical order (as Log Analytics
// returns them), JSON-holding values as json.RawMessage.
func (s signIn) laRow() obj {
	processing := "ProcessingTimeInMs"
	if s.interactive {
		processing = "ProcessingTimeInMilliseconds"
	}
	return obj{
		{"AADTenantId", contosoTenant},
		{"AppDisplayName", s.app.name},
		{"AppId", s.app.id},
		{"AuthenticationProcessingDetails", s.processingDetails()},
		{"Category", s.category()},
		{"ClientAppUsed", "Mobile Apps and Desktop clients"},
		{"ConditionalAccessPolicies", s.conditionalAccess()},
		{"CorrelationId", s.correlationID()},
		{"CreatedDateTime", s.time()},
		{"DeviceDetail", s.deviceDetail()},
		{"DurationMs", 0},
		{"HomeTenantId", s.homeTenant()},
		{"Id", s.id()},
		{"Identity", s.user.name},
		{"IncomingTokenType", s.tokenType()},
		{"IPAddress", s.user.ip},
		{"IsInteractive", s.interactive},
		{"Location", s.user.country},
		{"LocationDetails", s.locationDetails()},
		{"OperationName", "Sign-in activity"},
		{processing, "88"},
		{"ResourceDisplayName", s.resource.name},
		{"ResourceIdentity", s.resource.id},
		{"ResourceTenantId", contosoTenant},
		{"ResultDescription", s.failure()},
		{"ResultSignature", s.resultSignature()},
		{"ResultType", fmt.Sprint(s.result)},
		{"SessionId", s.sessionID()},
		{"Status", s.status()},
		{"TimeGenerated", s.time()},
		{"Type", s.table()},
		{"UniqueTokenIdentifier", s.tokenID()},
		{"UserAgent", s.userAgent()},
		{"UserDisplayName", s.user.name},
		{"UserId", s.userID()},
		{"UserPrincipalName", s.user.upn},
	}
}

// dynamicInSigninLogs lists the nested columns whose type is dynamic in SigninLogs.
var dynamicInSigninLogs = map[string]bool{"ConditionalAccessPolicies": true, "DeviceDetail": true, "LocationDetails": true, "Status": true}

// laRecord is a row as an export writes it: JSON columns as strings holding JSON, and, when
// dynamicAsJSON, SigninLogs' dynamic columns as the JSON values themselves.
func (s signIn) laRecord(dynamicAsJSON bool) obj {
	row := s.laRow()
	for i, f := range row {
		raw, ok := f.value.(json.RawMessage)
		if !ok {
			continue
		}
		if !(dynamicAsJSON && s.interactive && dynamicInSigninLogs[f.key]) {
			row[i].value = string(raw)
		}
	}
	return row
}

// properties is the sign-in as diagnostic settings' properties and Graph beta write it.
func (s signIn) properties() obj {
	return obj{
		{"id", s.id()},
		{"createdDateTime", s.time()},
		{"userDisplayName", s.user.name},
		{"userPrincipalName", s.user.upn},
		{"userId", s.userID()},
		{"appId", s.app.id},
		{"appDisplayName", s.app.name},
		{"ipAddress", s.user.ip},
		{"status", s.status()},
		{"clientAppUsed", "Mobile Apps and Desktop clients"},
		{"userAgent", s.userAgent()},
		{"deviceDetail", s.deviceDetail()},
		{"location", s.locationDetails()},
		{"correlationId", s.correlationID()},
		{"appliedConditionalAccessPolicies", s.conditionalAccess()},
		{"isInteractive", s.interactive},
		{"authenticationProcessingDetails", s.processingDetails()},
		{"processingTimeInMilliseconds", 88},
		{"resourceDisplayName", s.resource.name},
		{"resourceId", s.resource.id},
		{"resourceTenantId", contosoTenant},
		{"homeTenantId", s.homeTenant()},
		{"uniqueTokenIdentifier", s.tokenID()},
		{"incomingTokenType", s.tokenType()},
		{"sessionId", s.sessionID()},
	}
}

// diagnosticRecord is the sign-in as diagnostic settings write it.
func (s signIn) diagnosticRecord() obj {
	rec := obj{
		{"time", s.time()},
		{"resourceId", "/tenants/" + contosoTenant + "/providers/Microsoft.aadiam"},
		{"operationName", "Sign-in activity"},
		{"operationVersion", "1.0"},
		{"category", s.category()},
		{"tenantId", contosoTenant},
		{"resultType", fmt.Sprint(s.result)},
		{"resultSignature", s.resultSignature()},
	}
	if s.result != 0 {
		rec = append(rec, field{"resultDescription", s.failure()})
	}
	return append(rec,
		field{"durationMs", 0},
		field{"callerIpAddress", s.user.ip},
		field{"correlationId", s.correlationID()},
		field{"identity", s.user.name},
		field{"Level", 4},
		field{"location", s.user.country},
		field{"properties", s.properties()},
	)
}

// diagnosticLine is a record as a PT1H.json line: the envelope spaced, the properties compact, as
// Azure writes them.
func diagnosticLine(rec obj) []byte {
	var b bytes.Buffer
	b.WriteString("{ ")
	for i, f := range rec {
		if i > 0 {
			b.WriteString(", ")
		}
		b.Write(jsonText(f.key))
		b.WriteString(": ")
		b.Write(jsonText(f.value))
	}
	b.WriteString("}")
	return b.Bytes()
}

func lines(parts [][]byte) []byte {
	return append(bytes.Join(parts, []byte("\n")), '\n')
}

// renderShapes renders the fixture set in every shape, by file name.
func renderShapes() map[string][]byte {
	var la, laJSON, diag, diagLines, graph [][]byte
	var laRows, diagRecords, graphRecords []any
	for _, s := range signIns {
		la = append(la, jsonText(s.laRecord(true)))
		laRows = append(laRows, s.laRecord(false))
		laJSON = append(laJSON, jsonText(s.laRecord(false)))
		rec := s.diagnosticRecord()
		diagRecords = append(diagRecords, rec)
		diag = append(diag, jsonText(rec))
		diagLines = append(diagLines, diagnosticLine(rec))
		graphRecords = append(graphRecords, s.properties())
		graph = append(graph, jsonText(s.properties()))
	}
	files := map[string][]byte{
		// Log Analytics rows, one per line.
		"la.ndjson": lines(la),
		// az monitor log-analytics query -o json: one pretty-printed array.
		"la-array.json": append(prettyJSON(laRows), '\n'),
		"la-query.json": queryResponse(),
		"la-portal.csv": portalCSV(),
		// Storage account blobs: one record per line; older blobs wrap them in {"records":[...]}.
		"diag-PT1H.json":    lines(diagLines),
		"diag-records.json": []byte("{\"records\": [\n" + string(bytes.Join(diag, []byte(",\n"))) + "\n]}\n"),
		// Event Hubs events, one {"records":[...]} batch per line.
		"diag-eventhubs.json": eventHubBatches(diag, 4),
		// Graph beta pages, pretty-printed one after another, and all the sign-ins in one array.
		"graph-pages.json": graphPages(graphRecords, 5),
		"graph-array.json": append(prettyJSON(graphRecords), '\n'),
	}
	for _, name := range sortedNames(files) {
		files[name+".gz"] = gzipBytes(files[name])
		files[name+".zst"] = zstdBytes(files[name])
	}
	return files
}

func eventHubBatches(records [][]byte, size int) []byte {
	var batches [][]byte
	for i := 0; i < len(records); i += size {
		end := min(i+size, len(records))
		batches = append(batches, []byte(`{"records":[`+string(bytes.Join(records[i:end], []byte(",")))+`]}`))
	}
	return lines(batches)
}

func graphPages(records []any, size int) []byte {
	var out []byte
	for i := 0; i < len(records); i += size {
		end := min(i+size, len(records))
		page := obj{{"@odata.context", "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns"}}
		if end < len(records) {
			page = append(page, field{"@odata.nextLink", fmt.Sprintf("https://graph.microsoft.com/beta/auditLogs/signIns?$skiptoken=%d", end)})
		}
		page = append(page, field{"value", records[i:end]})
		out = append(append(out, prettyJSON(page)...), '\n')
	}
	return out
}

// allColumns are the columns of every fixture row, both tables together, sorted.
func allColumns() []string {
	seen := map[string]bool{}
	for _, s := range signIns {
		for _, f := range s.laRow() {
			seen[f.key] = true
		}
	}
	var out []string
	for c := range seen {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// queryResponse is the Log Analytics query API's response to a query over both tables: one
// table of the union's columns; dynamic and JSON-holding values as strings, as the API writes them.
func queryResponse() []byte {
	types := map[string]string{"CreatedDateTime": "datetime", "TimeGenerated": "datetime", "DurationMs": "long", "IsInteractive": "bool"}
	var columns []any
	for _, c := range allColumns() {
		t := types[c]
		if t == "" {
			t = "string"
		}
		if dynamicInSigninLogs[c] {
			t = "dynamic"
		}
		columns = append(columns, obj{{"name", c}, {"type", t}})
	}
	var rows []any
	for _, s := range signIns {
		rec := s.laRecord(false)
		var row []any
		for _, c := range allColumns() {
			var v any
			for _, f := range rec {
				if f.key == c {
					v = f.value
				}
			}
			row = append(row, v)
		}
		rows = append(rows, row)
	}
	return append(jsonText(obj{{"tables", []any{obj{{"name", "PrimaryResult"}, {"columns", columns}, {"rows", rows}}}}}), '\n')
}

// portalCSV is the Log Analytics portal's CSV export of a query over both tables: datetime columns
// headed "Name [UTC]" and written as the portal shows them, every value as text, nulls empty.
func portalCSV() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	cols := allColumns()
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c
		if c == "TimeGenerated" || c == "CreatedDateTime" {
			header[i] = c + " [UTC]"
		}
	}
	_ = w.Write(header)
	for _, s := range signIns {
		rec := s.laRecord(false)
		row := make([]string, len(cols))
		for i, c := range cols {
			for _, f := range rec {
				if f.key != c || f.value == nil {
					continue
				}
				switch v := f.value.(type) {
				case string:
					row[i] = v
					if strings.HasSuffix(header[i], " [UTC]") {
						t, _ := time.Parse(time.RFC3339Nano, v)
						row[i] = t.Format("1/2/2006, 3:04:05.000 PM")
					}
				default:
					row[i] = fmt.Sprint(v)
				}
			}
		}
		_ = w.Write(row)
	}
	w.Flush()
	return b.Bytes()
}

func gzipBytes(data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b) // no name, no time: the same bytes every time
	_, _ = w.Write(data)
	_ = w.Close()
	return b.Bytes()
}

func zstdBytes(data []byte) []byte {
	w, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		panic(err)
	}
	defer w.Close()
	return w.EncodeAll(data, nil)
}

// renderGarbage renders fixtures/garbage: every row of the fixture set, spread over files that
// mix them with each kind of bad input. The rejections they give are listed in
// TestGarbageIsReportedAndTheValidRowsGiveTheSameAlerts.
func renderGarbage() map[string][]byte {
	var rows [][]byte
	for _, s := range signIns {
		rows = append(rows, jsonText(s.laRecord(true)))
	}
	// Copies of sign-ins that would make alerts of their own if they were read. A column of the
	// wrong type is only seen in a column a rule reads: the SigninLogs rule reads IsInteractive.
	wrongType := bytes.Replace(rows[14], []byte(`"IsInteractive":true`), []byte(`"IsInteractive":"maybe"`), 1)
	badTime := bytes.Replace(rows[4], []byte(`"TimeGenerated":"2026-11-20T08:30:00.000Z"`), []byte(`"TimeGenerated":"20/11/2026 08:30"`), 1)
	cut := rows[6][:len(rows[6])/2]
	mixed := [][]byte{
		append([]byte("\ufeff"), rows[0]...), // line 1: a byte order mark
		rows[1],
		cut, // line 3: malformed JSON
		rows[2],
		wrongType, // line 5: a column of the wrong type (an interactive sign-in's IsInteractive)
		rows[3],
		badTime, // line 7: an unparseable TimeGenerated
		rows[4],
		[]byte(""), // line 9: blank
		rows[5],
		[]byte(`"a string, not a record"`), // line 11: not a JSON object
	}
	mixed = append(mixed, rows[6:len(rows)-4]...)
	// A 5 MB line that never closes its string, between two valid rows.
	long := lines([][]byte{rows[len(rows)-4], []byte(`{"UserAgent":"` + strings.Repeat("A", 5<<20)), rows[len(rows)-3]})
	// A complete gzip member, then a second one cut short.
	second := gzipBytes(lines([][]byte{rows[0]}))
	truncated := append(gzipBytes(lines(rows[len(rows)-2:])), second[:len(second)/2]...)
	return map[string][]byte{
		"mixed.ndjson":        []byte(strings.ReplaceAll(string(lines(mixed)), "\n", "\r\n")), // CRLF line ends
		"long-line.ndjson.gz": gzipBytes(long),
		"truncated.ndjson.gz": truncated,
		"empty.ndjson":        {},
	}
}
