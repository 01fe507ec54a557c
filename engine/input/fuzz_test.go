package input

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/schema"
)

// The fuzz targets feed every reader arbitrary bytes (seeds: testdata/fuzz/<target>/ and the
// f.Add calls). Whatever the input, a reader must not panic or hang, must name every rejection's
// file, give it a known reason and a place inside the input, and give rows that carry every
// column of their table. `make fuzz` runs each for FUZZTIME.

// reasons are the rejection reasons the readers give.
var reasons = map[string]bool{
	"malformed JSON": true, "not a JSON object": true, "wrong type": true, "unknown table": true,
	"record too large": true, "malformed query result": true, "malformed CSV": true,
	"unknown file shape": true, "empty file": true, "corrupt compressed data": true, "unsupported compression": true,
	"read error": true, "decompression limit": true, "dated in the future": true, "not a regular file": true,
}

// seeds are small inputs of every shape, for the targets without a corpus of their own.
var seeds = []string{
	`{"TimeGenerated":"2026-11-20T09:00:00Z","Type":"AADNonInteractiveUserSignInLogs","AppId":"a","DeviceDetail":"{\"isCompliant\":true}"}` + "\n",
	`{ "time": "2026-11-20T09:00:00Z", "category": "SignInLogs", "properties": {"appId":"a","status":{"errorCode":0},"deviceDetail":{"isCompliant":true}}}` + "\n",
	"{\n  \"@odata.context\": \"x\",\n  \"value\": [\n    {\"createdDateTime\": \"2026-11-20T09:00:00Z\", \"isInteractive\": false}\n  ]\n}\n",
	`{"records":[{"time":"2026-11-20T09:00:00Z","category":"NonInteractiveUserSignInLogs","properties":{}}]}` + "\n",
	`{"tables":[{"name":"PrimaryResult","columns":[{"name":"TimeGenerated","type":"datetime"},{"name":"AppId","type":"string"}],"rows":[["2026-11-20T09:00:00Z","a"]]}]}`,
	"[\n  {\"AppId\": \"a\", \"DurationMs\": 3},\n  {\"AppId\": tru}\n]\n",
	"TimeGenerated [UTC],AppId,IsInteractive\r\n\"11/20/2026, 9:00:01.123 AM\",a,false\r\n",
}

// check asserts what holds for any input. lines is the number of lines of the (decompressed)
// input, or 0 when it is not known.
func check(t *testing.T, c *collected, lines int) {
	t.Helper()
	within := func(src record.Source) bool {
		return src.File == "fuzz" && src.Line >= 0 && (lines == 0 || src.Line <= lines) && src.Index >= 0
	}
	for _, r := range c.rejected {
		if !reasons[r.Reason] || !within(r.Source) || r.LastLine != 0 && (r.LastLine < r.Source.Line || lines != 0 && r.LastLine > lines) {
			t.Fatalf("rejection %q: unknown reason or a place outside the input (%d lines)", r, lines)
		}
	}
	for table, rows := range c.rows {
		schemaTable, err := schema.Lookup(table)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			if row.Len() != len(schemaTable.Columns) || len(row.Sources) != 1 || !within(row.Sources[0]) || row.Sources[0].Line < 1 {
				t.Fatalf("row of %s: %d columns, sources %v", table, row.Len(), row.Sources)
			}
		}
	}
}

// outcomes counts what a read gave: rows, records of other tables, filtered records, and the
// lines rejections cover (a rejection covers one, or its range).
func (c *collected) outcomes() int {
	n := len(c.filtered)
	for _, rows := range c.rows {
		n += len(rows)
	}
	for _, k := range c.other {
		n += k
	}
	for _, r := range c.rejected {
		n += max(1, r.LastLine-r.Source.Line+1)
	}
	return n
}

// emptyArray is an empty JSON array, which holds no record.
var emptyArray = regexp.MustCompile(`\[[ \t\r]*\]`)

// conserved checks, for a file of JSON lines, that every record is read or reported: each line
// that is not JSON white space gives at least one outcome (a row, a record of another table, a
// rejection), unless it holds an empty array (a wrapper of no records).
func conserved(t *testing.T, data []byte, c *collected) {
	t.Helper()
	want := 0
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		if len(bytes.Trim(line, " \t\r")) > 0 && !emptyArray.Match(line) {
			want++
		}
	}
	if got := c.outcomes(); got < want {
		t.Fatalf("%q: %d lines hold records, %d read or reported:\n%s", data, want, got, c.rejections())
	}
}

