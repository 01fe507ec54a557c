// Command gen writes realistic, synthetic rows of the Log Analytics table
// AADNonInteractiveUserSignInLogs as NDJSON, deterministically from a seed, for benchmarks and
// soak tests: the full column set with JSON-typed columns as strings (about 3 KB a row), a mix of
// FOCI and other apps and token types, sessions of several sign-ins, and a few token pivots (a
// first sign-in to a FOCI app followed by a refresh-token sign-in to Azure CLI or Azure
// PowerShell). Rows come out in TimeGenerated order.
//
// Usage:
//
//	gen [-n ROWS] [-seed N] [-start RFC3339] [-span DURATION] [-pivots FRACTION] [-o FILE]
package main

import (
	"bufio"
	"container/heap"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/signin-detect/detect/engine/schema"
)

func main() {
	n := flag.Int("n", 100000, "rows to write")
	seed := flag.Uint64("seed", 1, "random seed: the same seed and flags give the same rows")
	start := flag.String("start", "2026-11-20T00:00:00Z", "TimeGenerated of the first session")
	span := flag.Duration("span", 6*time.Hour, "over how long the sessions start (6h: all of them inside the FOCI rules' lookback)")
	pivots := flag.Float64("pivots", 0.002, "fraction of sessions that are token pivots")
	out := flag.String("o", "-", "output file, - for standard output")
	columns := flag.String("columns", "", "comma-separated columns to write, such as those a rule reads (default: every column;\nthe rows are the same, only narrower)")
	flag.Parse()
	begin, err := time.Parse(time.RFC3339, *start)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gen: -start: %v\n", err)
		os.Exit(1)
	}
	w := io.Writer(os.Stdout)
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintf(os.Stderr, "gen: %v\n", err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	g, err := newGenerator(*seed, begin, *span, *n, *pivots)
	if err == nil && *columns != "" {
		g.columns = map[string]bool{}
		for _, c := range strings.Split(*columns, ",") {
			g.columns[strings.TrimSpace(c)] = true
		}
	}
	if err == nil {
		err = g.write(w, *n)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
}

type app struct{ id, name string }

var (
	// FOCI family clients (public application ids).
	teams      = app{"1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams"}
	office     = app{"d3590ed6-52b3-4102-aeff-aad2292ab01c", "Microsoft Office"}
	outlook    = app{"27922004-5251-4030-b22d-91ecd9a37ea4", "Outlook Mobile"}
	onedrive   = app{"ab9b8c07-8f02-4f72-87fa-80105867a763", "OneDrive SyncEngine"}
	azureCLI   = app{"04b07795-8ddb-461a-bbee-02f9e1bf7b46", "Microsoft Azure CLI"}
	powershell = app{"1950a258-227b-4e31-a9cf-717495945fc2", "Microsoft Azure PowerShell"}
	// Other clients.
	portal   = app{"c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Azure Portal"}
	defender = app{"fc780465-2017-40d4-a0c5-307022471b92", "WindowsDefenderATP"}
	edgeSync = app{"e9c51622-460d-4d3d-952d-966a5b1da34c", "Microsoft Edge"}

	everydayApps = []app{teams, office, outlook, onedrive, portal, defender, edgeSync, teams, outlook}
	pivotTargets = []app{azureCLI, powershell}

	resources = []app{
		{"00000003-0000-0000-c000-000000000000", "Microsoft Graph"},
		{"00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online"},
		{"00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online"},
		{"797f4846-ba00-4fd7-ba43-dac1f8f63013", "Azure Resource Manager"},
	}
	aadGraph = app{"00000002-0000-0000-c000-000000000000", "Windows Azure Active Directory"}

	cities = []struct{ city, state, country string }{
		{"Brussels", "Brussels", "BE"}, {"Amsterdam", "North Holland", "NL"}, {"Seattle", "Washington", "US"},
		{"London", "England", "GB"}, {"Paris", "Ile-de-France", "FR"}, {"Berlin", "Berlin", "DE"},
	}
	failures = []struct{ code, text string }{
		{"50126", "Error validating credentials due to invalid username or password."},
		{"50140", "This error occurred due to 'Keep me signed in' interrupt when the user was signing in."},
		{"70044", "The session has expired or is invalid due to sign-in frequency checks by conditional access."},
	}
)

const tenant = "15511bbb-5c4f-48af-9aa8-18fc0dd983d8"

type generator struct {
	table   *schema.Table
	rng     *rand.Rand
	now     time.Time
	step    time.Duration // between session starts
	pivots  float64
	users   int
	pending eventQueue
	written int
	// columns, when set, are the only columns written.
	columns map[string]bool
}

func newGenerator(seed uint64, begin time.Time, span time.Duration, rows int, pivots float64) (*generator, error) {
	table, err := schema.Lookup("AADNonInteractiveUserSignInLogs")
	if err != nil {
		return nil, err
	}
	sessions := rows/5 + 1 // sessions hold five sign-ins on average
	return &generator{
		table:  table,
		rng:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		now:    begin,
		step:   span / time.Duration(sessions),
		pivots: pivots,
		users:  rows/200 + 10,
	}, nil
}

// event is a sign-in waiting for its time to be written.
type event struct {
	at  time.Time
	row map[string]any
	seq int // keeps equal times in the order they were made
}

type eventQueue []event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].at.Equal(q[j].at) {
		return q[i].seq < q[j].seq
	}
	return q[i].at.Before(q[j].at)
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// write makes sessions one after another and writes their sign-ins in time order: a sign-in is
// written once no session still to come can start before it.
func (g *generator) write(w io.Writer, rows int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	seq := 0
	for g.written < rows {
		for _, e := range g.session() {
			e.seq = seq
			seq++
			heap.Push(&g.pending, e)
		}
		g.now = g.now.Add(g.step)
		for g.pending.Len() > 0 && g.pending[0].at.Before(g.now) && g.written < rows {
			if err := g.writeRow(bw, heap.Pop(&g.pending).(event).row); err != nil {
				return err
			}
			g.written++
		}
	}
	return bw.Flush()
}

