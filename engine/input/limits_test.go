package input

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/signin-detect/detect/engine/record"
)

// lowerValueLimit lowers the record size limit for one test, so that going past it costs
// megabytes, not hundreds of them.
func lowerValueLimit(t *testing.T, size int) {
	old := maxValueSize
	maxValueSize = size
	t.Cleanup(func() { maxValueSize = old })
}

func ndjsonRows(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"TimeGenerated":"2026-11-20T09:00:%02d.5Z","AppId":"app-%d"}`+"\n", i%60, i)
	}
	return b.String()
}

// compressedZeros writes n zero bytes through gzip or zstd, at their best compression: the bombs
// of the red-team pass (1 GB of zeros is a 1 MB gzip file, a 33 KB zstd one).
func compressedZeros(t testing.TB, n int, useZstd bool, prefix string) []byte {
	var out bytes.Buffer
	var w io.WriteCloser
	if useZstd {
		zw, err := zstd.NewWriter(&out, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
		if err != nil {
			t.Fatal(err)
		}
		w = zw
	} else {
		w, _ = gzip.NewWriterLevel(&out, gzip.BestCompression)
	}
	if _, err := io.WriteString(w, prefix); err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, len(zeros))
		if _, err := w.Write(zeros[:k]); err != nil {
			t.Fatal(err)
		}
		n -= k
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// Zeros, compressed or not, are binary data: rejected at once, before any of them is kept.
func TestZerosAreNoShape(t *testing.T) {
	for name, data := range map[string][]byte{
		"zeros.gz":  compressedZeros(t, 8<<20, false, ""),
		"zeros.zst": compressedZeros(t, 8<<20, true, ""),
		"zeros":     make([]byte, 1<<20),
		"few-zeros": make([]byte, 100),
	} {
		c := read(t, name, data, FormatAuto, nonInteractive)
		if got := c.rejections(); !strings.HasPrefix(got, name+": unknown file shape: ") || len(c.rejected) != 1 {
			t.Errorf("%s: %s", name, got)
		}
	}
}

// A compressed file that expands more than MaxRatio times is stopped past ratioGrace, and one
// that expands past MaxDecompressed at that size; the records before are read.
func TestDecompressionLimits(t *testing.T) {
	records := ndjsonRows(10)
	bomb := compressedZeros(t, 0, false, records+strings.Repeat("\n", 40<<20))
	c := read(t, "bomb.ndjson.gz", bomb, FormatAuto, nonInteractive)
	if len(c.rows[nonInteractive]) != 10 || len(c.rejected) != 1 || c.rejected[0].Reason != "decompression limit" ||
		!strings.Contains(c.rejected[0].Detail, "over 200 times its size (--max-ratio)") {
		t.Errorf("a bomb of line ends: %d rows, %s", len(c.rows[nonInteractive]), c.rejections())
	}

	r, err := NewReader(wants(t, nonInteractive), FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	r.SetLimits(Limits{MaxDecompressed: 1 << 20})
	big := ndjsonRows(40000) // about 3 MB
	for name, data := range map[string][]byte{"big.ndjson.gz": gzipped(t, big), "big.ndjson.zst": zstded(t, big)} {
		c := &collected{rows: map[string][]record.Row{}, other: map[string]int{}}
		r.Read(name, bytes.NewReader(data), c)
		n := len(c.rows[nonInteractive])
		if n == 0 || n >= 40000 || len(c.rejected) != 1 || c.rejected[0].Reason != "decompression limit" ||
			!strings.Contains(c.rejected[0].Detail, "expands past 1 MB (--max-decompressed)") || c.rejected[0].Source.Line != n+1 {
			t.Errorf("%s: %d rows, %s", name, n, c.rejections())
		}
	}
	if c := read(t, "big.ndjson", []byte(big), FormatAuto, nonInteractive); len(c.rows[nonInteractive]) != 40000 {
		t.Errorf("an uncompressed file is not limited: %d rows, %s", len(c.rows[nonInteractive]), c.rejections())
	}
}

// Every path keeps to the record size limit: a line, a CSV row, a field of a wrapper object, the
// fields a wrapper gathers, a value in a pretty-printed document. Each is reported as too large and
// the records after it are read.
func TestEveryPathKeepsToTheRecordSizeLimit(t *testing.T) {
	lowerValueLimit(t, 1<<20)
	long := strings.Repeat("x", 1<<20)
	half := strings.Repeat("y", 600<<10)
	cases := []struct{ name, text, want string }{
		{"line.ndjson", `{"AppId":"` + long + `"}` + "\n" + ndjsonRows(2), "line.ndjson:1: record too large"},
		{"cell.csv", "TimeGenerated [UTC],AppId\n\"11/20/2026, 9:00:01.123 AM\",\"" + long + "\"\n\"11/20/2026, 9:00:01.123 AM\",a\n\"11/20/2026, 9:00:01.123 AM\",b\n",
			"cell.csv:2: record too large"},
		{"quoted.csv", "TimeGenerated [UTC],AppId\n\"11/20/2026, 9:00:01.123 AM\",\"" + strings.Repeat(half+"\n", 2) + "\"\n\"11/20/2026, 9:00:01.123 AM\",a\n\"11/20/2026, 9:00:01.123 AM\",b\n",
			"cell.csv:2: record too large"},
		{"wrapper.json", `{"@odata.context":"` + half + `","@odata.nextLink":"` + half + `","AppId":"a"}` + "\n" + ndjsonRows(2), "wrapper.json:1: record too large"},
		{"document.json", "[\n{\"AppId\":\"" + long + "\"},\n{\"TimeGenerated\":\"2026-11-20T09:00:00Z\"},\n{\"TimeGenerated\":\"2026-11-20T09:00:01Z\"}\n]\n", "document.json:2#1: record too large"},
	}
	for _, c := range cases {
		got := read(t, c.name, []byte(c.text), FormatAuto, nonInteractive)
		if len(got.rows[nonInteractive]) != 2 || len(got.rejected) != 1 || !strings.HasPrefix(got.rejected[0].String(), strings.Replace(c.want, "cell.csv", c.name, 1)) {
			t.Errorf("%s: %d rows, rejections:\n%s\nwant %s", c.name, len(got.rows[nonInteractive]), got.rejections(), c.want)
		}
	}
}

// A broken quote costs its row: the red-team file of 999 rows with an unclosed quote in the second
// lost 998 of them, reported as one rejection.
func TestCSVStartsAgainAfterABrokenQuote(t *testing.T) {
	var b strings.Builder
	b.WriteString("TimeGenerated [UTC],AppId,UserAgent\r\n")
	for i := range 999 {
		agent := fmt.Sprintf("agent %d", i)
		switch i {
		case 1:
			agent = `"Mozilla/5.0 (unclosed`
		case 500:
			agent = "\"two\r\nlines\"" // a quoted line end is a cell's, not a break
		case 700:
			agent = `"closed" late`
		}
		fmt.Fprintf(&b, "\"11/20/2026, 9:%02d:01.123 AM\",app-%d,%s\r\n", i%60, i, agent)
	}
	c := read(t, "export.csv", []byte(b.String()), FormatAuto, nonInteractive)
	rows := c.rows[nonInteractive]
	want := "export.csv:3: malformed CSV: \"11/20/2026, 9:02:01.123 AM\\\",app-2,agent 2\" after the quote that closes cell 3; the row ran on to line 4, so it is read again from line 4\n" +
		"export.csv:703: malformed CSV: \" late\" after the quote that closes cell 3"
	if len(rows) != 997 || c.rejections() != want {
		t.Fatalf("%d rows, rejections:\n%s\nwant:\n%s", len(rows), c.rejections(), want)
	}
	if rows[1].Get("AppId") != "app-2" || rows[1].Sources[0].Line != 4 || rows[499].Get("UserAgent") != "two\nlines" {
		t.Errorf("rows after the break: %v %v", rows[1].Get("AppId"), rows[499].Get("UserAgent"))
	}

	// A quote closed on a later line, where no cell can end: the lines it ran over are read again,
	// and the line it broke is lost with its range.
	text := "TimeGenerated [UTC],AppId,UserAgent\n" +
		"\"11/20/2026, 9:00:01.123 AM\",a,\"broken\n" +
		"\"11/20/2026, 9:00:02.123 AM\",b,fine\n" +
		"\"11/20/2026, 9:00:03.123 AM\",c,\"{\"\"quoted\"\":1}\"\n"
	c = read(t, "late.csv", []byte(text), FormatAuto, nonInteractive)
	if len(c.rows[nonInteractive]) != 2 || len(c.rejected) != 1 || c.rejected[0].Source.Line != 2 {
		t.Errorf("%d rows, rejections:\n%s", len(c.rows[nonInteractive]), c.rejections())
	}
	// A quote never closed: the row runs to the end of the file, and is read again from the next line.
	text = "TimeGenerated [UTC],AppId,UserAgent\n" +
		"\"11/20/2026, 9:00:01.123 AM\",a,\"broken\n" +
		",b,fine\n" +
		",c,fine\n"
	c = read(t, "never.csv", []byte(text), FormatAuto, nonInteractive)
	if len(c.rows[nonInteractive]) != 2 || len(c.rejected) != 1 ||
		c.rejected[0].String() != "never.csv:2: malformed CSV: a quoted cell is never closed; the row ran on to line 4, so it is read again from line 3" {
		t.Errorf("%d rows, rejections:\n%s", len(c.rows[nonInteractive]), c.rejections())
	}
}