// startsWithMagic tells whether data starts like a compressed file, which the text inside a
// compressed file is not taken for.
func startsWithMagic(data []byte) bool {
	if bytes.HasPrefix(data, gzipMagic) || bytes.HasPrefix(data, zstdMagic) {
		return true
	}
	for _, m := range unpacked {
		if bytes.HasPrefix(data, m) {
			return true
		}
	}
	return false
}

func lineCount(data []byte) int { return bytes.Count(data, []byte{'\n'}) + 1 }

// readPart runs one reader of fileReader over data, with both tables wanted.
func readPart(t *testing.T, data []byte, part func(*fileReader, *bufio.Reader)) *collected {
	r, err := NewReader(wants(t, nonInteractive, interactive), FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	c := &collected{rows: map[string][]record.Row{}, other: map[string]int{}}
	part(&fileReader{Reader: r, name: "fuzz", sink: c, lines: &lineCounter{}}, bufio.NewReader(bytes.NewReader(data)))
	return c
}

func addSeeds(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
}

// FuzzRead is the whole of Read: decompression, framing and shape found from the content.
func FuzzRead(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, tables := range [][]string{{nonInteractive}, {nonInteractive, interactive}} {
			c := read(t, "fuzz", data, FormatAuto, tables...)
			lines := lineCount(data)
			if startsWithMagic(data) {
				lines = 0
			}
			check(t, c, lines)
			if framing, _ := sniffFraming(bufio.NewReaderSize(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))), sniffSize), FormatAuto, false); framing == framingLines && lines != 0 {
				conserved(t, data, c)
			}
		}
	})
}

// FuzzReadJSONLines is the NDJSON reader: one value per line, a bad line skipped.
func FuzzReadJSONLines(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		c := readPart(t, data, func(fr *fileReader, r *bufio.Reader) { fr.readJSON(r, true) })
		check(t, c, lineCount(data))
		conserved(t, data, c)
	})
}

// FuzzReadJSONDocument is the JSON document reader: arrays, wrappers and pages, element by
// element.
func FuzzReadJSONDocument(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		c := readPart(t, data, func(fr *fileReader, r *bufio.Reader) { fr.readJSON(r, false) })
		check(t, c, lineCount(data))
	})
}

// FuzzReadCSV is the portal CSV reader over arbitrary text, and over rows of arbitrary cells that
// encoding/csv writes (quoting commas, quotes and line ends), where every row must be read or
// reported: rows, other tables' records and rejections add up to the rows written. A broken quote
// put into one of them may cost that row, and at most the one after it whose quote closed it, never
// the rest.
func FuzzReadCSV(f *testing.F) {
	addSeeds(f)
	f.Add([]byte("a,b\x00\"c\nd\x00e,f"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := readPart(t, data, func(fr *fileReader, r *bufio.Reader) { fr.readCSV(r) })
		check(t, c, lineCount(data))

		var text bytes.Buffer
		w := csv.NewWriter(&text)
		w.Write([]string{"TimeGenerated [UTC]", "AppId", "UserAgent", "Type"})
		rows := 0
		for _, cells := range bytes.Split(data, []byte{0}) {
			parts := strings.SplitN(string(cells), ",", 3)
			for len(parts) < 3 {
				parts = append(parts, "")
			}
			w.Write([]string{"11/20/2026, 9:00:01.123 AM", parts[0], parts[1], []string{nonInteractive, interactive, "Other", ""}[len(parts[2])%4]})
			rows++
		}
		w.Flush()
		written := readPart(t, text.Bytes(), func(fr *fileReader, r *bufio.Reader) { fr.readCSV(r) })
		if got := written.outcomes(); got != rows {
			t.Fatalf("%q: %d rows written, %d read or reported:\n%s", text.Bytes(), rows, got, written.rejections())
		}
		// A quote that opens a cell and is never closed, on the last line of the first row.
		lines := bytes.SplitAfterN(text.Bytes(), []byte{'\n'}, 2)
		header, body := lines[0], lines[1]
		first := csvRowEnd(body)
		broken := append(append(append(append([]byte(nil), header...), body[:first-1]...), `,"`...), body[first-1:]...)
		after := readPart(t, broken, func(fr *fileReader, r *bufio.Reader) { fr.readCSV(r) })
		if got := after.outcomes(); got+2 < rows {
			t.Fatalf("%q: %d rows written, one broken, %d read or reported:\n%s", broken, rows, got, after.rejections())
		}
	})
}

