// Package output writes alerts: as NDJSON (one JSON object per alert, the rule's projected
// columns as top-level keys in projection order, values printed as Log Analytics prints them), as
// an aligned table to read in a terminal, or as CSV; and writes an output file atomically.
package output

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/record"
)

// The reserved keys of an alert: the rule that raised it (what a responder triages by: id, name,
// severity, tactics, techniques and file), the newest TimeGenerated of the records it was made
// from, the instant of the hunt that first found it (detect hunt only), and those records
// ("file:line" each).
const (
	RuleKey    = "_rule"
	TimeKey    = "_time"
	WindowKey  = "_window"
	SourcesKey = "_sources"
	// EntitiesKey holds the entities a rule's entityMappings name (Sentinel's alert entities):
	// written only for rules that have entity mappings.
	EntitiesKey = "_entities"
	// IDKey is the alert's id, written in a stream (see Alert.ID).
	IDKey = "_id"
)

// RuleRef identifies the rule that raised an alert.
type RuleRef struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Severity   string   `json:"severity,omitempty"`
	Tactics    []string `json:"tactics,omitempty"`
	Techniques []string `json:"techniques,omitempty"`
	File       string   `json:"file"`
}

// Alert is one result row of a rule.
type Alert struct {
	Rule    *RuleRef
	Columns []string
	Row     record.Row
	// Entities are the rule's entity mappings, filled from the row when written.
	Entities []EntityMapping
	// ID, when set, is written as the alert's last key (see Identity).
	ID string
	// Window is the instant of the hunt evaluation that first found the alert; zero outside a hunt.
	Window time.Time
}

// Identity is what tells an alert from every other, the same in every run over the same input: a
// hash of its rule's id, its columns' values and the records it was made from. A resumed stream
// uses it not to write an alert again.
func (a Alert) Identity() string {
	var buf bytes.Buffer
	writeJSON(&buf, a.Rule.ID)
	for _, col := range a.Columns {
		writeJSON(&buf, col)
		writeJSON(&buf, Value(a.Row.Get(col)))
	}
	writeJSON(&buf, a.sources())
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:16])
}

// Time is the newest TimeGenerated of the records the alert was made from (zero when none of
// them had one).
func (a Alert) Time() time.Time {
	var newest time.Time
	for _, s := range a.Row.Sources {
		if s.Time.After(newest) {
			newest = s.Time
		}
	}
	return newest
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
			v := Value(a.Row.Get(f.Column))
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
var Formats = []string{"ndjson", "table", "list", "csv"}

// Options shape what New writes.
type Options struct {
	// Rules lists each rule's projected columns, in the order the rules run: a CSV file has one
	// header row for all of them.
	Rules [][]string
	// Columns, when set, are the only columns of a rule a table or list shows (those it projects).
	Columns []string
	// Width is the line a table fits and a list wraps at (0: 120).
	Width int
}

func (o Options) width() int {
	if o.Width <= 0 {
		return 120
	}
	return o.Width
}

// pick is the columns of a rule's that Columns picks, in Columns' order, or all of them.
func (o Options) pick(columns []string) []string {
	if len(o.Columns) == 0 {
		return columns
	}
	var out []string
	for _, c := range o.Columns {
		if slices.Contains(columns, c) {
			out = append(out, c)
		}
	}
	return out
}

// New writes alerts to w in format.
func New(format string, w io.Writer, opts Options) (Writer, error) {
	switch format {
	case "ndjson":
		return NewNDJSON(w), nil
	case "table":
		return newTable(w, opts), nil
	case "list":
		return &list{w: bufio.NewWriter(w), opts: opts}, nil
	case "csv":
		return newCSV(w, opts.Rules), nil
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
		writeJSON(&buf, Value(a.Row.Get(col)))
		buf.WriteByte(',')
	}
	writeJSON(&buf, RuleKey)
	buf.WriteByte(':')
	writeJSON(&buf, a.Rule)
	buf.WriteByte(',')
	if t := a.Time(); !t.IsZero() {
		writeJSON(&buf, TimeKey)
		buf.WriteByte(':')
		writeJSON(&buf, kql.FormatDatetime(t))
		buf.WriteByte(',')
	}
	if !a.Window.IsZero() {
		writeJSON(&buf, WindowKey)
		buf.WriteByte(':')
		writeJSON(&buf, kql.FormatDatetime(a.Window))
		buf.WriteByte(',')
	}
	if len(a.Entities) > 0 {
		writeJSON(&buf, EntitiesKey)
		buf.WriteByte(':')
		a.entities(&buf)
		buf.WriteByte(',')
	}
	writeJSON(&buf, SourcesKey)
	buf.WriteByte(':')
	writeJSON(&buf, a.sources())
	if a.ID != "" {
		buf.WriteByte(',')
		writeJSON(&buf, IDKey)
		buf.WriteByte(':')
		writeJSON(&buf, a.ID)
	}
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
