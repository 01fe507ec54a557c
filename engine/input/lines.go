package input

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"

	"github.com/signin-detect/detect/engine/record"
)

// batchSize is how much of a file of JSON lines one goroutine parses at a time: small enough that
// a batch is still in the processor's caches when it is parsed after its copy from the file (2 MB
// batches cost V2 about 5% more CPU over 100k rows, and 13 MB more peak RSS).
const batchSize = 512 << 10

// batch is whole lines of a file, from line first on, and what parsing them gave.
type batch struct {
	data    []byte
	first   int
	results []lineResult
	done    chan struct{}
}

// lineResult is what one line gave: a row of a table, a record of a table no one reads, a
// rejection, or (for a line that is not one record: an array, a wrapper, a line of garbage) the
// line itself, read in order by the scanner.
type lineResult struct {
	table string
	row   record.Row
	other bool
	// filtered tells a record that failed the filter, read at source, and its time (at, when
	// dated).
	filtered bool
	at       time.Time
	dated    bool
	source   record.Source
	// reach is the targets of the table's filter the row reaches (nil: the table has none).
	reach    *Reach
	rejected *Rejection
	line     []byte
	number   int
}

// batchBuffers holds the buffers of batches already delivered, for new batches: a file is read
// through a few buffers rather than as many as it has batches, which would have the garbage
// collector run over and over for nothing.
var batchBuffers = sync.Pool{New: func() any { return []byte(nil) }}

func batchBuffer(size int) []byte {
	buf := batchBuffers.Get().([]byte)
	if cap(buf) < size {
		return make([]byte, size, batchSize+batchSlack)
	}
	return buf[:size]
}

// recycle gives a delivered batch's buffer back, once nothing reads it: rows hold copies of their
// values, and the lines the scanner reads are copied before it does.
func recycle(buf []byte) {
	if cap(buf) == batchSize+batchSlack { // a long line's buffer is not kept
		batchBuffers.Put(buf[:0]) //nolint:staticcheck // a slice header is small beside the buffer it saves
	}
}

// resultBuffers holds the results of batches already delivered, for new batches: grown line by
// line for every batch, they cost a tenth of a run's CPU (mostly the kernel's, on fresh memory).
var resultBuffers = sync.Pool{New: func() any { return []lineResult(nil) }}

// recycleResults gives a delivered batch's results back, cleared so that they hold no rows.
func recycleResults(results []lineResult) {
	clear(results)
	resultBuffers.Put(results[:0]) //nolint:staticcheck // a slice header is small beside the results it saves
}

// readLines reads a file of JSON lines (NDJSON, and diagnostic settings blobs) as a stream (one
// that can be read at offsets is read by readLinesAt): one goroutine cuts the file into batches
// of whole lines, as many as there are cores parse their records, and the rows and rejections go
// to the sink in the file's order.
// The lines start at line first.
func (f *fileReader) readLines(r *bufio.Reader, first int) {
	shape := f.sniffFirstRecord(r)
	batches := make(chan *batch, runtime.GOMAXPROCS(0))
	ordered := make(chan *batch, 2*runtime.GOMAXPROCS(0))
	var workers sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		workers.Add(1)
		go func() {
			defer workers.Done()
			w := newWorker()
			for b := range batches {
				f.parseBatch(b, shape, w)
				close(b.done)
			}
		}()
	}
	go func() {
		f.cutBatches(r, first, func(b *batch) {
			b.done = make(chan struct{})
			ordered <- b
			batches <- b
		})
		close(batches)
		close(ordered)
	}()
	for b := range ordered {
		<-b.done
		f.deliver(b)
		recycle(b.data)
		recycleResults(b.results)
	}
	workers.Wait()
}

