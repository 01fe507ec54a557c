package rule

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/record"
)

// ReadTable reads the rows of a table lookup from the file at path, as KQL's externaldata reads
// its artifact (https://learn.microsoft.com/kusto/query/externaldata-operator): csv and tsv give a
// column per cell by position (a row with fewer cells has nulls in the rest, extra cells are
// left out); json (one object per line) and multijson (objects separated by white space, or a
// JSON array of them) give each column the property of its name. With ignoreFirstRecord the first
// record (a CSV header) is not a row. Each value is read as its column's type as ingestion reads
// it: a cell that is empty, or is not a value of the type, is null ("" for strings), as Azure Data
// Explorer stores data that does not fit its column
// (https://learn.microsoft.com/azure/data-explorer/ingest-invalid-data). Each row's source is the
// file and the line its record starts on. Like a list's, the file is a regular file within
// maxLookupSize, and no message quotes its content.
func ReadTable(path string, t *ExternalTable) ([]record.Row, error) {
	if err := regularWithin(path, maxLookupSize); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapPathError(err))
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	var rows []record.Row
	switch t.Format {
	case "json", "multijson":
		rows, err = readJSONTable(path, data, t)
	default:
		rows, err = readDelimitedTable(path, data, t)
	}
	if err != nil {
		return nil, err
	}
	if t.IgnoreFirstRecord && len(rows) > 0 {
		rows = rows[1:]
	}
	return rows, nil
}

func readDelimitedTable(path string, data []byte, t *ExternalTable) ([]record.Row, error) {
	reader := csv.NewReader(bytes.NewReader(data))
	reader.FieldsPerRecord = -1
	if t.Format == "tsv" {
		// TSV is CSV with tabs: a cell may be quoted as in CSV, and a quote inside a cell that is
		// not (JSON text) is part of it.
		reader.Comma = '\t'
		reader.LazyQuotes = true
	}
	var rows []record.Row
	var values record.Builder
	for {
		cells, err := reader.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%s:%d: malformed %s: %v", path, pe.StartLine, strings.ToUpper(t.Format), pe.Err)
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		line, _ := reader.FieldPos(0)
		for i, col := range t.Columns {
			if i < len(cells) {
				values.Set(col.Name, fromText(cells[i], col.Type))
			} else {
				values.Set(col.Name, col.Type.Zero())
			}
		}
		rows = append(rows, values.Row([]record.Source{{File: path, Line: line}}))
	}
}

func readJSONTable(path string, data []byte, t *ExternalTable) ([]record.Row, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	lineAt := func(offset int64) int { return 1 + bytes.Count(data[:offset], []byte("\n")) }
	// start is where the next record starts: past white space, and the comma between the elements
	// of an array.
	start := func() int64 {
		off := dec.InputOffset()
		for off < int64(len(data)) && strings.IndexByte(" \t\r\n,", data[off]) >= 0 {
			off++
		}
		return off
	}
	inArray := false
	if t.Format == "multijson" && bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("[")) {
		if _, err := dec.Token(); err != nil {
			return nil, fmt.Errorf("%s:1: malformed JSON", path)
		}
		inArray = true
	}
	var rows []record.Row
	var values record.Builder
	for {
		if inArray && !dec.More() {
			return rows, nil
		}
		at := start()
		var object map[string]json.RawMessage
		err := dec.Decode(&object)
		if err == io.EOF && !inArray {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: malformed JSON: each record is a JSON object", path, lineAt(at))
		}
		if t.Format == "json" && lineAt(at) != lineAt(dec.InputOffset()-1) {
			return nil, fmt.Errorf("%s:%d: format json holds one object per line; this one spans lines (format multijson reads it)", path, lineAt(at))
		}
		for _, col := range t.Columns {
			values.Set(col.Name, fromJSON(object[col.Name], col.Type))
		}
		rows = append(rows, values.Row([]record.Source{{File: path, Line: lineAt(at)}}))
	}
}

// fromJSON reads a property's JSON text as a value of type t: a JSON string as its text, a number
// or bool as its JSON text, an object or array as itself for dynamic and as its compact JSON text
// for string.
func fromJSON(raw json.RawMessage, t kql.Type) any {
	text := strings.TrimSpace(string(raw))
	if text == "" || text == "null" {
		return t.Zero()
	}
	if t == kql.Dynamic {
		return kql.ParseJSON(text)
	}
	if text[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return t.Zero()
		}
		return fromText(s, t)
	}
	if t == kql.String || t == kql.Guid {
		var compact bytes.Buffer
		if json.Compact(&compact, raw) == nil {
			return compact.String()
		}
	}
	return fromText(text, t)
}

// fromText reads a cell as a value of type t, null where it is not one.
func fromText(s string, t kql.Type) any {
	if t == kql.String || t == kql.Guid {
		return s
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	switch t {
	case kql.Long, kql.Int:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || t == kql.Int && (n > math.MaxInt32 || n < math.MinInt32) {
			return nil
		}
		return n
	case kql.Real:
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	case kql.Bool:
		switch strings.ToLower(s) {
		case "true":
			return true
		case "false":
			return false
		}
	case kql.Datetime:
		if d, err := kql.ParseDatetime(s); err == nil {
			return d
		}
	case kql.Timespan:
		if d, err := kql.ParseTimespan(s); err == nil {
			return d
		}
	case kql.Dynamic:
		return kql.ParseJSON(s)
	}
	return nil
}
