package input

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"
	"github.com/tidwall/pretty"
)

// longTexts are a long string value, as JSON text with escapes of every kind and as the string
// it stands for, and a long nested value, pretty-printed with spaces inside its strings and
// compacted: each over a batch, so read by the means of long.go.
func longTexts() (escaped, value, nested, compact string) {
	var e, v, n strings.Builder
	n.WriteString("[\n")
	for e.Len() <= batchSize {
		e.WriteString(`Mozilla/5.0 \"quoted\" back\\slash \/ tab\t line\n caf\u00e9 \ud83d\ude00 lone \ud800 end; `)
		v.WriteString("Mozilla/5.0 \"quoted\" back\\slash / tab\t line\n caf\u00e9 \U0001F600 lone \uFFFD end; ")
		n.WriteString(`  {"key": "Oauth Scope Info", "value": "[\"User.Read\"]"},` + "\n")
	}
	n.WriteString(`  {"key": "Is CAE Token", "value": "False"}` + "\n]")
	return e.String(), v.String(), n.String(), string(pretty.Ugly([]byte(n.String())))
}

// A long value is read in place, unescaped once into a buffer of its size, or compacted once,
// never interned: on every path (a line of its own, a document's record, a wrapper's record read
// again from its line, a pretty-printed page, a CSV row) it reads exactly as a short value does,
// and the records beside it are read as they would be alone.
func TestLongValuesReadAsShortOnes(t *testing.T) {
	escaped, value, nested, compact := longTexts()
	plain := strings.Repeat("p", batchSize+1)
	la := `{"TimeGenerated":"2026-11-20T09:00:00Z","Type":"AADNonInteractiveUserSignInLogs","UserAgent":"` + escaped +
		`","AuthenticationProcessingDetails":"` + plain + `","ConditionalAccessPolicies":"` + strings.Repeat("c", batchSize+1) + `","AppId":"a"}`
	graph := func(details string) string {
		return `{"createdDateTime":"2026-11-20T09:00:00Z","isInteractive":false,"appId":"a","userAgent":"` + escaped +
			`","authenticationProcessingDetails":` + details + `}`
	}
	short := strings.TrimSuffix(ndjsonRows(1), "\n")
	csvValue := strings.ReplaceAll(strings.ReplaceAll(value, "\n", " "), "\t", " ")
	csv := "TimeGenerated [UTC],Type,UserAgent,AppId\n" +
		`"11/20/2026, 9:00:00.000 AM",AADNonInteractiveUserSignInLogs,"` + strings.ReplaceAll(csvValue, `"`, `""`) + `",a` + "\n" +
		`"11/20/2026, 9:00:01.000 AM",AADNonInteractiveUserSignInLogs,short,b` + "\n"
	cases := []struct {
		name, text              string
		userAgent, details, app string
	}{
		{"line.ndjson", la + "\n" + short + "\n", value, plain, "a"},
		{"document.json", "[\n" + la + ",\n" + short + "\n]\n", value, plain, "a"},
		{"wrapper-line.json", `{"value":[` + graph(compact) + `,` + strings.Replace(short, "TimeGenerated", "createdDateTime", 1) + "]}\n", value, compact, "a"},
		{"pretty-page.json", "{\n  \"value\": [\n" + graph(nested) + ",\n" + strings.Replace(short, "TimeGenerated", "createdDateTime", 1) + "\n  ]\n}\n", value, compact, "a"},
		{"portal.csv", csv, csvValue, "", "a"},
	}
	for _, c := range cases {
		got := read(t, c.name, []byte(c.text), FormatAuto, nonInteractive)
		rows := got.rows[nonInteractive]
		if len(got.rejected) != 0 || len(rows) != 2 {
			t.Errorf("%s: %d rows, rejections:\n%s", c.name, len(rows), got.rejections())
			continue
		}
		if ua := rows[0].Get("UserAgent").(string); ua != c.userAgent {
			t.Errorf("%s: UserAgent of %d bytes, want %d: %.80q", c.name, len(ua), len(c.userAgent), ua)
		}
		if d := rows[0].Get("AuthenticationProcessingDetails").(string); d != c.details {
			t.Errorf("%s: AuthenticationProcessingDetails of %d bytes, want %d: %.80q", c.name, len(d), len(c.details), d)
		}
		if rows[0].Get("AppId") != c.app || rows[1].Get("UserAgent") == c.userAgent || rows[1].Sources[0].Line == 0 {
			t.Errorf("%s: the short record beside the long one: %v", c.name, rows[1].Get("AppId"))
		}
	}
}

