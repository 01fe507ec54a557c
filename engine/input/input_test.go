package input

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"maps"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/klauspost/compress/zstd"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/schema"
)

// collected is what a Read gave: rows per table, other tables' records, rejections.
type collected struct {
	rows     map[string][]record.Row
	other    map[string]int
	rejected []Rejection
	filtered []filteredRecord
}

// filteredRecord is what the sink is told of a record a filter dropped: its time, when dated.
type filteredRecord struct {
	at    time.Time
	dated bool
}

func (c *collected) Row(table string, row record.Row) { c.rows[table] = append(c.rows[table], row) }
func (c *collected) Other(table string)               { c.other[table]++ }
func (c *collected) Reject(r Rejection)               { c.rejected = append(c.rejected, r) }
func (c *collected) Filtered(_ string, at time.Time, dated bool) {
	c.filtered = append(c.filtered, filteredRecord{at, dated})
}

func (c *collected) rejections() string {
	var lines []string
	for _, r := range c.rejected {
		lines = append(lines, r.String())
	}
	return strings.Join(lines, "\n")
}

func wants(t testing.TB, tables ...string) []Want {
	t.Helper()
	var out []Want
	for _, name := range tables {
		table, err := schema.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Want{Table: table})
	}
	return out
}

const nonInteractive, interactive = "AADNonInteractiveUserSignInLogs", "SigninLogs"

// read reads data as the file name with format, wanting the tables (every column of each). It
// reads data twice, as a file read at offsets (a bytes.Reader: see readLinesAt) and as a stream
// (see cutBatches), and fails the test when the two give anything different.
func read(t testing.TB, name string, data []byte, format Format, tables ...string) *collected {
	t.Helper()
	at := readFrom(t, name, bytes.NewReader(data), format, tables...)
	streamed := readFrom(t, name, onlyReader{bytes.NewReader(data)}, format, tables...)
	if a, s := at.dump(), streamed.dump(); a != s {
		t.Errorf("%s read at offsets and streamed differ:\n%s\nstreamed:\n%s", name, a, s)
	}
	return at
}

func readFrom(t testing.TB, name string, in io.Reader, format Format, tables ...string) *collected {
	t.Helper()
	r, err := NewReader(wants(t, tables...), format)
	if err != nil {
		t.Fatal(err)
	}
	c := &collected{rows: map[string][]record.Row{}, other: map[string]int{}}
	r.Read(name, in, c)
	return c
}

// onlyReader hides all but Read, as a pipe would.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// dump tells everything c holds, to show where two reads differ.
func (c *collected) dump() string {
	var out strings.Builder
	for _, table := range slices.Sorted(maps.Keys(c.rows)) {
		for _, row := range c.rows[table] {
			fmt.Fprintf(&out, "%s %v %v\n", table, row.Sources, row.Map())
		}
	}
	fmt.Fprintf(&out, "other %v\nfiltered %v\nrejected:\n%s\n", c.other, c.filtered, c.rejections())
	return out.String()
}

