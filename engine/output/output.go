// Package output writes alerts: as NDJSON (one JSON object per alert, the rule's projected
// columns as top-level keys in projection order, values printed as Log Analytics prints them), as
// an aligned table to read in a terminal, or as CSV; and writes an output file atomically.
package output

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/record"
)

// RuleKey and SourcesKey are the reserved keys of an alert: the rule that raised it (id, name
// and file), and the input records it was made from ("file:line" each).
const (
	RuleKey    = "_rule"
	SourcesKey = "_sources"
	// EntitiesKey holds the entities a rule's entityMappings name (Sentinel's alert entities):
	// written only for rules that have entity mappings.
	EntitiesKey = "_entities"
)

// RuleRef identifies the rule that raised an alert.
type RuleRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	File string `json:"file"`
}

// Alert is one result row of a rule.
type Alert struct {
	Rule    RuleRef
	Columns []string
	Row     record.Row
	// Entities are the rule's entity mappings, filled from the row when written.
	Entities []EntityMapping
}

// EntityMapping is one entity of an alert: its type and, for each identifier, the column that
// holds it.
type EntityMapping struct {
	Type   string
	Fields []EntityField
}

// EntityField names the column that holds one identifier of an entity.
type EntityField struct {
	Identifier, Column string
}

// entities writes the alert's entities: each {"type": T, identifier: value, ...}, leaving out an
// identifier whose column is null or empty, and an entity with none, as Sentinel does not make an
// entity without identifiers.
// https://learn.microsoft.com/azure/sentinel/map-data-fields-to-entities
func (a Alert) entities(buf *bytes.Buffer) {
	buf.WriteByte('[')
	first := true
	for _, e := range a.Entities {
		var fields bytes.Buffer
		for _, f := range e.Fields {
			v := Value(a.Row.Values[f.Column])
			if v == nil || v == "" || !projects(a.Columns, f.Column) {
				continue
			}
			fields.WriteByte(',')
			writeJSON(&fields, f.Identifier)
			fields.WriteByte(':')
			writeJSON(&fields, v)
		}
		if fields.Len() == 0 {
			continue
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		buf.WriteString(`{"type":`)
		writeJSON(buf, e.Type)
		buf.Write(fields.Bytes())
		buf.WriteByte('}')
	}
	buf.WriteByte(']')
}

// Writer writes alerts in one format; call Flush when done.
type Writer interface {
	Write(Alert) error
	Flush() error
}

// Formats are the formats New writes.
var Formats = []string{"ndjson", "table", "csv"}

// New writes alerts to w in format. columns lists each rule's projected columns, in the order
// the rules run: a CSV file has one header row for all of them.
func New(format string, w io.Writer, columns [][]string) (Writer, error) {
	switch format {
	case "ndjson":
		return NewNDJSON(w), nil
	case "table":
		return newTable(w), nil
	case "csv":
		return newCSV(w, columns), nil
	}
	return nil, fmt.Errorf("unknown output format %q (want %s)", format, strings.Join(Formats, ", "))
}

// NDJSON writes alerts as NDJSON.
type NDJSON struct {
	w *bufio.Writer
}

// NewNDJSON writes to w.
func NewNDJSON(w io.Writer) *NDJSON { return &NDJSON{w: bufio.NewWriter(w)} }

// Write writes one alert as a line of JSON.
func (w *NDJSON) Write(a Alert) error {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for _, col := range a.Columns {
		writeJSON(&buf, col)
		buf.WriteByte(':')
		writeJSON(&buf, Value(a.Row.Values[col]))
		buf.WriteByte(',')
	}
	writeJSON(&buf, RuleKey)
	buf.WriteByte(':')
	writeJSON(&buf, a.Rule)
	buf.WriteByte(',')
	if len(a.Entities) > 0 {
		writeJSON(&buf, EntitiesKey)
		buf.WriteByte(':')
		a.entities(&buf)
		buf.WriteByte(',')
	}
	writeJSON(&buf, SourcesKey)
	buf.WriteByte(':')
	writeJSON(&buf, a.sources())
	buf.WriteString("}\n")
	_, err := w.w.Write(buf.Bytes())
	return err
}

// Flush writes what is buffered.
func (w *NDJSON) Flush() error { return w.w.Flush() }

// sources names the input records the alert was made from, "file:line" each.
func (a Alert) sources() []string {
	out := make([]string, len(a.Row.Sources))
	for i, s := range a.Row.Sources {
		out[i] = s.String()
	}
	return out
}

// Value turns a KQL value into what its JSON form holds: datetimes as Log Analytics prints them
// (2026-11-20T09:00:01.1234567Z), timespans as KQL prints them, a real that JSON cannot hold as
// null.
func Value(v any) any {
	switch x := v.(type) {
	case time.Time:
		return kql.FormatDatetime(x)
	case time.Duration:
		return kql.FormatTimespan(x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
	}
	return v
}

func writeJSON(buf *bytes.Buffer, v any) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		buf.WriteString("null")
		return
	}
	buf.Truncate(buf.Len() - 1) // Encode ends with a newline
}
