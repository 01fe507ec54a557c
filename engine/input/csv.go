package input

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/schema"
)

// The Log Analytics portal's CSV export names a datetime column "TimeGenerated [UTC]" and writes
// its values as the portal shows them, in UTC to the millisecond: "11/20/2026, 9:00:01.123 AM".
const (
	utcSuffix      = " [UTC]"
	portalDatetime = "1/2/2006, 3:04:05 PM" // Go also reads the fraction after the seconds
)

// readCSV reads the portal's CSV export: a header row of column names, then one row per record,
// every value as text (JSON-holding columns as their JSON text). An empty cell is a null.
//
// Cells follow RFC 4180: a quoted cell may hold commas, doubled quotes and line ends. A row that
// cannot be read is reported and the next line is read; when the row ran over several lines (a
// quote that opens a cell and is never closed, or is closed where a cell cannot end), only its
// first line is taken as lost, and reading starts again at the line after it: a broken quote costs
// its row, not the rest of the file. Lines lost one after another that way are reported once, with
// their range.
func (f *fileReader) readCSV(in io.Reader) {
	rows := &csvRows{r: bufio.NewReaderSize(in, 64<<10), next: 1}
	rows.skipBlank()
	header, n, err := rows.row()
	if err != nil || n == 0 {
		if !f.broken() {
			reason, detail := "malformed CSV", "the header row: "
			if err == nil {
				detail += "no header row"
			} else if errors.Is(err, errTooLarge) {
				reason, detail = "record too large", detail+err.Error()
			} else {
				detail += err.Error()
			}
			f.reject(record.Source{File: f.name, Line: 1}, reason, detail+"; the rest of the file is not read")
		}
		return
	}
	keys := make([]string, len(header))
	datetimes := make([]bool, len(header))
	known := false
	for i, h := range header {
		name := strings.TrimSpace(h)
		name, datetimes[i] = strings.CutSuffix(name, utcSuffix)
		key, _ := json.Marshal(name)
		keys[i] = string(key)
		known = known || isKnownColumn(name)
	}
	if !known {
		f.reject(record.Source{File: f.name, Line: 1}, "unknown file shape",
			"neither JSON nor CSV with a header row of Log Analytics columns: "+snippet([]byte(strings.Join(header, ","))))
		return
	}
	rows.drop(n)
	var lost *Rejection // lines lost since a row that ran over lines failed, while no row is read
	report := func() {
		if lost != nil {
			f.sink.Reject(*lost)
			lost = nil
		}
	}
	for !f.broken() {
		rows.skipBlank()
		if !rows.fill(0) {
			break
		}
		line := rows.pending[0].number
		cells, n, err := rows.row()
		if err == nil && len(cells) != len(keys) {
			err = fmt.Errorf("%d fields for the header's %d columns", len(cells), len(keys))
		}
		if err == nil {
			report()
			rows.drop(n)
			f.record(csvObject(keys, datetimes, cells), record.Source{File: f.name, Line: line}, LogAnalytics)
			continue
		}
		if f.broken() {
			break
		}
		resync := n > 1
		rows.drop(1)
		if lost != nil && lost.LastLine+1 >= line {
			lost.LastLine = line
			continue
		}
		report()
		reason := "malformed CSV"
		if errors.Is(err, errTooLarge) {
			reason = "record too large"
		}
		rej := Rejection{Source: record.Source{File: f.name, Line: line}, Reason: reason, Detail: err.Error(), LastLine: line}
		if !resync {
			f.sink.Reject(rej)
			continue
		}
		rej.Detail += fmt.Sprintf("; the row ran on to line %d, so it is read again from line %d", line+n-1, line+1)
		lost = &rej
	}
	report()
}

// csvRows cuts CSV text into rows of cells, through a queue of the lines read ahead, so that a row
// that fails after running over several lines can be read again from its second line.
type csvRows struct {
	r       *bufio.Reader
	next    int // the number of the next line to read from r
	pending []csvLine
	eof     bool
	// text and ends hold a row's cells, one after another, while it is cut; cells, the row.
	text  []byte
	ends  []int
	cells []string
}

// csvLine is a line of CSV text without its line end. A line longer than maxValueSize keeps no
// text.
type csvLine struct {
	text    []byte
	number  int
	tooLong bool
}