func TestBadLinesAreReportedAndTheRestIsRead(t *testing.T) {
	text := "\ufeff" + `{"TimeGenerated":"2026-11-20T09:00:00.1234567Z","AppId":"a","ResultType":"0"}` + "\r\n" +
		`{"TimeGenerated":"2026-11-20T09:00:01Z","AppId":"b"` + "\n" + // truncated: malformed
		"\n" + // blank: skipped
		`["not", "an", "object"]` + "\n" +
		`{"TimeGenerated":"yesterday","AppId":"c"}` + "\n" +
		`{"TimeGenerated":"2026-11-20T09:00:02+02:00","AppId":"d","DurationMs":"12","IsInteractive":"False","ResultType":50126}` + "\n" +
		`{"TimeGenerated":"2026-11-20T09:00:03Z","DurationMs":"twelve"}` + "\n" +
		`{"TimeGenerated":"2026-11-20T09:00:04Z","AppId":null,"IncomingTokenType":null}` + "\n" +
		`{"AppId":"e"} {"AppId":"f"} trailing` + "\n" +
		`{"AppId": tru}` + "\n" +
		"\f\n" + // not JSON's white space: malformed
		"  " + `{"AppId":"g"}` + "\t\r\n" // JSON's white space around a record
	c := read(t, "in.ndjson", []byte(text), FormatAuto, nonInteractive)
	want := []string{
		`in.ndjson:2: malformed JSON: the line ends inside a JSON value`,
		`in.ndjson:4#1: not a JSON object: "\"not\""`,
		`in.ndjson:4#2: not a JSON object: "\"an\""`,
		`in.ndjson:4#3: not a JSON object: "\"object\""`,
		`in.ndjson:5: wrong type: TimeGenerated: not an ISO 8601 datetime: "yesterday"`,
		`in.ndjson:7: wrong type: DurationMs: want a whole number, got "twelve"`,
		`in.ndjson:9: malformed JSON: invalid character 'a' in literal true (expecting 'u'): "trailing"`,
		`in.ndjson:10: malformed JSON: invalid character '}' in literal true (expecting 'e'): "{\"AppId\": tru}"`,
		`in.ndjson:11: malformed JSON: invalid character '\f' looking for beginning of value: "\f"`,
	}
	if got := c.rejections(); got != strings.Join(want, "\n") {
		t.Errorf("rejections:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	rows := c.rows[nonInteractive]
	if len(rows) != 6 {
		t.Fatalf("want 6 rows, got %d", len(rows))
	}
	if rows[5].Get("AppId") != "g" || rows[5].Sources[0].Line != 12 {
		t.Errorf("the record between spaces on line 12: %v", rows[5].Get("AppId"))
	}
	first, converted, nulls := rows[0].Map(), rows[1].Map(), rows[2].Map()
	if first["AppId"] != "a" || rows[0].Sources[0].Line != 1 || first["TimeGenerated"] != time.Date(2026, 11, 20, 9, 0, 0, 123456700, time.UTC) {
		t.Errorf("first row (after a BOM, CRLF): %v %v", first["AppId"], first["TimeGenerated"])
	}
	if converted["DurationMs"] != int64(12) || converted["IsInteractive"] != false || converted["ResultType"] != "50126" ||
		converted["TimeGenerated"] != time.Date(2026, 11, 20, 7, 0, 2, 0, time.UTC) || rows[1].Sources[0].Line != 6 {
		t.Errorf("conversions: %v", converted)
	}
	// KQL strings are never null: a null or missing string column is "".
	if nulls["AppId"] != "" || nulls["IncomingTokenType"] != "" || nulls["SessionId"] != "" || nulls["DurationMs"] != nil {
		t.Errorf("null and missing columns: %#v %#v %#v %#v", nulls["AppId"], nulls["IncomingTokenType"], nulls["SessionId"], nulls["DurationMs"])
	}
	// Two records on one line are both read, then the garbage after them is reported.
	if rows[3].Get("AppId") != "e" || rows[4].Get("AppId") != "f" || rows[4].Sources[0].Line != 9 {
		t.Errorf("two records on line 9: %v %v", rows[3].Get("AppId"), rows[4].Get("AppId"))
	}
}

func TestReaderKeepsOnlyTheWantedColumns(t *testing.T) {
	table, _ := schema.Lookup(nonInteractive)
	r, err := NewReader([]Want{{Table: table, Columns: []string{"AppId", "DeviceDetail"}}}, FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	c := &collected{rows: map[string][]record.Row{}, other: map[string]int{}}
	r.Read("in.ndjson", strings.NewReader(`{"AppId":"a","SessionId":"s","DeviceDetail":{"isCompliant":true, "os": "Windows"}}`), c)
	row := c.rows[nonInteractive][0].Map()
	if len(row) != 2 || row["DeviceDetail"] != `{"isCompliant":true,"os":"Windows"}` {
		t.Errorf("values %v", row)
	}
}

func TestAFiveMegabyteLineIsRead(t *testing.T) {
	long := `{"AppId":"a","UserAgent":"` + strings.Repeat("x", 5<<20) + `"}` + "\n" + `{"AppId":"b"}`
	c := read(t, "in.ndjson", []byte(long), FormatAuto, nonInteractive)
	rows := c.rows[nonInteractive]
	if len(rows) != 2 || len(c.rejected) != 0 || len(rows[0].Get("UserAgent").(string)) != 5<<20 || rows[1].Sources[0].Line != 2 {
		t.Errorf("rows %d, rejected %v", len(rows), c.rejected)
	}
}

// One sign-in as a Log Analytics row, a diagnostic settings record and a Graph sign-in. The
// nested values of the last two must become exactly the text the Log Analytics columns hold, key
// order kept, so that extract() over AuthenticationProcessingDetails finds the same scopes.
const (
	laRow = `{"TimeGenerated":"2026-11-20T09:05:00.25Z","Type":"AADNonInteractiveUserSignInLogs","UserPrincipalName":"ana@contoso.example",` +
		`"AppId":"04b07795-8ddb-461a-bbee-02f9e1bf7b46","IncomingTokenType":"refreshToken","ResultType":"0","ResultDescription":"",` +
		`"IPAddress":"203.0.113.7","Location":"BE","Identity":"Ana Silva","ResourceIdentity":"00000002-0000-0000-c000-000000000000",` +
		`"AuthenticationProcessingDetails":"[{\"key\":\"Oauth Scope Info\",\"value\":\"[\\\"user_impersonation\\\"]\"},{\"key\":\"Is CAE Token\",\"value\":\"False\"}]",` +
		`"DeviceDetail":"{\"operatingSystem\":\"Windows10\",\"isCompliant\":true}","Status":"{\"errorCode\":0}","DurationMs":0,"IsInteractive":false}`
	diagRecord = `{ "time": "2026-11-20T09:05:00.2500000Z", "category": "NonInteractiveUserSignInLogs", "operationName": "Sign-in activity",` +
		` "resultType": "0", "durationMs": 0, "callerIpAddress": "203.0.113.7", "identity": "Ana Silva", "location": "BE",` +
		` "properties": {"userPrincipalName":"ana@contoso.example","appId":"04b07795-8ddb-461a-bbee-02f9e1bf7b46",` +
		`"incomingTokenType":"refreshToken","resourceId":"00000002-0000-0000-c000-000000000000","status":{"errorCode":0},` +
		`"authenticationProcessingDetails":[{"key":"Oauth Scope Info","value":"[\"user_impersonation\"]"},{"key":"Is CAE Token","value":"False"}],` +
		`"deviceDetail":{"operatingSystem":"Windows10","isCompliant":true},"isInteractive":false}}`
	graphPage = `{
  "@odata.context": "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns",
  "value": [
    {
      "createdDateTime": "2026-11-20T09:05:00.25Z",
      "userPrincipalName": "ana@contoso.example",
      "userDisplayName": "Ana Silva",
      "appId": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
      "ipAddress": "203.0.113.7",
      "incomingTokenType": "refreshToken",
      "resourceId": "00000002-0000-0000-c000-000000000000",
      "isInteractive": false,
      "status": { "errorCode": 0 },
      "location": { "countryOrRegion": "BE" },
      "authenticationProcessingDetails": [
        { "key": "Oauth Scope Info", "value": "[\"user_impersonation\"]" },
        { "key": "Is CAE Token", "value": "False" }
      ],
      "deviceDetail": { "operatingSystem": "Windows10", "isCompliant": true }
    }
  ]
}`
)

func TestEveryShapeGivesTheSameRow(t *testing.T) {
	columns := []string{"TimeGenerated", "UserPrincipalName", "AppId", "IncomingTokenType", "ResultType", "ResultDescription",
		"IPAddress", "ResourceIdentity", "AuthenticationProcessingDetails", "DeviceDetail", "Status", "IsInteractive"}
	table, _ := schema.Lookup(nonInteractive)
	var rows []map[string]any
	for _, in := range []struct{ name, text string }{{"la.ndjson", laRow}, {"PT1H.json", diagRecord}, {"graph.json", graphPage}} {
		r, err := NewReader([]Want{{Table: table, Columns: columns}}, FormatAuto)
		if err != nil {
			t.Fatal(err)
		}
		c := &collected{rows: map[string][]record.Row{}, other: map[string]int{}}
		r.Read(in.name, strings.NewReader(in.text), c)
		if len(c.rejected) > 0 || len(c.rows[nonInteractive]) != 1 {
			t.Fatalf("%s: %d rows, rejected %s", in.name, len(c.rows[nonInteractive]), c.rejections())
		}
		rows = append(rows, c.rows[nonInteractive][0].Map())
	}
	for i, name := range []string{"diagnostic", "graph"} {
		for _, col := range columns {
			if fmt.Sprint(rows[i+1][col]) != fmt.Sprint(rows[0][col]) {
				t.Errorf("%s %s = %#v, the Log Analytics row has %#v", name, col, rows[i+1][col], rows[0][col])
			}
		}
	}
}

func TestRecordsAreRoutedToTheirTable(t *testing.T) {
	data := []byte(
		`{"time":"2026-11-20T09:00:00Z","category":"SignInLogs","properties":{"isInteractive":true,"deviceDetail":{"isCompliant":false},"status":{"errorCode":50126}}}` + "\n" +
			`{"time":"2026-11-20T09:00:01Z","category":"NonInteractiveUserSignInLogs","properties":{"deviceDetail":{"isCompliant":false}}}` + "\n" +
			`{"time":"2026-11-20T09:00:02Z","category":"AuditLogs","properties":{}}` + "\n" +
			`{"time":"2026-11-20T09:00:03Z","properties":{"appId":"x"}}` + "\n")
	both := read(t, "PT1H.json", data, FormatAuto, nonInteractive, interactive)
	if len(both.rows[interactive]) != 1 || len(both.rows[nonInteractive]) != 1 || both.other["AuditLogs"] != 1 {
		t.Fatalf("rows %v, other %v", both.rows, both.other)
	}
	// In SigninLogs, DeviceDetail and Status are dynamic: the values themselves.
	row := both.rows[interactive][0].Map()
	if d, ok := row["DeviceDetail"].(*kql.Object); !ok || kql.Property(d, "isCompliant") != false || row["ResultType"] != "50126" {
		t.Errorf("SigninLogs row: %#v %#v", row["DeviceDetail"], row["ResultType"])
	}
	if kql.Property(row["Status"], "errorCode") != int64(50126) {
		t.Errorf("Status %#v", row["Status"])
	}
	if got := both.rejections(); got != "PT1H.json:4: unknown table: the record has no category to tell its table, and the rules read AADNonInteractiveUserSignInLogs and SigninLogs" {
		t.Errorf("rejections: %s", got)
	}
	// With one table read, a record that does not say its table is taken to be of it; the
	// interactive one is counted, not read.
	one := read(t, "PT1H.json", data, FormatAuto, nonInteractive)
	if len(one.rows[nonInteractive]) != 2 || one.other[interactive] != 1 || len(one.rejected) != 0 {
		t.Errorf("rows %d, other %v, rejected %s", len(one.rows[nonInteractive]), one.other, one.rejections())
	}
}

func TestDocumentsAreReadElementByElementWithTheirLines(t *testing.T) {
	array := "[\n  {\n    \"AppId\": \"a\"\n  },\n  {\"AppId\": tru},\n  {\"AppId\": \"c\"}\n]\n"
	c := read(t, "export.json", []byte(array), FormatAuto, nonInteractive)
	rows := c.rows[nonInteractive]
	if len(rows) != 2 || rows[0].Sources[0] != (record.Source{File: "export.json", Line: 2, Index: 1}) ||
		rows[1].Sources[0] != (record.Source{File: "export.json", Line: 6, Index: 3}) {
		t.Errorf("rows %v", rows)
	}
	if !strings.HasPrefix(c.rejections(), "export.json:5#2: malformed JSON: invalid character '}'") {
		t.Errorf("rejections: %s", c.rejections())
	}
	// A document that cannot be cut into values stops there, said so.
	broken := read(t, "broken.json", []byte("[\n{\"AppId\": \"a\"}\n{\"AppId\": \"b\"}\n]"), FormatAuto, nonInteractive)
	if len(broken.rows[nonInteractive]) != 1 || broken.rejections() != `broken.json:3: malformed JSON: expected ',' or ']' after element 1 of an array, found '{' (in the JSON text starting at line 1); the rest of the file cannot be read (lines 3 to 4 not read)` {
		t.Errorf("rows %d, rejections %s", len(broken.rows[nonInteractive]), broken.rejections())
	}
}

func TestGraphPagesOneAfterAnother(t *testing.T) {
	page := func(upn string, next bool) string {
		link := ""
		if next {
			link = `"@odata.nextLink": "https://graph.microsoft.com/beta/auditLogs/signIns?$skiptoken=x",` + "\n  "
		}
		return "{\n  \"@odata.context\": \"https://graph.microsoft.com/beta/$metadata#auditLogs/signIns\",\n  " + link +
			"\"value\": [\n    {\"createdDateTime\": \"2026-11-20T09:00:00Z\", \"userPrincipalName\": \"" + upn + "\", \"isInteractive\": false},\n" +
			"    {\"createdDateTime\": \"2026-11-20T09:00:01Z\", \"userPrincipalName\": \"" + upn + "\", \"isInteractive\": true}\n  ]\n}\n"
	}
	c := read(t, "signins.json", []byte(page("a@x", true)+page("b@x", false)), FormatAuto, nonInteractive, interactive)
	ni, in := c.rows[nonInteractive], c.rows[interactive]
	if len(c.rejected) != 0 || len(ni) != 2 || len(in) != 2 || ni[1].Get("UserPrincipalName") != "b@x" ||
		ni[1].Sources[0] != (record.Source{File: "signins.json", Line: 12, Index: 1}) {
		t.Errorf("rows %v %v, rejected %s", ni, in, c.rejections())
	}
}

func TestQueryAPIResponse(t *testing.T) {
	response := `{"tables":[{"name":"PrimaryResult","columns":[{"name":"TimeGenerated","type":"datetime"},{"name":"AppId","type":"string"},` +
		`{"name":"DurationMs","type":"long"},{"name":"Type","type":"string"}],"rows":[` +
		`["2026-11-20T09:00:00Z","a",12,"AADNonInteractiveUserSignInLogs"],["2026-11-20T09:00:01Z","b"],` +
		`["2026-11-20T09:00:02Z","c",null,"SigninLogs"]]}]}`
	c := read(t, "query.json", []byte(response), FormatAuto, nonInteractive)
	rows := c.rows[nonInteractive]
	if len(rows) != 1 || rows[0].Get("DurationMs") != int64(12) || rows[0].Sources[0] != (record.Source{File: "query.json", Line: 1, Index: 1}) || c.other[interactive] != 1 {
		t.Errorf("rows %v other %v", rows, c.other)
	}
	if c.rejections() != "query.json:1#2: malformed query result: a row of 2 values for 4 columns" {
		t.Errorf("rejections: %s", c.rejections())
	}
}

func TestPortalCSV(t *testing.T) {
	csv := "\ufeffTimeGenerated [UTC],AppId,DurationMs,DeviceDetail,IsInteractive,Type\r\n" +
		"\"11/20/2026, 9:00:01.123 PM\",a,12,\"{\"\"isCompliant\"\":true}\",False,SigninLogs\r\n" +
		"\"11/20/2026, 9:00:02.000 AM\",b,,\"line one\nline two\",false,AADNonInteractiveUserSignInLogs\r\n" +
		"\"11/20/2026, 9:00:03.000 AM\",c,x,,false,AADNonInteractiveUserSignInLogs\r\n" +
		"only,three,fields\r\n"
	c := read(t, "export.csv", []byte(csv), FormatAuto, nonInteractive, interactive)
	in, ni := c.rows[interactive], c.rows[nonInteractive]
	if len(in) != 1 || len(ni) != 1 {
		t.Fatalf("rows %v %v, rejected %s", in, ni, c.rejections())
	}
	if in[0].Get("TimeGenerated") != time.Date(2026, 11, 20, 21, 0, 1, 123e6, time.UTC) || in[0].Get("DurationMs") != int64(12) ||
		kql.Property(in[0].Get("DeviceDetail"), "isCompliant") != true {
		t.Errorf("interactive row %v", in[0].Map())
	}
	if ni[0].Get("DurationMs") != nil || ni[0].Get("DeviceDetail") != "line one\nline two" || ni[0].Sources[0].Line != 3 {
		t.Errorf("an empty cell is null; a quoted cell spans lines: %#v", ni[0].Map())
	}
	want := "export.csv:5: wrong type: DurationMs: want a whole number, got \"x\"\nexport.csv:6: malformed CSV: 3 fields for the header's 6 columns"
	if c.rejections() != want {
		t.Errorf("rejections:\n%s\nwant:\n%s", c.rejections(), want)
	}
	if junk := read(t, "notes.txt", []byte("hello, world\n"), FormatAuto, nonInteractive); !strings.HasPrefix(junk.rejections(), "notes.txt:1: unknown file shape") {
		t.Errorf("a text file: %s", junk.rejections())
	}
}

func gzipped(t testing.TB, text string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write([]byte(text))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zstded(t testing.TB, text string) []byte {
	w, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	return w.EncodeAll([]byte(text), nil)
}

// A stream that breaks off is reported at the line it breaks in, after the lines before it, whether
// that line is short or longer than a batch of lines (the lines reader numbers lines itself, batch
// by batch, and tells the line counter where the text ended).
func TestABrokenStreamIsReportedAtTheLineItBreaksIn(t *testing.T) {
	// More lines than the reader's first look takes in (256 KB), so that most are numbered by batch.
	lines := strings.Repeat(`{"AppId":"a","UserAgent":"`+strings.Repeat("u", 200)+`"}`+"\n", 5000)
	for name, last := range map[string]string{"short": `{"AppId":"e`, "long": `{"AppId":"` + strings.Repeat("x", 3<<20)} {
		whole := gzipped(t, lines+last)
		cut := whole[:len(whole)-8] // the data, without the gzip footer: the stream ends in error
		c := read(t, "cut.ndjson.gz", cut, FormatAuto, nonInteractive)
		if len(c.rows[nonInteractive]) != 5000 || !strings.Contains(c.rejections(), "cut.ndjson.gz:5001: corrupt compressed data: gzip: unexpected EOF") {
			t.Errorf("%s last line: rows %d, rejections %.300s", name, len(c.rows[nonInteractive]), c.rejections())
		}
	}
}

func TestCompressedFilesAndTheirBreaks(t *testing.T) {
	text := `{"AppId":"a"}` + "\n" + `{"AppId":"b"}` + "\n"
	for name, data := range map[string][]byte{"in.ndjson.gz": gzipped(t, text), "in.ndjson.zst": zstded(t, text)} {
		c := read(t, name, data, FormatAuto, nonInteractive)
		if len(c.rows[nonInteractive]) != 2 || len(c.rejected) != 0 {
			t.Errorf("%s: rows %d, rejected %s", name, len(c.rows[nonInteractive]), c.rejections())
		}
	}
	// A complete gzip member, then one cut short: the first member's records are read.
	truncated := append(gzipped(t, text), gzipped(t, `{"AppId":"c"}`+"\n")[:15]...)
	c := read(t, "cut.ndjson.gz", truncated, FormatAuto, nonInteractive)
	if len(c.rows[nonInteractive]) != 2 || c.rejections() != "cut.ndjson.gz:3: corrupt compressed data: gzip: unexpected EOF; the file breaks off here, the records before were read" {
		t.Errorf("rows %d, rejections %s", len(c.rows[nonInteractive]), c.rejections())
	}
	zst := zstded(t, text)
	if c := read(t, "cut.ndjson.zst", zst[:len(zst)-4], FormatAuto, nonInteractive); !strings.HasPrefix(c.rejections(), "cut.ndjson.zst:") ||
		!strings.Contains(c.rejections(), ": corrupt compressed data: zstd: ") {
		t.Errorf("a truncated zstd file: %s", c.rejections())
	}
	if c := read(t, "logs.zip", []byte("PK\x03\x04rest"), FormatAuto, nonInteractive); c.rejections() != "logs.zip: unsupported compression: a zip archive, which is not read: unpack it (gzip and zstd are read as they are)" {
		t.Errorf("a zip archive: %s", c.rejections())
	}
	for _, empty := range []string{"", " \n\r\n", "\ufeff"} {
		if c := read(t, "empty.ndjson", []byte(empty), FormatAuto, nonInteractive); c.rejections() != "empty.ndjson: empty file" {
			t.Errorf("%q: %s", empty, c.rejections())
		}
	}
	if c := read(t, "empty.gz", gzipped(t, ""), FormatAuto, nonInteractive); c.rejections() != "empty.gz: empty file" {
		t.Errorf("an empty gzip file: %s", c.rejections())
	}
}

func TestEveryMappingLoads(t *testing.T) {
	mappings, err := loadMappings()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range mappings {
		seen[string(m.shape)+"/"+m.table.Name] = true
		// The columns the shipped rules read, of each table read in more than one shape.
		wanted := map[string][]string{
			nonInteractive: {"TimeGenerated", "UserPrincipalName", "AppId", "SessionId", "IncomingTokenType", "AuthenticationProcessingDetails", "ResultType", "HomeTenantId", "ResourceTenantId"},
			interactive:    {"TimeGenerated", "UserPrincipalName", "AppId", "SessionId", "IncomingTokenType", "AuthenticationProcessingDetails", "ResultType", "HomeTenantId", "ResourceTenantId"},
			"AuditLogs":    {"TimeGenerated", "OperationName", "Category", "LoggedByService", "Identity", "Result", "InitiatedBy", "TargetResources", "AdditionalDetails", "CorrelationId"},
		}
		if m.shape != LogAnalytics {
			for _, col := range wanted[m.table.Name] {
				if _, ok := m.columns[col]; !ok {
					t.Errorf("%s does not map %s", m.file, col)
				}
			}
		}
	}
	for _, shape := range []Shape{LogAnalytics, Diagnostic, Graph} {
		for _, table := range []string{nonInteractive, interactive, "AuditLogs"} {
			if !seen[string(shape)+"/"+table] {
				t.Errorf("no %s mapping for %s", shape, table)
			}
		}
	}
	for _, bad := range []string{
		"shape: diagnostic\ntable: SigninLogs\nwhen: {category: x}\ncolumns: {NoSuchColumn: a}\n",
		"shape: diagnostic\ntable: SigninLogs\nwhen: {category: x}\ncolumns: {AppId: properties..appId}\n",
		"shape: diagnostic\ntable: SigninLogs\nwhen: {category: x}\ncolumns: {AppId: {value: x}}\n",
		"shape: nosuch\ntable: SigninLogs\nwhen: {category: x}\nidentity: true\n",
		"shape: graph\ntable: SigninLogs\nidentity: true\n",
		"shape: graph\ntable: SigninLogs\nwhen: {a: b}\nidentity: true\nextra: 1\n",
	} {
		if _, err := parseMapping("bad.yaml", []byte(bad)); err == nil {
			t.Errorf("accepted:\n%s", bad)
		}
	}
}

// Inputs built to trip a reader up: each is reported, none stops the file or the run.
func TestHostileInput(t *testing.T) {
	deep := strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2)
	cases := []struct {
		name, text string
		want       string
	}{
		{"deep.ndjson", deep + "\n" + `{"AppId":"a"}`, "deep.ndjson:1: malformed JSON: JSON nested deeper than 512 levels"},
		{"commas.ndjson", "[,1]\n" + `{"AppId":"a"}`, "commas.ndjson:1#1: malformed JSON: invalid character ',' looking for beginning of value: \",1\""},
		{"closers.ndjson", "]}\n" + `{"AppId":"a"}`, "closers.ndjson:1: malformed JSON: invalid character ']' looking for beginning of value: \"]\""},
		{"nul.ndjson", "\x00\xff\xfe{\n" + `{"AppId":"a"}`, "nul.ndjson:1: malformed JSON: invalid character '\\x00' looking for beginning of value: \"\\x00\\xff\\xfe\""},
		{"unclosed.json", "[\n  {\"AppId\": \"a\"},\n  {\"AppId\": \"b", "unclosed.json:3: malformed JSON: the file ends inside a JSON value (in the JSON text starting at line 1); the rest of the file cannot be read"},
	}
	for _, c := range cases {
		got := read(t, c.name, []byte(c.text), FormatAuto, nonInteractive)
		if got.rejections() != c.want || len(got.rows[nonInteractive]) != 1 {
			t.Errorf("%s: %d rows, rejections:\n%s\nwant:\n%s", c.name, len(got.rows[nonInteractive]), got.rejections(), c.want)
		}
	}
}

// A filter makes rows only of the records that pass it; the others reach the sink as Filtered,
// with the columns it reports. A record is rejected for a wrong type in a column the filter does not
// read all the same, and every rejection is the one an unfiltered read reports.
func TestAFilterMakesRowsOnlyOfTheRecordsThatPassIt(t *testing.T) {
	text := `{"TimeGenerated":"2026-11-20T09:00:00Z","AppId":"a","ResultType":"0"}` + "\n" +
		`{"TimeGenerated":"yesterday","AppId":"b"}` + "\n" +
		`{"TimeGenerated":"2026-11-20T09:00:02Z","AppId":"c","DurationMs":"twelve"}` + "\n" +
		`{"TimeGenerated":"2026-11-20T09:00:03Z","AppId":"d","DurationMs":"12"}` + "\n" +
		`{"TimeGenerated":"2026-11-20T09:00:04Z","AppId":null}` + "\n" +
		`{"TimeGenerated":"2026-11-20T09:00:05Z","AppId":"e"}` + "\n"
	filter := oneTest([]string{"AppId"}, "TimeGenerated", func(values map[string]any) bool { return values["AppId"] == "a" || values["AppId"] == "d" })
	unfiltered := read(t, "in.ndjson", []byte(text), FormatAuto, nonInteractive)
	c := readFiltered(t, filter, text)
	if got, was := c.rejections(), unfiltered.rejections(); got != was || len(c.rejected) != 2 {
		t.Errorf("rejections with a filter:\n%s\nwithout:\n%s", got, was)
	}
	var kept []string
	for _, row := range c.rows[nonInteractive] {
		kept = append(kept, fmt.Sprintf("%s@%d duration=%v", row.Get("AppId"), row.Sources[0].Line, row.Get("DurationMs")))
	}
	if want := []string{"a@1 duration=<nil>", "d@4 duration=12"}; !reflect.DeepEqual(kept, want) {
		t.Errorf("rows %v, want %v", kept, want)
	}
	var dropped []string
	for _, f := range c.filtered {
		dropped = append(dropped, fmt.Sprintf("%v %v", f.at, f.dated))
	}
	if want := []string{`2026-11-20 09:00:04 +0000 UTC true`, `2026-11-20 09:00:05 +0000 UTC true`}; !reflect.DeepEqual(dropped, want) {
		t.Errorf("filtered %v, want %v", dropped, want)
	}
}

// A file of many batches is read through a few reused buffers: no value a row holds may point
// into one, or a later batch would overwrite it.
func TestRowsOutliveTheBuffersTheyWereReadFrom(t *testing.T) {
	var text strings.Builder
	const n = 12 * batchSize / 250
	for i := range n {
		fmt.Fprintf(&text, `{"TimeGenerated":"2026-11-20T09:00:00Z","AppId":"app-%d","AppliedEventListeners":"not json %d","Status":{"errorCode":%d},"UserAgent":"%0120d"}`+"\n", i, i, i, i)
	}
	c := read(t, "many.ndjson", []byte(text.String()), FormatAuto, nonInteractive)
	rows := c.rows[nonInteractive]
	if len(rows) != n || len(c.rejected) > 0 {
		t.Fatalf("%d rows, %d rejected", len(rows), len(c.rejected))
	}
	for i, row := range rows {
		want := map[string]any{"AppId": fmt.Sprintf("app-%d", i), "AppliedEventListeners": fmt.Sprintf("not json %d", i), "UserAgent": fmt.Sprintf("%0120d", i)}
		for col, v := range want {
			if row.Get(col) != v {
				t.Fatalf("row %d: %s is %v, want %v", i, col, row.Get(col), v)
			}
		}
	}
}

// A reader keeps the filter's answer for the text of the columns it read, once it has seen that
// they repeat: records that repeat that text get the answer again, and records whose columns
// differ (however they are split, or written with escapes) are tested.
func TestAFilterAnswersRepeatedValuesAsBefore(t *testing.T) {
	text := strings.Repeat(`{"AppId":"x","AppDisplayName":"y"}`+"\n", filterTrial) +
		`{"AppId":"ab","AppDisplayName":"c"}` + "\n" +
		`{"AppId":"a","AppDisplayName":"bc"}` + "\n" +
		`{"AppId":"ab","AppDisplayName":"c"}` + "\n" +
		`{"AppId":"a\u0062","AppDisplayName":"c"}` + "\n" +
		`{"AppId":"ab","AppDisplayName":null}` + "\n" +
		`{"AppId":"a","AppDisplayName":"bc"}` + "\n"
	tested := 0
	filter := oneTest([]string{"AppDisplayName", "AppId"}, "", func(values map[string]any) bool {
		tested++
		return values["AppId"].(string)+"|"+values["AppDisplayName"].(string) == "ab|c"
	})
	c := readFiltered(t, filter, text)
	var lines []int
	for _, row := range c.rows[nonInteractive] {
		lines = append(lines, row.Sources[0].Line-filterTrial)
	}
	if !reflect.DeepEqual(lines, []int{1, 3, 4}) || len(c.filtered) != filterTrial+3 {
		t.Errorf("rows from lines %v (after the first %d), %d filtered; want lines 1, 3, 4 and %d filtered", lines, filterTrial, len(c.filtered), filterTrial+3)
	}
	if tested != filterTrial+4 {
		t.Errorf("the test ran %d times; want %d, once for each record looked at first and then once for each text of the columns", tested, filterTrial+4)
	}
}

// oneTest is a filter of one target reached by the records that pass test.
func oneTest(columns []string, reportTime string, test func(map[string]any) bool) *Filter {
	return &Filter{Time: reportTime, Conditions: []Condition{{Columns: columns, NewTest: func() func(map[string]any) bool { return test }}},
		Targets: []Target{{Ways: [][]int{{0}}}}}
}

// Repeated strings are held once, found by the JSON text they were read from: values written with
// escapes (JSON in a string, escapes in that JSON) read unescaped, and a column whose values do
// not repeat (an id) stops being held but reads the same.
func TestRepeatedStringsAreHeldOnce(t *testing.T) {
	var text strings.Builder
	n := 3000
	for i := range n {
		fmt.Fprintf(&text, `{"AuthenticationProcessingDetails":"[{\"key\":\"a\"}]","UserAgent":"[{\\\"key\\\":\\\"a\\\"}]","Id":"request-%d"}`+"\n", i)
	}
	c := read(t, "repeated.ndjson", []byte(text.String()), FormatAuto, nonInteractive)
	rows := c.rows[nonInteractive]
	if len(rows) != n || len(c.rejected) > 0 {
		t.Fatalf("%d rows, %d rejected", len(rows), len(c.rejected))
	}
	for i, row := range rows {
		want := map[string]any{"AuthenticationProcessingDetails": `[{"key":"a"}]`, "UserAgent": `[{\"key\":\"a\"}]`, "Id": fmt.Sprintf("request-%d", i)}
		for col, v := range want {
			if row.Get(col) != v {
				t.Fatalf("row %d: %s is %q, want %q", i, col, row.Get(col), v)
			}
		}
	}
	// One goroutine reads a batch: the first and last rows of the first batch share their copy.
	first, last := rows[0].Get("AuthenticationProcessingDetails").(string), rows[n/2].Get("AuthenticationProcessingDetails").(string)
	if unsafe.StringData(first) != unsafe.StringData(last) {
		t.Error("a repeated value is held twice")
	}
}

// A value that repeats only over a long span is held once too: in an export of many users, a
// user's device details come back with each of the user's sign-ins, but the first thousand records
// show few repeats. An id column, never repeating, is read the same and holds no more than a
// generation of values.
func TestValuesRepeatingOverALongSpanAreHeldOnce(t *testing.T) {
	const users, n = 5000, 4 * internMax
	var text strings.Builder
	for i := range n {
		user := (i * 7919) % users // every user comes back once in each span of 5000 records
		fmt.Fprintf(&text, `{"DeviceDetail":"{\"deviceId\":\"%08x\",\"trustType\":\"Azure AD joined\"}","Id":"request-%d"}`+"\n", user, i)
	}
	c := readFrom(t, "users.ndjson", strings.NewReader(text.String()), FormatAuto, nonInteractive) // once: it is long
	rows := c.rows[nonInteractive]
	if len(rows) != n || len(c.rejected) > 0 {
		t.Fatalf("%d rows, %d rejected", len(rows), len(c.rejected))
	}
	copies := map[string]map[*byte]bool{}
	for i, row := range rows {
		if id := row.Get("Id"); id != fmt.Sprintf("request-%d", i) {
			t.Fatalf("row %d: Id %q", i, id)
		}
		device := row.Get("DeviceDetail").(string)
		if want := fmt.Sprintf(`{"deviceId":"%08x","trustType":"Azure AD joined"}`, (i*7919)%users); device != want {
			t.Fatalf("row %d: DeviceDetail %q, want %q", i, device, want)
		}
		if copies[device] == nil {
			copies[device] = map[*byte]bool{}
		}
		copies[device][unsafe.StringData(device)] = true
	}
	// Each goroutine reading batches holds its own copy, and a new generation one more.
	held := 0
	for _, c := range copies {
		held += len(c)
	}
	if limit := 4 * users * runtime.GOMAXPROCS(0); held > limit {
		t.Errorf("%d users' device details are held in %d copies over %d records; want at most %d", users, held, n, limit)
	}
}

// An interner holds at most a generation of values, however many distinct values it is given.
func TestAnInternerHoldsAGenerationAtMost(t *testing.T) {
	in := newInterner()
	for i := range 3 * internMax {
		in.value("Id", fmt.Sprintf("request-%d", i))
		in.value("AppId", fmt.Sprintf("app-%d", i%10))
		held := 0
		for _, c := range in.columns {
			held += len(c.values) + len(c.quoted)
		}
		if held > internMax {
			t.Fatalf("after %d values: %d held", i, held)
		}
	}
	if in.columns["Id"].skip == 0 || in.columns["AppId"].skip != 0 {
		t.Errorf("Id left out for %d generations, AppId for %d; want Id left out, AppId not", in.columns["Id"].skip, in.columns["AppId"].skip)
	}
}

// Graph sign-ins and directory audits may come in one file: a record with isInteractive is a
// sign-in of its table; one without it that has activityDisplayName and loggedByService is an
// audit event; one with neither tells no table. This holds on the line path (JSON lines, whose
// fields are found by position) and in pages alike.
func TestGraphSignInsAndDirectoryAuditsAreToldApart(t *testing.T) {
	signIn := `{"id":"s1","createdDateTime":"2026-11-20T08:00:00Z","userPrincipalName":"ana.silva@contoso.example","appId":"04b07795-8ddb-461a-bbee-02f9e1bf7b46","isInteractive":false}`
	audit := `{"id":"Directory_1","category":"RoleManagement","correlationId":"c1","result":"success","resultReason":"","activityDisplayName":"Add member to role","activityDateTime":"2026-11-20T08:05:00Z","loggedByService":"Core Directory","operationType":"Assign","initiatedBy":{"user":{"displayName":"Ana Silva","userPrincipalName":"ana.silva@contoso.example"}},"targetResources":[{"type":"User","userPrincipalName":"bruno.costa@contoso.example"}],"additionalDetails":[]}`
	// A directoryAudit with a null loggedByService says too little to be one.
	neither := `{"id":"Directory_2","category":"RoleManagement","activityDisplayName":"Add member to role","activityDateTime":"2026-11-20T08:06:00Z","loggedByService":null}`
	for name, data := range map[string]string{
		"lines.json": signIn + "\n" + audit + "\n" + neither + "\n",
		"page.json":  `{"@odata.context":"https://graph.microsoft.com/beta/$metadata#auditLogs/directoryAudits","value":[` + signIn + "," + audit + "," + neither + "]}\n",
	} {
		c := read(t, name, []byte(data), FormatAuto, nonInteractive, "AuditLogs")
		if len(c.rows[nonInteractive]) != 1 || len(c.rows["AuditLogs"]) != 1 {
			t.Errorf("%s: %d sign-ins, %d audits; want 1 and 1", name, len(c.rows[nonInteractive]), len(c.rows["AuditLogs"]))
			continue
		}
		row := c.rows["AuditLogs"][0].Map()
		if row["OperationName"] != "Add member to role" || row["Identity"] != "Ana Silva" || row["Category"] != "RoleManagement" || row["Type"] != "AuditLogs" {
			t.Errorf("%s: audit row %v", name, row)
		}
		if got := c.rejections(); !strings.Contains(got, "unknown table: the record has no isInteractive or activityDisplayName and loggedByService to tell its table") {
			t.Errorf("%s: %s", name, got)
		}
	}
	// Read for the sign-in rules alone, the audit event is counted as another table's.
	c := read(t, "lines.json", []byte(signIn+"\n"+audit+"\n"), FormatAuto, nonInteractive)
	if len(c.rows[nonInteractive]) != 1 || c.other["AuditLogs"] != 1 {
		t.Errorf("sign-in rules alone: %d rows, others %v", len(c.rows[nonInteractive]), c.other)
	}
}

// A number a long column cannot hold is null, as Azure Data Explorer ingests it
// (https://learn.microsoft.com/azure/data-explorer/ingest-invalid-data), never a wrapped
// -9223372036854775808; text that is no number stays a wrong type.
func TestOutOfRangeNumbersAreNull(t *testing.T) {
	text := `{"TimeGenerated":"2026-11-20T09:00:00Z","AppId":"a","DurationMs":1e20}` + "\n" +
		`{"TimeGenerated":"2026-11-20T09:00:01Z","AppId":"b","DurationMs":"-99999999999999999999"}` + "\n" +
		`{"TimeGenerated":"2026-11-20T09:00:02Z","AppId":"c","DurationMs":9223372036854775807}` + "\n" +
		`{"TimeGenerated":"2026-11-20T09:00:03Z","AppId":"d","DurationMs":"1e3"}` + "\n"
	c := read(t, "in.ndjson", []byte(text), FormatAuto, nonInteractive)
	if got := c.rejections(); got != "" {
		t.Errorf("rejections: %s", got)
	}
	rows := c.rows[nonInteractive]
	if len(rows) != 4 {
		t.Fatalf("want 4 rows, got %d", len(rows))
	}
	want := []any{nil, nil, int64(9223372036854775807), int64(1000)}
	for i, row := range rows {
		if row.Get("DurationMs") != want[i] {
			t.Errorf("row %s: DurationMs %#v, want %#v", row.Get("AppId"), row.Get("DurationMs"), want[i])
		}
	}
}

// readFiltered reads text as in.ndjson into a collected sink, the sign-ins table read with filter.
func readFiltered(t *testing.T, filter *Filter, text string) *collected {
	t.Helper()
	want := wants(t, nonInteractive)
	want[0].Filter = filter
	r, err := NewReader(want, FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	c := &collected{rows: map[string][]record.Row{}, other: map[string]int{}}
	r.Read("in.ndjson", strings.NewReader(text), c)
	return c
}