// An NDJSON file whose first record is spread over lines is read as lines: a broken line below
// costs that line, not the rest of the file (the red-team file lost 60 of 120 records).
func TestAFirstRecordSpreadOverLinesDoesNotMakeADocument(t *testing.T) {
	lines := strings.Split(strings.TrimSuffix(ndjsonRows(120), "\n"), "\n")
	lines[0] = "{\n  \"TimeGenerated\": \"2026-11-20T08:59:59Z\",\n  \"AppId\": \"first\"\n}"
	lines[60] = `{"TimeGenerated":"2026-11-20T09:00:00Z","AppId":"broken`
	c := read(t, "export.ndjson", []byte(strings.Join(lines, "\n")+"\n"), FormatAuto, nonInteractive)
	rows := c.rows[nonInteractive]
	if len(rows) != 119 || c.rejections() != "export.ndjson:64: malformed JSON: the line ends inside a JSON string" {
		t.Fatalf("%d rows, rejections:\n%s", len(rows), c.rejections())
	}
	if rows[0].Get("AppId") != "first" || rows[1].Sources[0].Line != 5 || rows[118].Sources[0].Line != 123 {
		t.Errorf("rows %v at %v, last at %v", rows[0].Get("AppId"), rows[1].Sources, rows[118].Sources)
	}
	// Pretty-printed records one after another are still a document.
	pretty := "{\n  \"AppId\": \"a\"\n}\n{\n  \"AppId\": \"b\"\n}\n"
	if c := read(t, "pretty.json", []byte(pretty), FormatAuto, nonInteractive); len(c.rows[nonInteractive]) != 2 || len(c.rejected) != 0 {
		t.Errorf("pretty records: %d rows, %s", len(c.rows[nonInteractive]), c.rejections())
	}
}

