package main

// This file renders fixtures/audit/: one set of Entra ID audit events (AuditLogs) in every shape
// they are exported in, as fixtures_render_test.go does for sign-ins: each shape written from the
// events directly, as the exporter writes it, not through the engine's mappings.

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

const auditTable = "AuditLogs"

// initiator is who did an audited activity: a user, or an app (a service principal).
type initiator struct {
	user    *user
	appName string
}

func (i initiator) value() obj {
	if i.user != nil {
		return obj{{"user", obj{{"id", guid("user " + i.user.upn)}, {"displayName", i.user.name},
			{"userPrincipalName", i.user.upn}, {"ipAddress", i.user.ip}, {"roles", []string{}}}}}
	}
	return obj{{"app", obj{{"appId", guid("app " + i.appName)}, {"displayName", i.appName},
		{"servicePrincipalId", guid("sp " + i.appName)}, {"servicePrincipalName", i.appName}}}}
}

// identity is what Log Analytics and diagnostic settings write in Identity: the initiator's name.
func (i initiator) identity() string {
	if i.user != nil {
		return i.user.name
	}
	return i.appName
}

// auditEvent is one audited activity of the fixture set, on 2026-11-20 at a millisecond time.
type auditEvent struct {
	key                         string
	at                          string
	activity, category, service string
	operationType, result       string
	resultReason                string
	by                          initiator
	targets                     []obj
	details                     []obj
}

func (e auditEvent) time() string { return "2026-11-20T" + e.at + "Z" }

func (e auditEvent) correlationID() string { return guid("audit correlation " + e.key) }

// The audit record's id: Directory_ followed by the correlation and an activity id, as Entra writes it.
func (e auditEvent) id() string {
	return "Directory_" + guid("audit "+e.key) + "_" + strings.ToUpper(e.key)
}

func (e auditEvent) targetResources() json.RawMessage {
	if e.targets == nil {
		return jsonText([]obj{})
	}
	return jsonText(e.targets)
}

func (e auditEvent) additionalDetails() json.RawMessage {
	if e.details == nil {
		return jsonText([]obj{})
	}
	return jsonText(e.details)
}

// modified is a target's modified property, its values as the JSON text Entra writes (or null).
func modified(name string, oldValue, newValue any) obj {
	text := func(v any) any {
		if v == nil {
			return nil
		}
		return string(jsonText(v))
	}
	return obj{{"displayName", name}, {"oldValue", text(oldValue)}, {"newValue", text(newValue)}}
}

func userTarget(u user, props ...obj) obj {
	if props == nil {
		props = []obj{}
	}
	return obj{{"id", guid("user " + u.upn)}, {"displayName", nil}, {"type", "User"}, {"userPrincipalName", u.upn},
		{"groupType", nil}, {"modifiedProperties", props}, {"administrativeUnits", []string{}}}
}

func namedTarget(kind, name string, props ...obj) obj {
	if props == nil {
		props = []obj{}
	}
	return obj{{"id", guid(kind + " " + name)}, {"displayName", name}, {"type", kind}, {"userPrincipalName", nil},
		{"groupType", nil}, {"modifiedProperties", props}, {"administrativeUnits", []string{}}}
}

func roleAssigned(role string) []obj {
	return []obj{modified("Role.DisplayName", nil, role), modified("Role.TemplateId", nil, guid("role template "+role))}
}

// caPolicy is a conditional access policy as the audit log writes it in a modified property.
func caPolicy(name, state string) obj {
	return obj{{"id", guid("policy " + name)}, {"displayName", name}, {"createdDateTime", "2026-03-02T10:00:00.0000000Z"},
		{"state", state}, {"conditions", obj{{"applications", obj{{"includeApplications", []string{"All"}}}},
			{"users", obj{{"includeUsers", []string{"All"}}, {"excludeGroups", []string{guid("group break-glass")}}}}}},
		{"grantControls", obj{{"operator", "OR"}, {"builtInControls", []string{"mfa"}}}}}
}

func caChange(name, oldState, newState string) []obj {
	var oldValue, newValue any
	if oldState != "" {
		oldValue = caPolicy(name, oldState)
	}
	if newState != "" {
		newValue = caPolicy(name, newState)
	}
	return []obj{namedTarget("Policy", name, modified("ConditionalAccessPolicy", oldValue, newValue))}
}

var (
	msPIM        = initiator{appName: "MS-PIM"}
	msPIMFairfax = initiator{appName: "MS-PIM-Fairfax"}
	provisioning = initiator{appName: "Contoso Provisioning"}
	byAna        = initiator{user: &ana}
	byDmitri     = initiator{user: &dmitri}
	byElif       = initiator{user: &elif}
	byFarid      = initiator{user: &farid}
	byGina       = initiator{user: &gina}
	byHugo       = initiator{user: &hugo}
)