// csvRowEnd is the offset just past the first row of CSV text that encoding/csv wrote.
func csvRowEnd(text []byte) int {
	quoted := false
	for i, c := range text {
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\n' && !quoted:
			return i + 1
		}
	}
	return len(text)
}

// FuzzReadCompressed compresses text with gzip or zstd, cuts the result at cut, and reads it:
// whatever was read must come from the text, and a cut file must be reported.
func FuzzReadCompressed(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s), uint16(0), false)
		f.Add([]byte(s), uint16(20), true)
	}
	f.Fuzz(func(t *testing.T, text []byte, cut uint16, useZstd bool) {
		data := gzipped(t, string(text))
		if useZstd {
			data = zstded(t, string(text))
		}
		cutShort := int(cut) > 0 && int(cut) < len(data)
		if cutShort {
			data = data[:cut]
		}
		c := read(t, "fuzz", data, FormatAuto, nonInteractive, interactive)
		check(t, c, lineCount(text))
		whole := read(t, "fuzz", text, FormatAuto, nonInteractive, interactive)
		if !cutShort && !startsWithMagic(text) && (len(c.rejected) != len(whole.rejected) || len(c.rows[nonInteractive]) != len(whole.rows[nonInteractive])) {
			t.Fatalf("compressed: %d rows, %d rejected; plain: %d rows, %d rejected",
				len(c.rows[nonInteractive]), len(c.rejected), len(whole.rows[nonInteractive]), len(whole.rejected))
		}
		if cutShort && len(c.rejected) == 0 && len(c.rows[nonInteractive])+len(c.rows[interactive]) == 0 {
			t.Fatalf("a cut compressed file read silently as nothing")
		}
	})
}

// FuzzScanner cuts arbitrary text into values through a 16-byte buffer and a large one, in both
// modes: the values, errors and lines must be the same, whatever straddles the buffer's end.
func FuzzScanner(f *testing.F) {
	addSeeds(f)
	f.Add([]byte(`"a\\\"b\\\\\"c\\\\" {"x":"\\"} [1,{"y":[2,"]"]}]` + "\n" + `{"z": 1`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, oneLine := range []bool{true, false} {
			cut := func(size int) (out []string) {
				s := newScanner(bufio.NewReaderSize(bytes.NewReader(data), size), oneLine)
				for len(out) < 10000 {
					raw, err := s.value()
					line := fmt.Sprint(s.line, s.afterNewline)
					if errors.Is(err, errEnd) {
						return append(out, "end "+line)
					}
					if err != nil {
						out = append(out, err.Error()+" "+line)
						s.skipLine()
						continue
					}
					out = append(out, string(raw)+" "+line)
				}
				return out
			}
			small, large := cut(16), cut(1<<20)
			if strings.Join(small, "\n") != strings.Join(large, "\n") {
				t.Fatalf("one-line %v: through 16 bytes:\n%q\nthrough 1 MB:\n%q", oneLine, small, large)
			}
		}
	})
}

