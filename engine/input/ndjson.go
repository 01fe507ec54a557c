// Package input reads sign-in log files into rows of a table's columns, typed as the table's
// schema says. A record that cannot be read is reported with its place and reason and skipped;
// it never stops the rest of the file.
package input

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/schema"
)

// Rejection is an input record that was not read, and why.
type Rejection struct {
	Source record.Source
	// Reason is a short, stable phrase to count rejections by ("malformed JSON", ...).
	Reason string
	// Detail says what exactly was wrong.
	Detail string
}

func (r Rejection) String() string {
	if r.Detail == "" {
		return fmt.Sprintf("%s: %s", r.Source, r.Reason)
	}
	return fmt.Sprintf("%s: %s: %s", r.Source, r.Reason, r.Detail)
}

// Reader reads Log Analytics rows of one table.
type Reader struct {
	table   string
	columns []schema.Column
	wanted  map[string]int // column name -> index in columns
}

// NewReader reads the columns of table named in want (every column when want is nil). Columns
// of the table that are not wanted are left out of rows; a wanted column a record lacks gets its
// type's zero value ("" for strings, null otherwise). A record whose Type column (Log Analytics
// names each row's table there) names another table is not a row of this one and is passed over.
func NewReader(table *schema.Table, want []string) *Reader {
	r := &Reader{table: table.Name, wanted: map[string]int{}}
	for _, col := range table.Columns {
		if want != nil && !containsString(want, col.Name) {
			continue
		}
		r.wanted[col.Name] = len(r.columns)
		r.columns = append(r.columns, col)
	}
	return r
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ReadNDJSON reads one JSON object per line from in, named file in sources and messages. Blank
// lines and rows of other tables are skipped; a UTF-8 byte order mark and CRLF line ends are
// accepted. Each row goes to emit, each rejected line to reject. The error is for a failure to
// read in at all.
func (r *Reader) ReadNDJSON(file string, in io.Reader, emit func(record.Row), reject func(Rejection)) error {
	br := bufio.NewReaderSize(in, 1<<20)
	for line := 1; ; line++ {
		text, err := br.ReadBytes('\n')
		if len(text) > 0 {
			if line == 1 {
				text = bytes.TrimPrefix(text, []byte("\ufeff"))
			}
			text = bytes.TrimRight(text, "\r\n")
			if len(bytes.TrimSpace(text)) > 0 {
				src := record.Source{File: file, Line: line}
				values, reason, detail := r.decode(text)
				switch {
				case reason != "":
					reject(Rejection{Source: src, Reason: reason, Detail: detail})
				case values != nil:
					emit(record.Row{Values: values, Sources: []record.Source{src}})
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %w", file, line, err)
		}
	}
}

// decode reads one record; reason is set when it cannot be read, and values is nil without a
// reason when the record is a row of another table.
func (r *Reader) decode(text []byte) (values map[string]any, reason, detail string) {
	if !gjson.ValidBytes(text) {
		return nil, "malformed JSON", snippet(text)
	}
	obj := gjson.ParseBytes(text)
	if !obj.IsObject() {
		return nil, "not a JSON object", snippet(text)
	}
	values = make(map[string]any, len(r.columns))
	otherTable := false
	obj.ForEach(func(key, value gjson.Result) bool {
		if key.Str == "Type" && value.Type == gjson.String && value.Str != "" && value.Str != r.table {
			otherTable = true
			return false
		}
		i, ok := r.wanted[key.Str]
		if !ok {
			return true
		}
		col := r.columns[i]
		v, err := convert(value, col.Type)
		if err != nil {
			reason, detail = "wrong type", fmt.Sprintf("%s: %v", col.Name, err)
			return false
		}
		values[col.Name] = v
		return true
	})
	if reason != "" || otherTable {
		return nil, reason, detail
	}
	for _, col := range r.columns {
		if _, ok := values[col.Name]; !ok {
			values[col.Name] = col.Type.Zero()
		}
	}
	return values, "", ""
}

func snippet(text []byte) string {
	const max = 60
	if len(text) > max {
		return strconv.Quote(string(text[:max])) + "..."
	}
	return strconv.Quote(string(text))
}

// convert reads a JSON value as a column of type t. JSON null is the type's zero value.
func convert(v gjson.Result, t kql.Type) (any, error) {
	if v.Type == gjson.Null {
		return t.Zero(), nil
	}
	switch t {
	case kql.String, kql.Guid:
		switch v.Type {
		case gjson.String:
			return v.Str, nil
		case gjson.True, gjson.False:
			return strconv.FormatBool(v.Bool()), nil
		}
		// A number or a nested value: its JSON text, as Log Analytics holds it.
		return v.Raw, nil
	case kql.Datetime:
		if v.Type != gjson.String {
			return nil, fmt.Errorf("want an ISO 8601 datetime string, got %s", v.Raw)
		}
		return kql.ParseDatetime(v.Str)
	case kql.Long, kql.Int:
		n, ok := kql.ToLong(numberValue(v))
		if !ok || (v.Type == gjson.String && strings.TrimSpace(v.Str) == "") {
			return nil, fmt.Errorf("want a whole number, got %s", v.Raw)
		}
		return n, nil
	case kql.Real:
		f, err := strconv.ParseFloat(strings.TrimSpace(numberText(v)), 64)
		if err != nil {
			return nil, fmt.Errorf("want a number, got %s", v.Raw)
		}
		return f, nil
	case kql.Bool:
		switch {
		case v.Type == gjson.True || v.Type == gjson.False:
			return v.Bool(), nil
		case v.Type == gjson.String && strings.EqualFold(v.Str, "true"):
			return true, nil
		case v.Type == gjson.String && strings.EqualFold(v.Str, "false"):
			return false, nil
		}
		return nil, fmt.Errorf("want true or false, got %s", v.Raw)
	case kql.Timespan:
		if v.Type != gjson.String {
			return nil, fmt.Errorf("want a timespan string, got %s", v.Raw)
		}
		return kql.ParseTimespan(v.Str)
	}
	// dynamic: exports write it as JSON, or as a string holding JSON.
	if v.Type == gjson.String {
		return kql.ParseJSON(v.Str), nil
	}
	return kql.ParseJSON(v.Raw), nil
}

func numberValue(v gjson.Result) any {
	if v.Type == gjson.String {
		return v.Str
	}
	if v.Type != gjson.Number {
		return nil
	}
	if i, err := strconv.ParseInt(v.Raw, 10, 64); err == nil {
		return i
	}
	return v.Num
}

func numberText(v gjson.Result) string {
	if v.Type == gjson.String {
		return v.Str
	}
	if v.Type == gjson.Number {
		return v.Raw
	}
	return ""
}