func (g *generator) writeRow(w *bufio.Writer, row map[string]any) error {
	line, err := marshalRow(row, g.table, g.columns)
	if err != nil {
		return err
	}
	_, err = w.Write(line)
	return err
}

// session makes the sign-ins of one session: a first sign-in that presents no token, then
// refresh-token sign-ins over the next hours; some sessions are token pivots.
func (g *generator) session() []event {
	user := g.rng.IntN(g.users)
	sessionID := g.uuid()
	device := g.device(user)
	city := cities[user%len(cities)]
	ip := fmt.Sprintf("203.0.%d.%d", 113+user%3, 1+user%250)
	first := everydayApps[g.rng.IntN(len(everydayApps))]
	at := g.now.Add(time.Duration(g.rng.Int64N(int64(g.step) + 1)))
	events := []event{{at: at, row: g.signin(user, sessionID, device, city, ip, first, resources[g.rng.IntN(len(resources))], "none", at)}}
	if g.rng.Float64() < g.pivots {
		target := pivotTargets[g.rng.IntN(len(pivotTargets))]
		later := at.Add(time.Duration(1+g.rng.IntN(60)) * time.Minute)
		events = append(events, event{at: later, row: g.signin(user, sessionID, g.device(user+1), city, "198.51.100.7", target, aadGraph, "refreshToken", later)})
	}
	for i := 1 + g.rng.IntN(7); i > 0; i-- {
		at = at.Add(time.Duration(1+g.rng.IntN(40)) * time.Minute)
		a := first
		if g.rng.IntN(3) == 0 {
			a = everydayApps[g.rng.IntN(len(everydayApps))]
		}
		token := "refreshToken"
		if g.rng.IntN(10) == 0 {
			token = "primaryRefreshToken"
		}
		events = append(events, event{at: at, row: g.signin(user, sessionID, device, city, ip, a, resources[g.rng.IntN(len(resources))], token, at)})
	}
	return events
}

