package input

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tidwall/gjson"

	"github.com/signin-detect/detect/engine/record"
)

// jsonReader reads the records of a JSON file. In one-line mode (NDJSON, PT1H.json blobs, Event
// Hubs batches one per line) each line holds a value and a bad line is reported and skipped; in
// document mode (pretty-printed documents, one after another) the file is one stream of values and
// reading stops at the first place it cannot be cut into values.
//
// A value is a record (an object); an array of records; or a wrapper object whose array field
// holds them: {"records":[...]} (diagnostic settings), {"value":[...]} (a Graph page) or
// {"tables":[{"columns":[...],"rows":[[...]]}]} (the Log Analytics query API). Arrays and
// wrappers are read one element at a time, so that a large export is never held whole in memory
// (a query API table, whose rows need its columns, is read whole).
type jsonReader struct {
	f *fileReader
	s *scanner
}

// wrapperFields are the fields a wrapper object may start with; an object starting with another
// field is read whole, as a record.
var wrapperFields = map[string]bool{
	"records": true, "value": true, "tables": true,
	"@odata.context": true, "@odata.nextLink": true, "@odata.count": true,
}

func (f *fileReader) readJSON(r *bufio.Reader, oneLine bool) {
	j := &jsonReader{f: f, s: newScanner(r, oneLine)}
	j.readAll(oneLine)
}

// readAll reads every value of the scanner's text.
func (j *jsonReader) readAll(oneLine bool) {
	f := j.f
	for {
		c, err := j.s.peek(false)
		if err != nil {
			return
		}
		line := j.s.line
		err = j.top(c, line)
		if err == nil {
			continue
		}
		if f.broken() {
			return // the stream broke off: reported once, by Read
		}
		if errors.Is(err, errEnd) {
			err = syntaxErrorf("the file ends inside a JSON value")
		}
		if oneLine {
			f.reject(record.Source{File: f.name, Line: line}, "malformed JSON", err.Error())
			j.s.skipLine()
			continue
		}
		at := j.s.line
		f.sink.Reject(Rejection{Source: record.Source{File: f.name, Line: at}, Reason: "malformed JSON",
			Detail:   fmt.Sprintf("%v (in the JSON text starting at line %d); the rest of the file cannot be read", err, line),
			LastLine: max(at, j.s.drain())})
		return
	}
}

// top reads one top-level value. Several may stand on one line; in one-line mode, a rejected one
// costs the rest of its line, so that a line of garbage is reported once.
func (j *jsonReader) top(c byte, line int) error {
	take := func(raw []byte, src record.Source) { j.f.record(raw, src, "") }
	switch {
	case c == '[':
		return j.array(take)
	case c == '{' && wrapperFields[j.s.firstKey()]:
		return j.wrapper(line)
	}
	raw, err := j.s.value()
	return j.element(raw, err, record.Source{File: j.f.name, Line: line}, func(raw []byte, src record.Source) {
		if !j.f.record(raw, src, "") && j.s.oneLine {
			j.s.skipLine()
		}
	})
}

// element hands a value to take, or reports it when it was too large to keep.
func (j *jsonReader) element(raw []byte, err error, src record.Source, take func([]byte, record.Source)) error {
	if errors.Is(err, errTooLarge) {
		j.f.reject(src, "record too large", err.Error())
		return nil
	}
	if err != nil {
		return err
	}
	take(raw, src)
	return nil
}

// array reads an array, handing each element to take with its line and position.
func (j *jsonReader) array(take func([]byte, record.Source)) error {
	j.s.next() // [
	index := 0
	for {
		c, err := j.s.peek(true)
		if err != nil {
			return err
		}
		if c == ']' {
			j.s.next()
			return nil
		}
		if index > 0 {
			if c != ',' {
				return syntaxErrorf("expected ',' or ']' after element %d of an array, found %q", index, c)
			}
			j.s.next()
			if c, err = j.s.peek(true); err != nil {
				return err
			}
			if c == ']' { // a trailing comma
				j.s.next()
				return nil
			}
		}
		index++
		src := record.Source{File: j.f.name, Line: j.s.line, Index: index}
		raw, err := j.s.value()
		if err := j.element(raw, err, src, take); err != nil {
			return err
		}
	}
}

