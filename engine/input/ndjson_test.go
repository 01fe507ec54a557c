package input

import (
	"strings"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/schema"
)

func read(t *testing.T, text string, want []string) ([]record.Row, []Rejection) {
	t.Helper()
	table, err := schema.Lookup("AADNonInteractiveUserSignInLogs")
	if err != nil {
		t.Fatal(err)
	}
	var rows []record.Row
	var rejected []Rejection
	err = NewReader(table, want).ReadNDJSON("in.ndjson", strings.NewReader(text),
		func(r record.Row) { rows = append(rows, r) },
		func(r Rejection) { rejected = append(rejected, r) })
	if err != nil {
		t.Fatal(err)
	}
	return rows, rejected
}

func TestBadLinesAreReportedAndTheRestIsRead(t *testing.T) {
	text := "\ufeff" + `{"TimeGenerated":"2026-11-20T09:00:00.1234567Z","AppId":"a","ResultType":"0"}` + "\r\n" +
		`{"TimeGenerated":"2026-11-20T09:00:01Z","AppId":"b"` + "\n" + // truncated: malformed
		"\n" + // blank: skipped
		`["not", "an", "object"]` + "\n" +
		`{"TimeGenerated":"yesterday","AppId":"c"}` + "\n" +
		`{"TimeGenerated":"2026-11-20T09:00:02+02:00","AppId":"d","DurationMs":"12","IsInteractive":"False","ResultType":50126}` + "\n" +
		`{"TimeGenerated":"2026-11-20T09:00:03Z","DurationMs":"twelve"}` + "\n" +
		`{"TimeGenerated":"2026-11-20T09:00:04Z","AppId":null,"IncomingTokenType":null}`
	rows, rejected := read(t, text, nil)
	var got []string
	for _, r := range rejected {
		got = append(got, r.String())
	}
	want := []string{
		`in.ndjson:2: malformed JSON: "{\"TimeGenerated\":\"2026-11-20T09:00:01Z\",\"AppId\":\"b\""`,
		`in.ndjson:4: not a JSON object: "[\"not\", \"an\", \"object\"]"`,
		`in.ndjson:5: wrong type: TimeGenerated: not an ISO 8601 datetime: "yesterday"`,
		`in.ndjson:7: wrong type: DurationMs: want a whole number, got "twelve"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rejections:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(rows) != 3 {
		t.Fatalf("want 3 rows, got %d", len(rows))
	}
	first, converted, nulls := rows[0].Values, rows[1].Values, rows[2].Values
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
}

func TestReaderKeepsOnlyTheWantedColumns(t *testing.T) {
	rows, _ := read(t, `{"AppId":"a","SessionId":"s","DeviceDetail":{"isCompliant":true}}`, []string{"AppId", "DeviceDetail"})
	if len(rows[0].Values) != 2 || rows[0].Values["DeviceDetail"] != `{"isCompliant":true}` {
		t.Errorf("values %v", rows[0].Values)
	}
}

func TestAFiveMegabyteLineIsRead(t *testing.T) {
	long := `{"AppId":"a","UserAgent":"` + strings.Repeat("x", 5<<20) + `"}` + "\n" + `{"AppId":"b"}`
	rows, rejected := read(t, long, []string{"AppId", "UserAgent"})
	if len(rows) != 2 || len(rejected) != 0 || len(rows[0].Values["UserAgent"].(string)) != 5<<20 || rows[1].Sources[0].Line != 2 {
		t.Errorf("rows %d, rejected %v", len(rows), rejected)
	}
}

// Log Analytics names each row's table in its Type column: a reader of one table passes over the
// rows of others, so that one export holding several tables feeds each rule the rows it reads.
func TestRowsOfOtherTablesArePassedOver(t *testing.T) {
	text := `{"Type":"AADNonInteractiveUserSignInLogs","AppId":"a"}` + "\n" +
		`{"Type":"SigninLogs","AppId":"interactive"}` + "\n" +
		`{"AppId":"untyped"}` + "\n" +
		`{"Type":"AADUserRiskEvents","UserPrincipalName":"x"}` + "\n" +
		`{"AppId":"late type","Type":"SigninLogs"}` + "\n" +
		`{"Type":"","AppId":"empty type"}`
	rows, rejected := read(t, text, []string{"AppId"})
	var apps []string
	for _, r := range rows {
		apps = append(apps, r.Values["AppId"].(string))
	}
	if strings.Join(apps, ",") != "a,untyped,empty type" || len(rejected) != 0 {
		t.Errorf("rows %v, rejected %v", apps, rejected)
	}
}