// fill makes sure pending holds line k (counting from the first pending), reading it if need be;
// false at the end of the text.
func (c *csvRows) fill(k int) bool {
	for len(c.pending) <= k {
		if c.eof {
			return false
		}
		line := csvLine{number: c.next}
		c.next++
		var long longText // past batchSize, the line's text (see long.go)
		for {
			part, err := c.r.ReadSlice('\n')
			if !line.tooLong {
				switch size := len(line.text) + long.size + len(part); {
				case size > maxValueSize+1:
					line.tooLong, line.text, long = true, nil, longText{}
				case long.size == 0 && size <= batchSize:
					line.text = append(line.text, part...)
				default:
					long.add(part)
				}
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if err != nil {
				c.eof = true
				if len(part) == 0 && !line.tooLong && len(line.text) == 0 {
					c.next--
					return len(c.pending) > k
				}
			}
			break
		}
		if long.size > 0 {
			line.text = long.join(line.text, nil, 0)
		}
		line.text = bytes.TrimSuffix(bytes.TrimSuffix(line.text, []byte{'\n'}), []byte{'\r'})
		c.pending = append(c.pending, line)
	}
	return true
}

// drop takes the first n pending lines as read.
func (c *csvRows) drop(n int) {
	clear(c.pending[:n]) // a long line's text is not held past its row
	c.pending = c.pending[n:]
}

// skipBlank drops the blank lines ahead, which hold no row.
func (c *csvRows) skipBlank() {
	for c.fill(0) && !c.pending[0].tooLong && len(c.pending[0].text) == 0 {
		c.drop(1)
	}
}

// row reads the row that starts at the first pending line, and tells how many lines it takes (or,
// when it cannot be read, how many were read to find that out; 0 at the end of the text). The
// cells are valid until the next call.
func (c *csvRows) row() (cells []string, lines int, err error) {
	if !c.fill(0) {
		return nil, 0, nil
	}
	if c.pending[0].tooLong {
		return nil, 1, errTooLarge
	}
	c.text, c.ends = c.text[:0], c.ends[:0]
	if size := len(c.pending[0].text); isLong(size) && cap(c.text) < size {
		c.text = makeBuffer(0, size) // room for the cells of a long line at once, not by doubling
	}
	n, err := c.cut()
	if err != nil {
		return nil, n, err
	}
	// One string for the row, its cells slices of it: a long row's text is handed over, not
	// copied, and the next row gets a buffer of its own (see long.go).
	var all string
	if isLong(len(c.text)) {
		all, c.text = text(c.text), nil
	} else {
		all = string(c.text)
		if isLong(cap(c.text)) { // a long line of short cells: its buffer is not kept for the rows after
			c.text = nil
		}
	}
	c.cells = c.cells[:0]
	start := 0
	for _, end := range c.ends {
		c.cells = append(c.cells, all[start:end])
		start = end
	}
	return c.cells, n, nil
}

// cut cuts the row that starts at the first pending line into c.text and c.ends.
func (c *csvRows) cut() (lines int, err error) {
	k, pos, size := 0, 0, 0
	line := c.pending[0].text
	cell := c.text
	for {
		if pos < len(line) && line[pos] == '"' {
			pos++
			for {
				q := bytes.IndexByte(line[pos:], '"')
				if q < 0 {
					cell = append(appendCapped(cell, line[pos:]), '\n')
					size += len(line) + 1
					k++
					switch {
					case size > maxValueSize:
						return k, errTooLarge
					case !c.fill(k):
						return k, errors.New("a quoted cell is never closed")
					case c.pending[k].tooLong:
						return k + 1, errTooLarge
					}
					line, pos = c.pending[k].text, 0
					continue
				}
				cell = append(cell, line[pos:pos+q]...)
				pos += q + 1
				if pos < len(line) && line[pos] == '"' {
					cell = append(cell, '"')
					pos++
					continue
				}
				break
			}
			c.text, c.ends = cell, append(c.ends, len(cell))
			if pos == len(line) {
				return k + 1, nil
			}
			if line[pos] != ',' {
				return k + 1, fmt.Errorf("%s after the quote that closes cell %d", snippet(line[pos:]), len(c.ends))
			}
			pos++
			continue
		}
		end := bytes.IndexByte(line[pos:], ',')
		if end < 0 {
			end = len(line) - pos
		}
		field := line[pos : pos+end]
		if bytes.IndexByte(field, '"') >= 0 {
			return k + 1, fmt.Errorf("a quote inside cell %d, which is not quoted: %s", len(c.ends)+1, snippet(field))
		}
		cell = append(cell, field...)
		c.text, c.ends = cell, append(c.ends, len(cell))
		pos += end
		if pos == len(line) {
			return k + 1, nil
		}
		pos++ // the comma
	}
}

// csvObject makes a CSV row a JSON object of strings, nulls for empty cells, with the portal's
// datetimes rewritten as ISO 8601 (in cells, which it may change).
func csvObject(keys []string, datetimes []bool, cells []string) []byte {
	// Its exact size (braces; a key, a colon, a JSON string or null a cell, and commas between),
	// so that a long row's object is made once (see long.go).
	size := 1
	for i, cell := range cells {
		if datetimes[i] && cell != "" {
			if t, err := time.Parse(portalDatetime, strings.TrimSpace(cell)); err == nil {
				cells[i] = kql.FormatDatetime(t)
			}
		}
		size += len(keys[i]) + max(jsonStringSize(cells[i]), 4) + 2
	}
	obj := append(makeBuffer(0, size), '{')
	for i, cell := range cells {
		if i > 0 {
			obj = append(obj, ',')
		}
		obj = append(append(obj, keys[i]...), ':')
		if cell == "" {
			obj = append(obj, "null"...)
			continue
		}
		obj = appendJSONString(obj, cell)
	}
	return append(obj, '}')
}

// jsonStringSize is the length of appendJSONString's text of s.
func jsonStringSize(s string) int {
	size := len(s) + 2
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			switch {
			case b == '\\' || b == '"' || b == '\b' || b == '\f' || b == '\n' || b == '\r' || b == '\t':
				size++
			case b < ' ' || b == '<' || b == '>' || b == '&':
				size += 5
			}
			i++
			continue
		}
		c, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && n == 1:
			size += 5
		case c == '\u2028' || c == '\u2029':
			size += 3
		}
		i += n
	}
	return size
}

// appendJSONString appends s as a JSON string, as encoding/json writes it (HTML characters, U+2028
// and U+2029 escaped, invalid UTF-8 as U+FFFD), without the copies json.Marshal makes.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= ' ' && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(append(dst, s[start:i]...), `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(append(dst, s[start:i]...), '\\', 'u', '2', '0', '2', hex[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(dst, s[start:]...), '"')
}

// isKnownColumn tells whether name is a column of a known table.
func isKnownColumn(name string) bool {
	for _, t := range schema.Names() {
		if table, err := schema.Lookup(t); err == nil {
			if _, ok := table.Column(name); ok {
				return true
			}
		}
	}
	return false
}