const mfaPolicy = "CA001 - Require MFA for all users"

// auditEvents are the fixture set; fixtures/audit/README.md says what each exercises.
var auditEvents = []auditEvent{
	{key: "ra1", at: "08:00:00.000", activity: "Add member to role", category: "RoleManagement", service: "Core Directory", operationType: "Assign", result: "success", by: byAna,
		targets: []obj{userTarget(bruno, roleAssigned("Global Administrator")...), namedTarget("Role", "Global Administrator")}},
	{key: "ra2", at: "08:10:00.000", activity: "Add member to role", category: "RoleManagement", service: "Core Directory", operationType: "Assign", result: "success", by: msPIM,
		targets: []obj{userTarget(clara, roleAssigned("Privileged Role Administrator")...), namedTarget("Role", "Privileged Role Administrator")}},
	{key: "ra3", at: "08:20:00.000", activity: "Add member to role outside of PIM (permanent)", category: "RoleManagement", service: "PIM", operationType: "Assign", result: "success", by: byHugo,
		targets: []obj{namedTarget("Role", "Security Administrator"), userTarget(dmitri)}},
	{key: "ra4", at: "08:30:00.000", activity: "Add member to role", category: "RoleManagement", service: "Core Directory", operationType: "Assign", result: "success", by: byAna,
		targets: []obj{namedTarget("ServicePrincipal", "Contoso Backup Agent", roleAssigned("Application Administrator")...), namedTarget("Role", "Application Administrator")}},
	{key: "ra5", at: "08:40:00.000", activity: "Add eligible member to role in PIM completed (permanent)", category: "RoleManagement", service: "PIM", operationType: "Assign", result: "success", by: byAna,
		targets: []obj{namedTarget("Role", "User Administrator"), userTarget(farid)}},
	{key: "ra6", at: "08:50:00.000", activity: "Add member to role", category: "RoleManagement", service: "Core Directory", operationType: "Assign", result: "success", by: msPIMFairfax,
		targets: []obj{userTarget(gina, roleAssigned("Exchange Administrator")...), namedTarget("Role", "Exchange Administrator")}},
	{key: "gm1", at: "09:00:00.000", activity: "Add member to group", category: "GroupManagement", service: "Core Directory", operationType: "Assign", result: "success", by: byAna,
		targets: []obj{userTarget(gina), namedTarget("Group", "Finance Approvers")}},
	{key: "sp1", at: "09:15:00.000", activity: "Update application – Certificates and secrets management ", category: "ApplicationManagement", service: "Core Directory", operationType: "Update", result: "success", by: byDmitri,
		targets: []obj{namedTarget("Application", "Contoso Payroll Sync", modified("KeyDescription",
			[]string{"[KeyIdentifier=" + guid("key 1") + ",KeyType=Password,KeyUsage=Verify,DisplayName=prod]"},
			[]string{"[KeyIdentifier=" + guid("key 1") + ",KeyType=Password,KeyUsage=Verify,DisplayName=prod]", "[KeyIdentifier=" + guid("key 2") + ",KeyType=Password,KeyUsage=Verify,DisplayName=backup]"}))},
		details: []obj{{{"key", "User-Agent"}, {"value", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"}}, {{"key", "AppId"}, {"value", guid("app Contoso Payroll Sync")}}}},
	{key: "sp2", at: "09:20:00.000", activity: "Add service principal credentials", category: "ApplicationManagement", service: "Core Directory", operationType: "Update", result: "success", by: provisioning,
		targets: []obj{namedTarget("ServicePrincipal", "Contoso Payroll Sync", modified("KeyDescription", []string{}, []string{"[KeyIdentifier=" + guid("key 3") + ",KeyType=AsymmetricX509Cert,KeyUsage=Verify,DisplayName=CN=payroll]"}))}},
	{key: "cs1", at: "09:30:00.000", activity: "Consent to application", category: "ApplicationManagement", service: "Core Directory", operationType: "Assign", result: "success", by: byElif,
		targets: []obj{namedTarget("ServicePrincipal", "Mail Archiver Pro", modified("ConsentContext.IsAdminConsent", nil, "True"), modified("ConsentAction.Permissions", nil, "Scope: Mail.Read offline_access"))},
		details: []obj{{{"key", "User-Agent"}, {"value", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15"}}}},
	{key: "ca6", at: "11:55:00.000", activity: "Update conditional access policy", category: "Policy", service: "Core Directory", operationType: "Update", result: "success", by: byHugo, targets: caChange("CA004 - Block legacy authentication", "enabled", "disabled")},
	{key: "ca5", at: "11:50:00.000", activity: "Delete conditional access policy", category: "Policy", service: "Core Directory", operationType: "Delete", result: "success", by: byHugo, targets: caChange("CA005 - Require compliant device for admins", "enabled", "")},
	{key: "ca1", at: "11:56:00.000", activity: "Update conditional access policy", category: "Policy", service: "Core Directory", operationType: "Update", result: "success", by: byFarid, targets: caChange(mfaPolicy, "enabled", "disabled")},
	{key: "ca2", at: "11:57:00.000", activity: "Update conditional access policy", category: "Policy", service: "Core Directory", operationType: "Update", result: "success", by: byFarid, targets: caChange("CA002 - Block risky sign-ins", "enabled", "enabledForReportingButNotEnforced")},
	{key: "ca3", at: "11:58:00.000", activity: "Update conditional access policy", category: "Policy", service: "Core Directory", operationType: "Update", result: "success", by: byFarid, targets: caChange("CA003 - Require MFA for Azure management", "disabled", "enabled")},
	{key: "ca7", at: "11:58:30.000", activity: "Delete conditional access policy", category: "Policy", service: "Core Directory", operationType: "Delete", result: "failure", resultReason: "Insufficient privileges", by: byAna, targets: caChange("CA006 - Require MFA for guests", "enabled", "")},
	{key: "ca4", at: "11:59:00.000", activity: "Delete conditional access policy", category: "Policy", service: "Core Directory", operationType: "Delete", result: "success", by: byGina, targets: caChange("CA002 - Block risky sign-ins", "enabledForReportingButNotEnforced", "")},
	{key: "ca8", at: "11:59:30.000", activity: "Add conditional access policy", category: "Policy", service: "Core Directory", operationType: "Add", result: "success", by: byGina, targets: caChange("CA007 - Block unknown platforms", "", "enabledForReportingButNotEnforced")},
}

// auditResourceID is the tenant's resource id, which diagnostic settings and Log Analytics write.
var auditResourceID = "/tenants/" + contosoTenant + "/providers/Microsoft.aadiam"

// laRow is the event as a Log Analytics row, its columns in alphabetical order, dynamic values as
// json.RawMessage.
func (e auditEvent) laRow() obj {
	return obj{
		{"AADOperationType", e.operationType},
		{"AADTenantId", contosoTenant},
		{"ActivityDateTime", e.time()},
		{"ActivityDisplayName", e.activity},
		{"AdditionalDetails", e.additionalDetails()},
		{"Category", e.category},
		{"CorrelationId", e.correlationID()},
		{"DurationMs", 0},
		{"Id", e.id()},
		{"Identity", e.by.identity()},
		{"InitiatedBy", json.RawMessage(jsonText(e.by.value()))},
		{"Level", "4"},
		{"LoggedByService", e.service},
		{"OperationName", e.activity},
		{"OperationVersion", "1.0"},
		{"ResourceId", auditResourceID},
		{"Result", e.result},
		{"ResultReason", e.resultReason},
		{"ResultSignature", "None"},
		{"TargetResources", e.targetResources()},
		{"TimeGenerated", e.time()},
		{"Type", auditTable},
	}
}

// laRecord is a row as an export writes it: dynamic values as JSON (NDJSON) or as strings holding
// JSON (the az CLI's array, the query API, the portal's CSV).
func (e auditEvent) laRecord(dynamicAsJSON bool) obj {
	row := e.laRow()
	if !dynamicAsJSON {
		for i, f := range row {
			if raw, ok := f.value.(json.RawMessage); ok {
				row[i].value = string(raw)
			}
		}
	}
	return row
}

// properties is the event as diagnostic settings' properties and Graph's directoryAudit write it.
func (e auditEvent) properties() obj {
	return obj{
		{"id", e.id()},
		{"category", e.category},
		{"correlationId", e.correlationID()},
		{"result", e.result},
		{"resultReason", e.resultReason},
		{"activityDisplayName", e.activity},
		{"activityDateTime", e.time()},
		{"loggedByService", e.service},
		{"operationType", e.operationType},
		{"initiatedBy", e.by.value()},
		{"targetResources", e.targetResources()},
		{"additionalDetails", e.additionalDetails()},
	}
}

func (e auditEvent) diagnosticRecord() obj {
	return obj{
		{"time", e.time()},
		{"resourceId", auditResourceID},
		{"operationName", e.activity},
		{"operationVersion", "1.0"},
		{"category", "AuditLogs"},
		{"tenantId", contosoTenant},
		{"resultSignature", "None"},
		{"durationMs", 0},
		{"callerIpAddress", "<null>"},
		{"correlationId", e.correlationID()},
		{"identity", e.by.identity()},
		{"Level", 4},
		{"properties", e.properties()},
	}
}

// auditColumnsGraphLacks are the columns diagnostic settings and Log Analytics fill from the
// envelope, which a Graph directoryAudit does not carry.
var auditColumnsGraphLacks = []string{"AADTenantId", "DurationMs", "Level", "OperationVersion", "ResourceId", "ResultSignature"}

// renderAudit renders fixtures/audit: the audit events in every shape, by file name.
func renderAudit() map[string][]byte {
	var la, diag, diagLines [][]byte
	var laRows, diagRecords, graphRecords []any
	for _, e := range auditEvents {
		la = append(la, jsonText(e.laRecord(true)))
		laRows = append(laRows, e.laRecord(false))
		rec := e.diagnosticRecord()
		diagRecords = append(diagRecords, rec)
		diag = append(diag, jsonText(rec))
		diagLines = append(diagLines, diagnosticLine(rec))
		graphRecords = append(graphRecords, e.properties())
	}
	files := map[string][]byte{
		"la.ndjson":             lines(la),
		"la-array.json":         append(prettyJSON(laRows), '\n'),
		"la-query.json":         auditQueryResponse(),
		"la-portal.csv":         auditPortalCSV(),
		"diag-PT1H.json":        lines(diagLines),
		"diag-records.json":     []byte("{\"records\": [\n" + string(bytes.Join(diag, []byte(",\n"))) + "\n]}\n"),
		"diag-eventhubs.json":   eventHubBatches(diag, 4),
		"graph-pages.json":      auditGraphPages(graphRecords, 5, "v1.0"),
		"graph-beta-pages.json": auditGraphPages(graphRecords, 7, "beta"),
		"graph-array.json":      append(prettyJSON(graphRecords), '\n'),
	}
	for _, name := range sortedNames(files) {
		files[name+".gz"] = gzipBytes(files[name])
		files[name+".zst"] = zstdBytes(files[name])
	}
	return files
}

func auditGraphPages(records []any, size int, version string) []byte {
	var out []byte
	for i := 0; i < len(records); i += size {
		end := min(i+size, len(records))
		page := obj{{"@odata.context", "https://graph.microsoft.com/" + version + "/$metadata#auditLogs/directoryAudits"}}
		if end < len(records) {
			page = append(page, field{"@odata.nextLink", fmt.Sprintf("https://graph.microsoft.com/%s/auditLogs/directoryAudits?$skiptoken=%d", version, end)})
		}
		page = append(page, field{"value", records[i:end]})
		out = append(append(out, prettyJSON(page)...), '\n')
	}
	return out
}

func auditColumns() []string {
	var out []string
	for _, f := range auditEvents[0].laRow() {
		out = append(out, f.key)
	}
	sort.Strings(out)
	return out
}

var auditTypes = map[string]string{"ActivityDateTime": "datetime", "TimeGenerated": "datetime", "DurationMs": "long",
	"AdditionalDetails": "dynamic", "InitiatedBy": "dynamic", "TargetResources": "dynamic"}

func auditQueryResponse() []byte {
	var columns []any
	for _, c := range auditColumns() {
		t := auditTypes[c]
		if t == "" {
			t = "string"
		}
		columns = append(columns, obj{{"name", c}, {"type", t}})
	}
	var rows []any
	for _, e := range auditEvents {
		var row []any
		for _, f := range e.laRecord(false) {
			row = append(row, f.value)
		}
		rows = append(rows, row)
	}
	return append(jsonText(obj{{"tables", []any{obj{{"name", "PrimaryResult"}, {"columns", columns}, {"rows", rows}}}}}), '\n')
}

func auditPortalCSV() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	cols := auditColumns()
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c
		if auditTypes[c] == "datetime" {
			header[i] = c + " [UTC]"
		}
	}
	_ = w.Write(header)
	for _, e := range auditEvents {
		row := make([]string, len(cols))
		for i, f := range e.laRecord(false) {
			switch v := f.value.(type) {
			case string:
				row[i] = v
				if auditTypes[f.key] == "datetime" {
					t, _ := time.Parse(time.RFC3339Nano, v)
					row[i] = t.Format("1/2/2006, 3:04:05.000 PM")
				}
			default:
				row[i] = fmt.Sprint(v)
			}
		}
		_ = w.Write(row)
	}
	w.Flush()
	return b.Bytes()
}