// The README's grammar for datetimes: YYYY-MM-DDThh:mm:ss, 0 to 7 fractional digits, Z or an
// offset. The portal CSV's own format is read as before.
func TestDatetimesFollowTheGrammar(t *testing.T) {
	for text, want := range map[string]string{
		"2026-11-20T09:00:00Z":                "",
		"2026-11-20T09:00:00.1234567Z":        "",
		"2026-11-20T09:00:00.1+02:00":         "",
		"0001-01-01T00:00:00Z":                "",
		"0000-01-01T00:00:00Z":                "year 0000",
		"2026-11-20 09:00:00Z":                "a space where the T goes",
		"2026-11-20T09:00:00":                 "no time zone: want Z or an offset such as +02:00",
		"2026-11-20T09:00:00.12345678Z":       "8 fractional digits, more than the 7 of a tick",
		"2026-11-20T09:00:00.Z":               "a point without digits",
		"2026-11-20T09:00:00 UTC":             "want Z or an offset such as +02:00 after the time",
		"2026-11-20":                          notDatetime,
		"20/11/2026 08:30":                    notDatetime,
		"2026-11-20T09:00:00.1234567Z trails": "want Z or an offset such as +02:00 after the time",
	} {
		if got := datetimeGrammar(text); got != want {
			t.Errorf("%q: %q, want %q", text, got, want)
		}
		row := `{"TimeGenerated":"` + text + `","AppId":"a"}`
		c := read(t, "in.ndjson", []byte(row), FormatAuto, nonInteractive)
		if read := len(c.rows[nonInteractive]) == 1; read != (want == "") {
			t.Errorf("%q read %v: %s", text, read, c.rejections())
		}
	}
	csv := "TimeGenerated [UTC],AppId\n\"11/20/2026, 9:00:01.123 PM\",a\n"
	if c := read(t, "export.csv", []byte(csv), FormatAuto, nonInteractive); len(c.rows[nonInteractive]) != 1 {
		t.Errorf("the portal's datetime: %s", c.rejections())
	}
}