// readSpreadRecord reads the first record of a file of JSON lines that is spread over lines (see
// sniffFraming) as a document would be read, and returns the number of the line after it, where
// the lines start.
func (f *fileReader) readSpreadRecord(r *bufio.Reader) int {
	j := &jsonReader{f: f, s: newScanner(r, false)}
	c, err := j.s.peek(false)
	if err == nil {
		err = j.top(c, j.s.line)
	}
	if err != nil && !f.broken() {
		if errors.Is(err, errEnd) {
			err = syntaxErrorf("the file ends inside a JSON value")
		}
		f.sink.Reject(Rejection{Source: record.Source{File: f.name, Line: 1}, Reason: "malformed JSON", Detail: err.Error(), LastLine: j.s.line})
	}
	j.s.skipLine()
	return j.s.line
}

// sniffFirstRecord finds the records' shape (the one --input-format imposes, or the first line's),
// before the lines are parsed concurrently; "" when the first line tells none, and then every line
// goes through the scanner, in order.
func (f *fileReader) sniffFirstRecord(r *bufio.Reader) Shape {
	ahead := peekAhead(r, 64<<10, f.live)
	line, _, _ := bytes.Cut(ahead, []byte{'\n'})
	line = bytes.Trim(line, " \t\r\n")
	if len(line) > 0 && line[0] == '{' && !wrapperFields[firstKeyIn(line)] && gjson.ValidBytes(line) {
		return f.shapeOf(gjson.ParseBytes(line), "")
	}
	if f.format != FormatAuto {
		return f.shapeOf(gjson.Result{}, "")
	}
	return ""
}

// cutBatches reads r into batches of whole lines. A line longer than a batch gets a batch of its
// own (see longLine); one longer than maxValueSize is rejected and skipped.
func (f *fileReader) cutBatches(r io.Reader, line int, emit func(*batch)) {
	if f.lines != nil {
		f.lines.numbered = true
		defer func() { f.lines.numbered = false }()
	}
	// ended tells the line counter how many lines the text had, before the line at (which has no
	// line end) and in last.
	ended := func(at int, last []byte) {
		if f.lines != nil {
			f.lines.lines = at - 1 + bytes.Count(last, []byte{'\n'})
		}
	}
	var carry []byte
	for {
		buf := batchBuffer(batchSize)[:len(carry)]
		copy(buf, carry)
		n, err := f.fill(r, buf[len(carry):batchSize])
		buf = buf[:len(carry)+n]
		last := bytes.LastIndexByte(buf, '\n')
		if err != nil { // the end of the file: what is left is its last line
			ended(line, buf)
			if len(buf) > 0 {
				emit(&batch{data: buf, first: line})
			}
			return
		}
		if last < 0 {
			var more bool
			carry, more = f.longLine(r, buf, line, emit)
			line++
			if !more {
				ended(line-1, nil)
				return
			}
			continue
		}
		emit(&batch{data: buf[:last+1], first: line})
		line += bytes.Count(buf[:last+1], []byte{'\n'})
		carry = buf[last+1:]
	}
}

// fill reads into buf: all of it, or, from live input, until what has arrived holds a line end
// (or buf is full), so that the lines there go on without waiting for more. It returns an error
// only at the end of the input (io.EOF or io.ErrUnexpectedEOF, or a read error).
func (f *fileReader) fill(r io.Reader, buf []byte) (int, error) {
	if !f.live {
		return io.ReadFull(r, buf)
	}
	have := 0
	for have < len(buf) {
		n, err := r.Read(buf[have:])
		have += n
		if err != nil {
			if err == io.EOF && have > 0 {
				err = io.ErrUnexpectedEOF
			}
			return have, err
		}
		if bytes.IndexByte(buf[have-n:have], '\n') >= 0 {
			break
		}
	}
	return have, nil
}

