// Package input reads exported Entra ID sign-in logs, in every shape they come in, into rows of
// the Log Analytics tables that rules read, typed as the tables' schemas say.
//
// A file's framing (NDJSON lines, JSON documents, CSV) and its records' shape (Log Analytics
// rows, diagnostic settings records, Microsoft Graph sign-ins) are found from its content, after
// gzip or zstd is taken off by its magic bytes. How each shape's fields become a table's columns,
// and which table a record belongs to, is data: mappings/*.yaml. A record that cannot be read is
// reported, with its file, line (and position in its array) and the reason, and the rest is read:
// nothing is dropped silently, and no input stops a run.
package input

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/schema"
)

// Rejection is an input record (or file) that was not read, and why.
type Rejection struct {
	Source record.Source
	// Reason is a short, stable phrase to count rejections by ("malformed JSON", ...).
	Reason string
	// Detail says what exactly was wrong.
	Detail string
	// LastLine, when after Source.Line, is the last line the rejected text covers: every line
	// from Source.Line to it was not read.
	LastLine int
}

func (r Rejection) String() string {
	out := fmt.Sprintf("%s: %s", r.Source, r.Reason)
	if r.Detail != "" {
		out += ": " + r.Detail
	}
	if r.LastLine > r.Source.Line {
		out += fmt.Sprintf(" (lines %d to %d not read)", r.Source.Line, r.LastLine)
	}
	return out
}

// Sink receives what a Reader reads.
type Sink interface {
	// Row is a record of a table the reader was asked for.
	Row(table string, row record.Row)
	// Other is a record of a table the reader was not asked for (such as SigninLogs when only
	// AADNonInteractiveUserSignInLogs is read): not an error, but counted.
	Other(table string)
	Reject(Rejection)
	// Filtered is a record of a table the reader was asked for that failed the table's Filter: no
	// row was made of it. dated tells that it has a time in the filter's Time column, at.
	Filtered(table string, at time.Time, dated bool)
}

// Format is what --input-format names: Auto finds each file's shape from its content; the others
// impose one.
type Format string

// The formats. LogAnalytics, Diagnostic and Graph impose the records' shape (their framing, NDJSON
// or JSON documents, is still found from the content); CSV imposes the portal's CSV export.
const (
	FormatAuto         Format = "auto"
	FormatLogAnalytics Format = Format(LogAnalytics)
	FormatDiagnostic   Format = Format(Diagnostic)
	FormatGraph        Format = Format(Graph)
	FormatCSV          Format = "csv"
)

// Formats lists the formats, for help texts.
var Formats = []Format{FormatAuto, FormatLogAnalytics, FormatDiagnostic, FormatGraph, FormatCSV}

// ParseFormat reads a --input-format value.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown input format %q (want %s)", s, strings.Join(names, ", "))
}

// Want is a table to read and the columns of it to keep (nil for every column), and, when Filter
// is set, the test its records must pass for their rows to be made.
type Want struct {
	Table   *schema.Table
	Columns []string
	Filter  *Filter
}

// Filter tells which of several targets (the rules that read a table, say) a record can reach, by
// tests over a few columns that most records fail: a reader decodes those columns first, and the
// rest only for the records that reach some target. A record that reaches none is still checked
// for every wanted column of a type that can be wrong (a datetime, a number, a bool), so that the
// same records are rejected with or without a filter. Files of JSON lines are filtered; other
// files are read whole, their rows reaching every target.
type Filter struct {
	// Conditions are the tests the targets are reached by. Each must give the same answer for the
	// same values: a reader keeps its answers for the values it saw, for the conditions whose
	// columns repeat their values.
	Conditions []Condition
	// Targets are what a record may reach.
	Targets []Target
	// Time is the wanted datetime column whose value a record that reaches no target still
	// reports to Sink.Filtered (the span of the input counts it); "" reports none. It is read
	// without boxing the time: most records of a run are filtered out.
	Time string
}

// Condition is a test over some of a Filter's columns.
type Condition struct {
	// Columns lists the columns the test reads; they must be among the wanted ones.
	Columns []string
	// NewTest returns the test for one goroutine; it reads a row that holds at least Columns.
	NewTest func() func(values map[string]any) bool
}

// Target is reached by a record that meets every condition of one of its Ways (indexes into
// Filter.Conditions); every record reaches a target without ways.
type Target struct {
	Ways [][]int
	// Lookbacks are conditions of Ways that say how far back the target looks. Missed, when set, is
	// called (on a reading goroutine) for a record that does not reach the target but meets every
	// other condition of one of its ways; holds answers any condition for that record.
	Lookbacks []int
	Missed    func(holds func(condition int) bool)
}

// Reach is the set of a Filter's targets a record reaches; nil is every target, the zero Reach
// none.
type Reach struct{ bits []uint64 }

// Has tells whether the record reaches target i.
func (r *Reach) Has(i int) bool {
	return r == nil || (i/64 < len(r.bits) && r.bits[i/64]&(1<<(i%64)) != 0)
}