// A record dated past now plus the skew is rejected as dated in the future, filtered or not.
func TestRecordsDatedInTheFutureAreRejected(t *testing.T) {
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	text := `{"TimeGenerated":"2026-11-20T09:00:00Z","AppId":"a"}` + "\n" +
		`{"TimeGenerated":"9999-12-31T23:59:59Z","AppId":"b"}` + "\n" +
		`{"TimeGenerated":"2026-11-21T23:59:59Z","AppId":"c"}` + "\n" +
		`{"TimeGenerated":"2026-11-22T00:00:01Z","AppId":"d"}` + "\n"
	for _, filtered := range []bool{false, true} {
		c := readLimited(t, text, Limits{Now: now, FutureSkew: 24 * time.Hour}, filtered)
		wantRejected := "in.ndjson:2: dated in the future: TimeGenerated 9999-12-31T23:59:59.0000000Z is later than now plus the allowed clock skew (--future-skew)\n" +
			"in.ndjson:4: dated in the future: TimeGenerated 2026-11-22T00:00:01.0000000Z is later than now plus the allowed clock skew (--future-skew)"
		if got := len(c.rows[nonInteractive]) + len(c.filtered); got != 2 || c.rejections() != wantRejected {
			t.Errorf("filtered %v: %d rows and filtered, rejections:\n%s", filtered, got, c.rejections())
		}
	}
}