// longLine reads the rest of the line that head (a whole batch without a line end) starts, in
// chunks, and emits it as a batch of its own, in one buffer of its size that the chunks are
// released into as it fills (longText.join): a line of L bytes costs L and a chunk or two
// (doubling a buffer as the line went on cost 3L and garbage besides). A line over maxValueSize
// is rejected, and the rest of it skipped. It returns the text after the line, and false when the
// file ended with it.
func (f *fileReader) longLine(r io.Reader, head []byte, line int, emit func(*batch)) (rest []byte, more bool) {
	var long longText
	whole := func(tail []byte) []byte {
		out := long.join(head, tail, 0)
		recycle(head)
		return out
	}
	for {
		chunk := make([]byte, batchSize)
		n, err := io.ReadFull(r, chunk)
		chunk = chunk[:n]
		size := len(head) + long.size
		end := bytes.IndexByte(chunk, '\n')
		if lineSize := size + n; end >= 0 {
			lineSize = size + end
		} else if lineSize <= maxValueSize {
			long.take(chunk)
			if err != nil { // the file's last line
				emit(&batch{data: whole(nil), first: line})
				return nil, false
			}
			continue
		} else {
			return nil, f.tooLong(r, line, emit, err == nil)
		}
		if size+end > maxValueSize {
			f.tooLong(r, line, emit, false)
		} else {
			emit(&batch{data: whole(chunk[:end+1]), first: line})
		}
		return chunk[end+1:], true
	}
}

// tooLong rejects a line over maxValueSize, and skips the rest of it when skip is set; more tells
// whether the text goes on after the line (its end was skipped to).
func (f *fileReader) tooLong(r io.Reader, line int, emit func(*batch), skip bool) (more bool) {
	rej := Rejection{Source: record.Source{File: f.name, Line: line}, Reason: "record too large", Detail: errTooLarge.Error()}
	emit(&batch{results: []lineResult{{rejected: &rej}}})
	if !skip {
		return false
	}
	// r is the file's *bufio.Reader, which NewReader returns as it is: nothing after the line is lost.
	br := bufio.NewReader(r)
	for {
		if _, err := br.ReadSlice('\n'); !errors.Is(err, bufio.ErrBufferFull) {
			return err == nil
		}
	}
}

// worker is what one parsing goroutine keeps between records: room for a record's fields and
// found values, the keys the last record had (to cut it and to match them), its interned strings, and its own instance of each
// converter's filter test.
type worker struct {
	fields []field
	// recordKeys are the keys of the last record cut; layout counts the changes of them.
	recordKeys []string
	layout     int
	// wrapperLayout is 1 + the layout whose first key wrapper tells (0: none yet).
	wrapperLayout int
	wrapper       bool
	// last is the router and converter of the worker's last record, by its shape and table.
	last struct {
		shape  Shape
		table  string
		router *router
		conv   *converter
	}
	hits    []found
	walks   map[*converter]*fieldWalk
	routeAt map[*router]fieldAt
	strs    *interner
	filters map[*converter]*filterRoom
}

func newWorker() *worker {
	return &worker{strs: newInterner(), walks: map[*converter]*fieldWalk{}, routeAt: map[*router]fieldAt{}, filters: map[*converter]*filterRoom{}}
}

// cut is cutRecordAt over data, into the worker's room for fields and against the keys of its
// last record, counting a change of those keys as a new layout.
func (w *worker) cut(data []byte) (fs []field, end int, ok bool) {
	fs, sameKeys, end, ok := cutRecordAt(data, w.fields[:0], &w.recordKeys)
	w.fields = fs
	if !sameKeys {
		w.layout++
	}
	return fs, end, ok
}

// wrapped tells whether the first of a record's fields (fs, cut from data) is a wrapper's (see
// wrapperFields), as for the record before when it had the same keys.
func (w *worker) wrapped(data []byte, fs []field) bool {
	if w.wrapperLayout != w.layout+1 {
		w.wrapperLayout = w.layout + 1
		w.wrapper = len(fs) > 0 && wrapperFields[string(fs[0].key(data))]
	}
	return w.wrapper
}