// A long string is unescaped as gjson unescapes a short one, malformed escapes included.
func TestALongStringUnescapesAsGJSON(t *testing.T) {
	for _, body := range []string{
		`plain`, `\"\\\/\b\f\n\r\t`, `\u0041\u00e9\u20ac`, `\ud83d\ude00`, `\ud83dx`, `\ude00`, `\ud83d\u0041`,
		`\u12G4 after`, `cut \u12`, `\x unknown`, "a control \x01 ends it", `caf` + "\u00e9 \U0001F600 raw",
	} {
		raw := []byte(`"` + body + `"`)
		if got, want := longString(raw), gjson.ParseBytes(raw).Str; got != want {
			t.Errorf("%s: %q, want %q", body, got, want)
		}
	}
}

// A long nested value is compacted as a short one is: white space inside its strings is kept.
func TestALongNestedValueCompactsAsAShortOne(t *testing.T) {
	for _, raw := range []string{`[{"a": "b c"}, {"d" : [1, 2]}]`, `{"a":"b c","d":"\" e"}`, "[\n\t\"x\\\\\" \"\r\n]"} {
		if got, want := longCompactJSON(raw), string(pretty.Ugly([]byte(raw))); got != want {
			t.Errorf("%s: %q, want %q", raw, got, want)
		}
	}
}

// A CSV cell is written as encoding/json writes a string, at the size reckoned for it, so that a
// row's object is made once and reads as before.
func TestACSVCellIsWrittenAsEncodingJSONWritesIt(t *testing.T) {
	cells := []string{"", "plain", "<a&b>", "\u2028\u2029", "caf\u00e9 \U0001F600", "\xff\xfe invalid", "\xe2\x82", `"quoted" \back`}
	for b := range 256 {
		cells = append(cells, string([]byte{'x', byte(b), 'y'}))
	}
	for _, cell := range cells {
		want, _ := json.Marshal(cell)
		got := appendJSONString(nil, cell)
		if !bytes.Equal(got, want) || jsonStringSize(cell) != len(want) {
			t.Errorf("%q: %s (reckoned %d), want %s", cell, got, jsonStringSize(cell), want)
		}
	}
	keys := []string{`"A"`, `"TimeGenerated"`, `"B"`}
	obj := csvObject(keys, []bool{false, true, false}, []string{`x"<`, "11/20/2026, 9:00:00.000 AM", ""})
	if string(obj) != `{"A":"x\"\u003c","TimeGenerated":"2026-11-20T09:00:00.0000000Z","B":null}` || cap(obj) != len(obj) || !utf8.Valid(obj) {
		t.Errorf("%s (room %d)", obj, cap(obj))
	}
}

// A value shorter than a batch lies in a buffer that the next batch or value is read into, so a
// row holds a copy of it: rows of many kilobyte-long values, over several batches, keep each its
// own, in a file of lines and in a document.
func TestValuesShorterThanABatchAreCopied(t *testing.T) {
	var lines []string
	for i := range 3 * batchSize / 4096 {
		lines = append(lines, fmt.Sprintf(`{"TimeGenerated":"2026-11-20T09:00:00Z","UserAgent":"%06d %s"}`, i, strings.Repeat("u", 4096)))
	}
	for name, text := range map[string]string{
		"lines.ndjson":  strings.Join(lines, "\n") + "\n",
		"document.json": "[" + strings.Join(lines, ",\n") + "]\n",
	} {
		rows := read(t, name, []byte(text), FormatAuto, nonInteractive).rows[nonInteractive]
		for i, row := range rows {
			if ua := row.Get("UserAgent").(string); !strings.HasPrefix(ua, fmt.Sprintf("%06d u", i)) || len(ua) != 4103 {
				t.Fatalf("%s: row %d holds %.20q...", name, i, ua)
			}
		}
		if len(rows) != len(lines) {
			t.Errorf("%s: %d rows of %d", name, len(rows), len(lines))
		}
	}
}