// readLimited reads text as in.ndjson under limits, with a filter keeping AppId "a" (and
// reporting the time of the others) when filtered.
func readLimited(t *testing.T, text string, limits Limits, filtered bool) *collected {
	want := wants(t, nonInteractive)
	if filtered {
		want[0].Filter = oneTest([]string{"AppId"}, "TimeGenerated", func(v map[string]any) bool { return v["AppId"] == "a" })
	}
	r, err := NewReader(want, FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	r.SetLimits(limits)
	c := &collected{rows: map[string][]record.Row{}, other: map[string]int{}}
	r.Read("in.ndjson", strings.NewReader(text), c)
	return c
}

// A stream dates the future from the clock as each record is read (FollowClock): a record past
// the current time plus the skew is rejected, filtered or not, and one within it is read.
func TestAStreamDatesTheFutureFromTheClock(t *testing.T) {
	at := func(d time.Duration) string { return time.Now().UTC().Add(d).Format("2006-01-02T15:04:05Z") }
	text := `{"TimeGenerated":"` + at(-time.Hour) + `","AppId":"a"}` + "\n" +
		`{"TimeGenerated":"` + at(3*time.Hour) + `","AppId":"b"}` + "\n" +
		`{"TimeGenerated":"` + at(30*time.Minute) + `","AppId":"c"}` + "\n" +
		`{"TimeGenerated":"` + at(3*time.Hour) + `","AppId":"a"}` + "\n"
	for _, filtered := range []bool{false, true} {
		c := readLimited(t, text, Limits{FollowClock: true, FutureSkew: time.Hour}, filtered)
		got := c.rejections()
		if n := len(c.rows[nonInteractive]) + len(c.filtered); n != 2 || !strings.HasPrefix(got, "in.ndjson:2: dated in the future") ||
			!strings.Contains(got, "\nin.ndjson:4: dated in the future") {
			t.Errorf("filtered %v: %d rows and filtered, rejections:\n%s", filtered, n, got)
		}
	}
}

// Lines around a batch's size and the record limit: each long one is read whole or rejected at its
// line, and the lines after it are read, to the last one without a line end.
func TestLongLinesAroundTheBatchAndTheLimit(t *testing.T) {
	lowerValueLimit(t, 3<<20)
	record := func(size int) string { // a record of size bytes
		head := `{"AppId":"`
		return head + strings.Repeat("x", size-len(head)-2) + `"}`
	}
	sizes := []int{20, batchSize - 1, batchSize, batchSize + 1, 3<<20 - 1, 3 << 20, 3<<20 + 1, 20, 5 << 20, batchSize + batchSize/3, 30}
	var text strings.Builder
	for i, size := range sizes {
		text.WriteString(record(size))
		if i < len(sizes)-1 {
			text.WriteString("\n")
		}
	}
	for _, last := range []string{"", "\n"} {
		c := read(t, "long.ndjson", []byte(text.String()+last), FormatAuto, nonInteractive)
		var got []int
		for _, row := range c.rows[nonInteractive] {
			got = append(got, len(row.Get("AppId").(string))+12)
			if want := sizes[row.Sources[0].Line-1]; got[len(got)-1] != want {
				t.Errorf("line %d: %d bytes, want %d", row.Sources[0].Line, got[len(got)-1], want)
			}
		}
		want := "long.ndjson:7: record too large: over the 256 MB limit of a record\nlong.ndjson:9: record too large: over the 256 MB limit of a record"
		if len(got) != len(sizes)-2 || c.rejections() != want {
			t.Errorf("last line end %q: rows of %v, rejections:\n%s", last, got, c.rejections())
		}
	}
}

// A record gathered by the wrapper path (an object whose first field is a wrapper's, with no
// records in it) whose first field is long takes that field's text in place, moved up to make
// room for its key; the record reads whole, as one of short fields does, whether its line is
// read as a line or the file as a document.
func TestAWrapperRecordWithALongFirstFieldReadsWhole(t *testing.T) {
	long := strings.Repeat("x", batchSize+1000)
	record := `{"@odata.context":"` + long + `","AppId":"a","TimeGenerated":"2026-11-20T09:00:00Z"}`
	for name, text := range map[string]string{
		"line.json":     record + "\n" + ndjsonRows(1),
		"document.json": "[\n" + record + ",\n" + strings.TrimSuffix(ndjsonRows(1), "\n") + "\n]\n",
		"pretty.json":   strings.Replace(record, `{"@odata.context":`, "{\n  \"@odata.context\" : ", 1) + "\n",
	} {
		got := read(t, name, []byte(text), FormatAuto, nonInteractive)
		rows := got.rows[nonInteractive]
		if len(got.rejected) != 0 || len(rows) == 0 || rows[0].Get("AppId") != "a" || rows[0].Get("TimeGenerated") != time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC) {
			t.Errorf("%s: %d rows, rejections:\n%s", name, len(rows), got.rejections())
		}
	}
}

// A table no rule reads is counted under its own name, though records are read in place from a
// buffer the next record overwrites.
func TestAnotherTablesNameOutlivesItsRecord(t *testing.T) {
	text := `[{"Type":"Custom_CL","AppId":"a"},{"Type":"Zebra_CL","AppId":"bb"},{"Type":"Custom_CL","AppId":"c"}]` + "\n"
	got := read(t, "others.json", []byte(text), FormatAuto, nonInteractive)
	if len(got.other) != 2 || got.other["Custom_CL"] != 2 || got.other["Zebra_CL"] != 1 {
		t.Errorf("other tables: %v", got.other)
	}
}