// wrapper reads an object that holds records in an array field. Other fields (@odata.context,
// @odata.nextLink, ...) are skipped. If no such array turns up, the object was a record after
// all, and is read as one.
func (j *jsonReader) wrapper(line int) error {
	j.s.next()        // {
	var fields []byte // the fields read, should this be a record
	wrapped, tooLarge := false, false
	for n := 0; ; n++ {
		c, err := j.s.peek(true)
		if err != nil {
			return err
		}
		if c == '}' {
			j.s.next()
			break
		}
		if n > 0 {
			if c != ',' {
				return syntaxErrorf("expected ',' or '}' after a field, found %q", c)
			}
			j.s.next()
		}
		keyRaw, err := j.s.value()
		if err != nil {
			return err
		}
		key := gjson.ParseBytes(keyRaw)
		if key.Type != gjson.String {
			return syntaxErrorf("expected a field name, found %s", snippet(keyRaw))
		}
		keyText := append([]byte(nil), keyRaw...)
		if err := j.s.expect(':', "after a field name"); err != nil {
			return err
		}
		if c, err = j.s.peek(true); err != nil {
			return err
		}
		switch {
		case c == '[' && (key.Str == "records" || key.Str == "value"):
			wrapped = true
			shape := Diagnostic
			if key.Str == "value" {
				shape = Graph
			}
			err = j.array(func(raw []byte, src record.Source) { j.f.record(raw, src, shape) })
		case c == '[' && key.Str == "tables":
			wrapped = true
			err = j.array(j.f.queryTable)
		default:
			// Gathered for a record, a field is read only as far as the record's room left: a
			// field that does not fit is not kept beside those before it.
			room := maxValueSize
			if !wrapped && !tooLarge {
				room = max(maxValueSize-len(fields)-len(keyText)-2, 0)
			}
			var raw []byte
			raw, err = j.s.valueWithin(room)
			if errors.Is(err, errTooLarge) {
				err, tooLarge, fields = nil, true, nil
			}
			if err == nil && !wrapped && !tooLarge {
				if prefix := len(keyText) + 2; fields == nil && isLong(len(raw)) && cap(raw)-len(raw) >= prefix {
					// A long first field becomes the gathered fields in the buffer it was handed in, moved
					// up to make room for its key, rather than copied beside it.
					fields = raw[:len(raw)+prefix]
					copy(fields[prefix:], raw)
					fields[0], fields[prefix-1] = ',', ':'
					copy(fields[1:], keyText)
				} else {
					fields = appendCapped(append(append(append(fields, ','), keyText...), ':'), raw)
				}
			}
		}
		if err != nil {
			return err
		}
	}
	if !wrapped && tooLarge {
		j.f.reject(record.Source{File: j.f.name, Line: line}, "record too large", errTooLarge.Error())
		return nil
	}
	if !wrapped {
		if len(fields) > 0 {
			fields[0] = '{'
		} else {
			fields = []byte{'{'}
		}
		j.f.record(append(fields, '}'), record.Source{File: j.f.name, Line: line}, "")
	}
	return nil
}

// queryTable reads a table of a query API response: {"name":..., "columns":[{"name":...,
// "type":...}], "rows":[[...], ...]}. Each row becomes a record of the named columns.
func (f *fileReader) queryTable(raw []byte, src record.Source) {
	table := gjson.ParseBytes(raw)
	if !gjson.ValidBytes(raw) || !table.IsObject() {
		f.rejectMalformed(raw, src)
		return
	}
	var names []string
	for _, col := range table.Get("columns").Array() {
		name := col.Get("name")
		if name.Type != gjson.String {
			f.reject(src, "malformed query result", "a column without a name: "+snippet([]byte(col.Raw)))
			return
		}
		names = append(names, name.Raw)
	}
	rows := table.Get("rows")
	if !rows.IsArray() {
		f.reject(src, "malformed query result", "a table without rows")
		return
	}
	// Each row's line: its offset inside the table's text, counted in newlines, one row after another.
	line, counted := src.Line, 0
	lineAt := func(offset int) int {
		if offset > counted && offset <= len(raw) { // gjson's offset, 0 when it does not know it
			line += bytes.Count(raw[counted:offset], []byte{'\n'})
			counted = offset
		}
		return line
	}
	index := 0
	rows.ForEach(func(_, row gjson.Result) bool {
		index++
		rowSrc := record.Source{File: f.name, Line: lineAt(row.Index), Index: index}
		obj, err := rowObject(names, row)
		if err != nil {
			f.reject(rowSrc, "malformed query result", err.Error())
			return true
		}
		f.record(obj, rowSrc, LogAnalytics)
		return true
	})
}

// rowObject pairs a query result row with the column names (JSON string literals) as an object.
func rowObject(names []string, row gjson.Result) ([]byte, error) {
	if !row.IsArray() {
		return nil, fmt.Errorf("a row is not an array: %s", snippet([]byte(row.Raw)))
	}
	obj := []byte{'{'}
	i := 0
	row.ForEach(func(_, v gjson.Result) bool {
		if i < len(names) {
			if i > 0 {
				obj = append(obj, ',')
			}
			obj = append(append(append(obj, names[i]...), ':'), v.Raw...)
		}
		i++
		return true
	})
	if i != len(names) {
		return nil, fmt.Errorf("a row of %d values for %d columns", i, len(names))
	}
	return append(obj, '}'), nil
}

// malformedDetail says what is wrong with JSON text that gjson found invalid, in encoding/json's
// words, with the text's start.
func malformedDetail(raw []byte) string {
	var out bytes.Buffer
	if err := json.Compact(&out, raw); err != nil {
		return err.Error() + ": " + snippet(raw)
	}
	return snippet(raw)
}