// parseBatch reads the records of a batch's lines, of the given shape, and tells how many lines
// it went through.
func (f *fileReader) parseBatch(b *batch, shape Shape, w *worker) (lines int) {
	data, number := b.data, b.first
	if b.results == nil {
		b.results = resultBuffers.Get().([]lineResult)
	}
	for len(data) > 0 {
		// Most lines are one record, and cutting it finds where its line ends: only the other
		// lines are searched for their end.
		if shape != "" && data[0] == '{' {
			fs, end, ok := w.cut(data)
			if ok && (end == len(data) || data[end] == '\n') && !w.wrapped(data, fs) {
				b.results = append(b.results, f.parseRecord(data[:end], fs, number, shape, w))
				data = data[min(end+1, len(data)):]
				number++
				continue
			}
		}
		end := bytes.IndexByte(data, '\n')
		line := data
		if end >= 0 {
			line, data = data[:end], data[end+1:]
		} else {
			data = nil
		}
		// JSON's white space only: a line of other space (a form feed, say) is not blank.
		if text := bytes.Trim(line, " \t\r\n"); len(text) > 0 {
			res := f.parseLine(text, number, shape, w)
			if res.line != nil {
				res.line = line // as written: a backslash may escape the space after it
			}
			b.results = append(b.results, res)
		}
		number++
	}
	return number - b.first
}

// parseLine reads a line that holds one record of the file's shape; any other line (or every
// line, when the shape is not known) is left to the scanner.
func (f *fileReader) parseLine(line []byte, number int, shape Shape, w *worker) lineResult {
	if shape == "" || line[0] != '{' || wrapperFields[firstKeyIn(line)] {
		return lineResult{line: line, number: number}
	}
	// The row's values are copies (convert clones what it keeps), so the record's text is read in
	// place.
	fs, end, ok := w.cut(line)
	if !ok || end != len(line) {
		return lineResult{line: line, number: number}
	}
	return f.parseRecord(line, fs, number, shape, w)
}

// parseRecord reads the record of a line, cut into its fields fs.
func (f *fileReader) parseRecord(line []byte, fs []field, number int, shape Shape, w *worker) lineResult {
	src := record.Source{File: f.name, Line: number}
	if w.last.router == nil || shape != w.last.shape {
		w.last.shape, w.last.router, w.last.table, w.last.conv = shape, f.routers[shape], "", nil
	}
	router := w.last.router
	table, ok := router.tableOf(line, fs, w)
	if !ok {
		table = router.table(gjson.Parse(text(line)))
	}
	table, rej := f.settle(shape, table, src)
	if rej != nil {
		return lineResult{rejected: rej}
	}
	if table != w.last.table || w.last.conv == nil {
		w.last.table, w.last.conv = strings.Clone(table), f.converters[shape][table]
	}
	conv := w.last.conv
	if conv == nil {
		return lineResult{table: table, other: true}
	}
	got, err := conv.fieldsRow(line, fs, w)
	switch {
	case err != nil:
		return lineResult{rejected: &Rejection{Source: src, Reason: rowError(err), Detail: err.Error()}}
	case got.dropped:
		return lineResult{table: table, filtered: true, at: got.at, dated: got.dated, source: src}
	}
	return lineResult{table: table, row: conv.layout.Row(got.values, []record.Source{src}), reach: got.reach}
}

// deliver hands a parsed batch's results to the sink, in order; the lines that are not one
// record each go through the scanner, as a file of them would.
func (f *fileReader) deliver(b *batch) {
	for _, res := range b.results {
		switch {
		case res.rejected != nil:
			f.sink.Reject(*res.rejected)
		case res.other:
			f.sink.Other(res.table)
		case res.filtered:
			if rs, ok := f.sink.(ReachSink); ok {
				rs.FilteredAt(res.table, res.at, res.dated, res.source)
			} else {
				f.sink.Filtered(res.table, res.at, res.dated)
			}
		case res.line != nil:
			// In place: the line may be hundreds of MB.
			j := &jsonReader{f: f, s: newLineScanner(res.line, res.number)}
			j.readAll(true)
		default:
			if rs, ok := f.sink.(ReachSink); ok && res.reach != nil {
				rs.RowReaching(res.table, res.row, res.reach)
			} else {
				f.sink.Row(res.table, res.row)
			}
		}
	}
}