// cutRecord accepts exactly the objects without a line break that gjson.Valid accepts, and cuts
// them into the fields the two-pass fields() cuts, whatever keys it knows from the record before.
// Followed by other text, it ends its record where the record ends.
func FuzzCutRecord(f *testing.F) {
	for _, seed := range []string{`{}`, ` {"a":1} `, `{"a":"x\"y","b":[1,2,{"c":null}],"d":-0.5e+3}`, `{"a":01}`, `{"a":"\u00e9\ud83d"}`,
		`{"a":"\u00g9"}`, `{"a":tru}`, `{"a":1,}`, `{"a":[1,]}`, `{"a" : "b" , "c":{ } }`, "{\"a\":\"\t\"}", `{"a":"12345678\\"}`,
		`{"AppId":"fc780465-2017-40d4-a0c5-307022471b92","DeviceDetail":"{\"browser\":\"Rich Client 5.2.0.0\"}"}`, `{"a":-}`, `{"a":1.}`, `{"a":1e}`,
		`{"a":"\"##\"#\\]]"}`, `{"a":"x\]"}`, "{\"a\":\"\x01  \"}", `{"a":"1234567\"#"}`,
		// long enough for 32-byte steps: escapes on both sides of a step's end
		`{"DeviceDetail":"{\"browser\":\"Rich Client 5.2.0.0\",\"deviceId\":\"000001d0-1b7c\",\"isCompliant\":false}","b":1}`,
		`{"a":"0123456789012345678901234567890\\\"23456789012345678901234567890\\\\\u00e9x"}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var keys []string
		got, ok := cutRecord(data, nil, &keys)
		// Again, with the keys it had, and with those of another record: the keys known from the
		// record before change nothing but the speed.
		if again, okAgain := cutRecord(data, nil, &keys); okAgain != ok || !reflect.DeepEqual(again, got) {
			t.Fatalf("with the keys known: %v %q, without: %v %q", okAgain, again, ok, got)
		}
		other := []string{"a", "AppId", `a\"`, "b"}
		if again, okAgain := cutRecord(data, nil, &other); okAgain != ok || !reflect.DeepEqual(again, got) {
			t.Fatalf("with other keys known: %v %q, without: %v %q", okAgain, again, ok, got)
		}
		trimmed := bytes.TrimLeft(data, " \t\r\n")
		want := gjson.ValidBytes(data) && len(trimmed) > 0 && trimmed[0] == '{' && bytes.IndexByte(data, '\n') < 0
		if ok {
			// The record, another line after it.
			more := append(append(append([]byte(nil), data...), "\n{\"a\":1}"...), data...)
			if again, sameKeys, end, okAgain := cutRecordAt(more, nil, &keys); !okAgain || end != len(data) || !reflect.DeepEqual(again, got) {
				t.Fatalf("followed by another line: %v, ends at %d of %d (same keys %v)", okAgain, end, len(data), sameKeys)
			}
		}
		if ok != want {
			if !ok && bytes.Count(data, []byte{'['})+bytes.Count(data, []byte{'{'}) > maxDepth {
				return // deeper than cutRecord follows
			}
			t.Fatalf("cutRecord %v, gjson.Valid %v: %q", ok, want, data)
		}
		if ok {
			if fs := fields(data, nil); !reflect.DeepEqual(got, fs) {
				t.Fatalf("fields %q, want %q", got, fs)
			}
		}
	})
}

// FuzzLinesInBatches is the lines reader (batches of lines parsed at once, each record cut in one
// pass that also finds where its line ends) against the scanner reading each line alone: the same
// rows from the same lines, and the same rejections.
func FuzzLinesInBatches(f *testing.F) {
	addSeeds(f)
	for _, s := range []string{"{\"AppId\":\"a\"}\r\n{\"AppId\":\n\"b\"}\n  {\"AppId\":\"c\"}  \n{\"AppId\":\"d\"} {\"AppId\":\"e\"}\n{}\n{\"value\":[{\"AppId\":\"f\"}]}",
		"{\"AppId\":\"a\",\"DurationMs\":\"x\"}\n{\"AppId\":\"a\",\"DurationMs\":1}\n{\"DurationMs\":1,\"AppId\":\"a\"}\n\v\n\"\\\n0", "{}\n{\"a\":\"x\\ \n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		batches := readPart(t, data, func(fr *fileReader, r *bufio.Reader) { fr.readLines(r, 1) })
		alone := readPart(t, data, func(fr *fileReader, _ *bufio.Reader) {
			for i, line := range bytes.Split(data, []byte{'\n'}) {
				s := newScanner(bufio.NewReader(bytes.NewReader(append(line, '\n'))), true)
				s.line = i + 1
				(&jsonReader{f: fr, s: s}).readAll(true)
			}
		})
		if !reflect.DeepEqual(batches.rows, alone.rows) {
			t.Fatalf("%q: rows in batches:\n%v\nline by line:\n%v", data, batches.rows, alone.rows)
		}
		if got, want := batches.rejections(), alone.rejections(); got != want {
			t.Fatalf("%q: rejections in batches:\n%s\nline by line:\n%s", data, got, want)
		}
		conserved(t, data, batches)
	})
}
