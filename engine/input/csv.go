package input

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

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
func (f *fileReader) readCSV(in io.Reader) {
	cr := csv.NewReader(in)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		if !f.broken() {
			f.reject(record.Source{File: f.name, Line: 1}, "malformed CSV", err.Error())
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
	for {
		cells, err := cr.Read()
		if err == io.EOF || f.broken() {
			return
		}
		var parseErr *csv.ParseError
		if errors.As(err, &parseErr) {
			f.reject(record.Source{File: f.name, Line: parseErr.StartLine}, "malformed CSV", parseErr.Err.Error())
			continue
		}
		if err != nil {
			return
		}
		line, _ := cr.FieldPos(0)
		src := record.Source{File: f.name, Line: line}
		if len(cells) != len(keys) {
			f.reject(src, "malformed CSV", fmt.Sprintf("%d fields for the header's %d columns", len(cells), len(keys)))
			continue
		}
		f.record(csvObject(keys, datetimes, cells), src, LogAnalytics)
	}
}

// csvObject makes a CSV row a JSON object of strings, nulls for empty cells, with the portal's
// datetimes rewritten as ISO 8601.
func csvObject(keys []string, datetimes []bool, cells []string) []byte {
	obj := []byte{'{'}
	for i, cell := range cells {
		if i > 0 {
			obj = append(obj, ',')
		}
		obj = append(append(obj, keys[i]...), ':')
		if cell == "" {
			obj = append(obj, "null"...)
			continue
		}
		if datetimes[i] {
			if t, err := time.Parse(portalDatetime, strings.TrimSpace(cell)); err == nil {
				cell = kql.FormatDatetime(t)
			}
		}
		text, _ := json.Marshal(cell)
		obj = append(obj, text...)
	}
	return append(obj, '}')
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