// GobEncode writes the set, for a stream's checkpoint (one byte first, so that no set is empty).
func (r *Reach) GobEncode() ([]byte, error) {
	out := []byte{1}
	for _, b := range r.bits {
		out = binary.LittleEndian.AppendUint64(out, b)
	}
	return out, nil
}

// GobDecode reads what GobEncode wrote.
func (r *Reach) GobDecode(data []byte) error {
	if len(data) == 0 || (len(data)-1)%8 != 0 {
		return errors.New("a reach set of a checkpoint is cut short")
	}
	r.bits = nil
	for data = data[1:]; len(data) > 0; data = data[8:] {
		r.bits = append(r.bits, binary.LittleEndian.Uint64(data))
	}
	return nil
}

// ReachSink is a Sink told which targets each row of a table with a Filter reaches, and where each
// record that reaches none was read: the reader calls RowReaching instead of Row, and FilteredAt
// instead of Filtered, for the records of a filtered table.
type ReachSink interface {
	RowReaching(table string, row record.Row, reach *Reach)
	FilteredAt(table string, at time.Time, dated bool, src record.Source)
}

// Reader reads files into rows of the wanted tables.
type Reader struct {
	format Format
	// routers tell a record's table, per shape; converters make its row, per shape and table.
	routers    map[Shape]*router
	converters map[Shape]map[string]*converter
	// defaultTable takes the records whose table cannot be told, when only one table is read.
	defaultTable string
	wanted       []string
	limits       Limits
}

// NewReader reads the wanted tables' columns from files of the given format.
func NewReader(want []Want, format Format) (*Reader, error) {
	mappings, err := loadMappings()
	if err != nil {
		return nil, err
	}
	r := &Reader{format: format, limits: DefaultLimits, routers: map[Shape]*router{}, converters: map[Shape]map[string]*converter{}}
	byShape := map[Shape][]*mapping{}
	mapped := map[string]bool{}
	for _, m := range mappings {
		byShape[m.shape] = append(byShape[m.shape], m)
		mapped[m.table.Name] = true
	}
	for _, w := range want {
		if !mapped[w.Table.Name] {
			byShape[LogAnalytics] = append(byShape[LogAnalytics], logAnalyticsMapping(w.Table))
			mapped[w.Table.Name] = true
		}
	}
	for shape, ms := range byShape {
		if r.routers[shape], err = newRouter(ms); err != nil {
			return nil, err
		}
		r.converters[shape] = map[string]*converter{}
		for _, m := range ms {
			for _, w := range want {
				if w.Table.Name == m.table.Name {
					r.converters[shape][m.table.Name] = newConverter(m, w.Columns, w.Filter)
				}
			}
		}
	}
	for _, w := range want {
		r.wanted = append(r.wanted, w.Table.Name)
	}
	if len(want) == 1 {
		r.defaultTable = want[0].Table.Name
	}
	return r, nil
}

// TableOfUntold names the table of the records that do not tell theirs (a Log Analytics export
// without Type), in place of the one table the rules read.
func (r *Reader) TableOfUntold(table string) { r.defaultTable = table }

// fileReader is the reading of one file.
type fileReader struct {
	*Reader
	name  string
	sink  Sink
	shape Shape // the records' shape, once known
	lines *lineCounter
	// live input is read as it arrives (see ReadLive).
	live bool
	// fields is room for the fields of the record being read (by record, one at a time).
	fields []field
}

// Read reads the records of one file, named name in sources and messages, from in. gzip and zstd
// are taken off by their magic bytes. Everything read or rejected goes to sink; a file that
// breaks off (a truncated gzip file) is reported at the line it broke off, after the records
// before it.
func (r *Reader) Read(name string, in io.Reader, sink Sink) {
	r.read(name, in, sink, false)
}

// ReadLive is Read for input that arrives over time (a pipe, standard input): each record goes to
// sink as soon as its line has arrived, not once a batch of lines has.
func (r *Reader) ReadLive(name string, in io.Reader, sink Sink) {
	r.read(name, in, sink, true)
}