func (g *generator) uuid() string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = byte(g.rng.UintN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func (g *generator) device(user int) string {
	compliant := user%4 != 0
	return compact(map[string]any{
		"deviceId": fmt.Sprintf("%08x-1b7c-4c55-9a1e-%012x", user, user), "displayName": fmt.Sprintf("CONTOSO-LT-%04d", user%10000),
		"operatingSystem": "Windows10", "browser": "Rich Client 5.2.0.0", "isCompliant": compliant, "isManaged": compliant,
		"trustType": "Azure AD joined",
	})
}

func compact(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// signin makes one row with the table's full column set.
func (g *generator) signin(user int, sessionID, device string, city struct{ city, state, country string }, ip string, a, resource app, token string, at time.Time) map[string]any {
	result, description := "0", ""
	if g.rng.IntN(25) == 0 {
		f := failures[g.rng.IntN(len(failures))]
		result, description = f.code, f.text
	}
	upn := fmt.Sprintf("user%05d@contoso.example", user)
	scopes := `[\"User.Read\",\"Mail.ReadWrite\",\"Files.ReadWrite.All\",\"Calendars.ReadWrite\"]`
	if resource == aadGraph {
		scopes = `[\"user_impersonation\"]`
	}
	stamp := at.UTC().Format("2006-01-02T15:04:05.0000000Z")
	id := g.uuid()
	return map[string]any{
		"TenantId": tenant, "AADTenantId": tenant, "ClientSessionId": "", "SourceSystem": "Azure AD", "TimeGenerated": stamp,
		"OperationName": "Sign-in activity", "OperationVersion": "1.0", "Category": "NonInteractiveUserSignInLogs",
		"ResultType": result, "ResultSignature": map[bool]string{true: "SUCCESS", false: "FAILURE"}[result == "0"], "ResultDescription": description,
		"DurationMs": 0, "CorrelationId": g.uuid(), "ResourceGroup": "", "Identity": fmt.Sprintf("User %05d", user), "Level": "4",
		"Location": city.country, "AlternateSignInName": upn, "AppDisplayName": a.name, "AppId": a.id,
		"AppOwnerTenantId": "f8cdef31-a31e-4b4a-93e4-5f571e91255a", "AppliedEventListeners": "[]",
		"AuthenticationContextClassReferences": "[]",
		"AuthenticationDetails":                `[{"authenticationStepDateTime":"` + stamp + `","authenticationMethod":"Previously satisfied","succeeded":true,"authenticationStepResultDetail":"First factor requirement satisfied by claim in the token","authenticationStepRequirement":"Primary authentication","StatusSequence":0,"RequestSequence":0}]`,
		"AuthenticationMethodsUsed":            "[]",
		"AuthenticationProcessingDetails":      `[{"key":"Legacy TLS (TLS 1.0, 1.1, 3DES)","value":"False"},{"key":"Oauth Scope Info","value":"` + scopes + `"},{"key":"Is CAE Token","value":"False"}]`,
		"AuthenticationProtocol":               "none", "AuthenticationRequirement": "singleFactorAuthentication",
		"AuthenticationRequirementPolicies": `[{"requirementProvider":"multiConditionalAccess","detail":"Conditional Access"}]`,
		"AutonomousSystemNumber":            "64496", "ClientAppUsed": "Mobile Apps and Desktop clients", "ClientCredentialType": "none",
		"ConditionalAccessAudiences": `[{"applicationId":"` + resource.id + `","audienceReasons":"none"}]`,
		"ConditionalAccessPolicies":  conditionalAccess,
		"ConditionalAccessStatus":    "notApplied", "CreatedDateTime": stamp, "CrossTenantAccessType": "none", "DeviceDetail": device,
		"FederatedCredentialId": "", "HomeTenantId": tenant, "HomeTenantName": "", "IPAddress": ip, "Id": id,
		"IncomingTokenType": token, "IsInteractive": false, "IsRisky": false, "IsTenantRestricted": false,
		"IsThroughGlobalSecureAccess": false, "GlobalSecureAccessIpAddress": "",
		"LocationDetails": compact(map[string]any{"city": city.city, "state": city.state, "countryOrRegion": city.country,
			"geoCoordinates": map[string]any{"latitude": 50.8465, "longitude": 4.3517}}),
		"MfaDetail": "{}", "NetworkLocationDetails": "[]", "OriginalRequestId": id, "OriginalTransferMethod": "none",
		"ProcessingTimeInMs": fmt.Sprint(40 + g.rng.IntN(200)), "ResourceDisplayName": resource.name, "ResourceIdentity": resource.id,
		"ResourceOwnerTenantId": "f8cdef31-a31e-4b4a-93e4-5f571e91255a", "ResourceServicePrincipalId": g.uuid(),
		"ResourceTenantId": tenant, "RiskDetail": "none", "RiskEventTypes": "[]", "RiskEventTypes_V2": "[]",
		"RiskLevelAggregated": "none", "RiskLevelDuringSignIn": "none", "RiskState": "none", "ServicePrincipalId": "",
		"SessionId": sessionID, "SessionLifetimePolicies": "[]", "SignInEventTypes": `["nonInteractiveUser"]`,
		"SignInIdentifierType": "", "Status": `{"errorCode":` + result + `}`, "TokenIssuerName": "", "TokenIssuerType": "AzureAD",
		"TokenProtectionStatusDetails": `{"signInSessionStatus":"unbound","signInSessionStatusCode":1002}`,
		"UniqueTokenIdentifier":        strings.ReplaceAll(g.uuid(), "-", "")[:22], "UserAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
		"UserDisplayName": fmt.Sprintf("User %05d", user), "UserId": fmt.Sprintf("%08x-e8f1-4793-85fc-%012x", user, user),
		"UserPrincipalName": upn, "UserType": "Member", "Agent": "", "AuthenticatorAppLocation": "", "_BilledSize": 3120.0,
		"_IsBillable": "True", "Type": "AADNonInteractiveUserSignInLogs",
	}
}

// conditionalAccess is the ConditionalAccessPolicies text of every row.
var conditionalAccess = compact([]map[string]any{
	{"id": "ccb90f89-cdaf-4ae6-9dd1-a9ee6ea86a90", "displayName": "Require MFA for administrators", "enforcedGrantControls": []string{"Mfa"}, "enforcedSessionControls": []string{}, "result": "notApplied", "conditionsSatisfied": 0, "conditionsNotSatisfied": 0},
})

// marshalRow writes a row's columns (those of only, when set) in the table's order, as exports do.
func marshalRow(row map[string]any, table *schema.Table, only map[string]bool) ([]byte, error) {
	b := []byte{'{'}
	for _, col := range table.Columns {
		value, ok := row[col.Name]
		if !ok {
			return nil, fmt.Errorf("the generator makes no value for column %s", col.Name)
		}
		if only != nil && !only[col.Name] {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		key, _ := json.Marshal(col.Name)
		text, err := json.Marshal(value)
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, key...), ':'), text...)
	}
	return append(b, '}', '\n'), nil
}