func (r *Reader) read(name string, in io.Reader, sink Sink, live bool) {
	f := &fileReader{Reader: r, name: name, sink: sink, live: live}
	at, start, end, seekable := spanOf(in)
	counted := &countingReader{r: in}
	packed := bufio.NewReaderSize(counted, 64<<10)
	plain, compression, closer, err := decompress(packed)
	if err != nil {
		reason := "corrupt compressed data"
		var unsupported *unsupportedError
		if errors.As(err, &unsupported) {
			reason = "unsupported compression"
		}
		f.reject(record.Source{File: name}, reason, err.Error())
		return
	}
	if closer != nil {
		defer closer()
	}
	if compression != "" {
		plain = &expansionLimit{r: plain, packed: counted, compression: compression, limits: r.limits}
	}
	f.lines = &lineCounter{r: plain}
	text := bufio.NewReaderSize(f.lines, 256<<10)
	if bom, _ := text.Peek(3); string(bom) == "\ufeff" {
		_, _ = text.Discard(3)
	}
	switch framing, detail := sniffFraming(text, r.format, f.live); framing {
	case framingUnknown:
		f.reject(record.Source{File: name}, "unknown file shape", detail)
	case framingEmpty:
		if !f.broken() {
			f.reject(record.Source{File: name}, "empty file", "")
		}
	case framingCSV:
		f.readCSV(text)
	case framingLines:
		if seekable && compression == "" && !live {
			sniffed := counted.n - int64(packed.Buffered()) - int64(text.Buffered())
			f.readLinesAt(textAt{r: at, start: start + sniffed, end: end}, 1, f.sniffFirstRecord(text))
		} else {
			f.readLines(text, 1)
		}
	case framingSpreadLines:
		f.readLines(text, f.readSpreadRecord(text))
	case framingDocument:
		f.readJSON(text, false)
	}
	if f.broken() {
		reason, detail := "read error", f.lines.err.Error()+"; the file breaks off here, the records before were read"
		var limit *decompressionLimitError
		switch {
		case errors.As(f.lines.err, &limit):
			reason, detail = "decompression limit", limit.msg+"; the records before were read, the rest of the file is not"
		case compression != "":
			reason, detail = "corrupt compressed data", compression+": "+detail
		}
		f.reject(record.Source{File: name, Line: f.lines.lines + 1}, reason, detail)
	}
}

// broken tells whether the file's stream failed (a read error, or compressed data that breaks off).
func (f *fileReader) broken() bool { return f.lines != nil && f.lines.err != nil }

func (f *fileReader) reject(src record.Source, reason, detail string) {
	f.sink.Reject(Rejection{Source: src, Reason: reason, Detail: detail})
}

func (f *fileReader) rejectMalformed(raw []byte, src record.Source) {
	f.reject(src, "malformed JSON", malformedDetail(raw))
}

// record reads one record's JSON text. hint is the shape its container tells ("" when it tells
// none). It tells whether the record was read (or counted as another table's) rather than rejected.
func (f *fileReader) record(raw []byte, src record.Source, hint Shape) bool {
	if !gjson.ValidBytes(raw) {
		f.rejectMalformed(raw, src)
		return false
	}
	// Read in place, as a line is (parseLine): the row's values are copies, and raw may be
	// hundreds of MB.
	obj := gjson.Parse(text(raw))
	if !obj.IsObject() {
		f.reject(src, "not a JSON object", snippet(raw))
		return false
	}
	table, rej := f.route(obj, src, hint)
	if rej != nil {
		f.sink.Reject(*rej)
		return false
	}
	conv := f.converters[f.shapeOf(obj, hint)][table]
	if conv == nil {
		f.sink.Other(table)
		return true
	}
	values, err := conv.row(raw, f)
	if err != nil {
		f.reject(src, rowError(err), err.Error())
		return false
	}
	f.sink.Row(table, conv.layout.Row(values, []record.Source{src}))
	return true
}

// route tells the table of a record, or why it has none.
func (f *fileReader) route(obj gjson.Result, src record.Source, hint Shape) (string, *Rejection) {
	shape := f.shapeOf(obj, hint)
	return f.settle(shape, f.routers[shape].table(obj), src)
}

// settle takes the table a record's fields tell, or, when they tell none, the rules' one table.
func (f *fileReader) settle(shape Shape, table string, src record.Source) (string, *Rejection) {
	if table != "" {
		return table, nil
	}
	if f.defaultTable == "" {
		return "", &Rejection{Source: src, Reason: "unknown table", Detail: fmt.Sprintf("the record has no %s to tell its table, and the rules read %s",
			f.routers[shape].fields(), strings.Join(f.wanted, " and "))}
	}
	return f.defaultTable, nil
}

// shapeOf tells a record's shape: the one --input-format imposes, else the one its container
// tells, else the file's, found from its first record.
func (f *fileReader) shapeOf(obj gjson.Result, hint Shape) Shape {
	switch f.format {
	case FormatLogAnalytics, FormatCSV:
		return LogAnalytics
	case FormatDiagnostic, FormatGraph:
		return Shape(f.format)
	}
	if hint != "" {
		return hint
	}
	if f.shape == "" {
		f.shape = sniffShape(obj)
	}
	return f.shape
}

// sniffShape tells a record's shape by its fields: diagnostic settings records carry the sign-in
// in a properties object next to time and category; Log Analytics rows have PascalCase columns
// such as TimeGenerated; Graph sign-ins and directory audits have camelCase fields such as
// createdDateTime or activityDateTime.
func sniffShape(obj gjson.Result) Shape {
	var properties, envelope, pascal, camel bool
	obj.ForEach(func(key, value gjson.Result) bool {
		switch key.Str {
		case "properties":
			properties = value.IsObject()
		case "time", "category", "operationName":
			envelope = true
		case "TimeGenerated", "Type", "UserPrincipalName", "AppId":
			pascal = true
		case "createdDateTime", "userPrincipalName", "appId", "appDisplayName", "activityDateTime", "activityDisplayName", "loggedByService":
			camel = true
		}
		return true
	})
	switch {
	case properties && envelope:
		return Diagnostic
	case camel && !pascal:
		return Graph
	}
	return LogAnalytics
}
