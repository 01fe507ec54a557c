package input

import (
	"bytes"
	"io"
	"io/fs"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/signin-detect/detect/engine/record"
)

// seekableText is input whose bytes can be read at any offset: a regular file, or text in memory
// (a bytes.Reader, a strings.Reader).
type seekableText interface {
	io.ReaderAt
	io.Seeker
}

// textAt is the text of a file of JSON lines, read at offsets from start (where the lines start,
// past what was sniffed) to end.
type textAt struct {
	r          io.ReaderAt
	start, end int64
}

// ReadsAtOffsets tells whether Read reads the lines of in at offsets (see readLinesAt): in can be
// (an io.ReaderAt and io.Seeker), and is text in memory or a regular file, not a device (a
// terminal seeks, but has no end to seek to). A reader that wraps another passes its ReadAt and
// Seek on only when this holds for the other.
func ReadsAtOffsets(in io.Reader) bool {
	_, ok := in.(seekableText)
	if file, isFile := in.(interface{ Stat() (fs.FileInfo, error) }); ok && isFile {
		info, err := file.Stat()
		return err == nil && info.Mode().IsRegular()
	}
	return ok
}

// spanOf tells where in, about to be read, starts and ends, and leaves it where it was; ok is false
// for input that is not read at offsets.
func spanOf(in io.Reader) (at seekableText, start, end int64, ok bool) {
	if !ReadsAtOffsets(in) {
		return nil, 0, 0, false
	}
	at = in.(seekableText)
	start, err := at.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, 0, 0, false
	}
	end, err = at.Seek(0, io.SeekEnd)
	if _, back := at.Seek(start, io.SeekStart); err != nil || back != nil {
		return nil, 0, 0, false
	}
	return at, start, end, true
}

// batchSlack is how far past its bytes a batch reads at once for the end of its last line; a line
// that goes on further is read on in steps of a batch (see readLongLine).
const batchSlack = 64 << 10

// lineTail is how much of the slack is read first: a sign-in's line is about 5 KB.
const lineTail = 8 << 10

// cut is a batch of a file read at offsets: the lines after each line end in the batchSize bytes
// from from (the first batch's from its first byte too), the last of them read to its end past
// those bytes. A batch whose bytes hold no line end (the middle of a line longer than a batch) has
// no lines. A batch is parsed as if its first line were line 0, and its lines' numbers are moved
// on when it is delivered, after the batches before it have told how many lines they went
// through: no batch waits for another to be read or parsed.
type cut struct {
	batch
	from int64
	room []byte // the buffer data is in, to recycle (data starts past the line before)
	// long is the batch's last line when it goes on past the slack, in a buffer of its own;
	// tooLarge tells a last line over maxValueSize, which is skipped.
	long     []byte
	tooLarge bool
	lines    int // how many lines the batch went through
	err      error
}

// readLinesAt reads a file of JSON lines that can be read at offsets: each of as many goroutines
// as there are cores takes the next batch's offset, reads the batch there and parses it, so that
// the copying of the text from the file is shared among the cores instead of being one
// goroutine's, which the others wait for. The rows and rejections go to the sink in the file's
// order. The lines start at line first.
func (f *fileReader) readLinesAt(text textAt, first int, shape Shape) {
	var (
		taking sync.Mutex
		next   = text.start
		// failed stops the taking of batches once a read failed. Not under taking: a goroutine
		// that holds it may wait for room in ordered, which waits for the failed batch.
		failed atomic.Bool
	)
	ordered := make(chan *cut, 8*runtime.GOMAXPROCS(0))
	take := func() *cut {
		taking.Lock()
		defer taking.Unlock()
		if next >= text.end || failed.Load() {
			return nil
		}
		c := &cut{batch: batch{done: make(chan struct{})}, from: next}
		next += batchSize
		ordered <- c
		return c
	}
	var workers sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		workers.Go(func() {
			w := newWorker()
			for c := take(); c != nil; c = take() {
				f.readCut(text, c)
				if c.err != nil {
					failed.Store(true)
				}
				c.lines = f.parseBatch(&c.batch, shape, w)
				f.parseLongLine(c, shape, w)
				close(c.done)
			}
		})
	}
	go func() {
		workers.Wait()
		close(ordered)
	}()
	line := first // the number of the next batch's first line
	for c := range ordered {
		<-c.done
		if !f.broken() {
			renumber(c.results, line)
			f.deliver(&c.batch)
			if c.err != nil {
				f.lines.err, f.lines.lines = c.err, line+c.lines-1
			}
			line += c.lines
		}
		recycle(c.room)
		recycleResults(c.results)
	}
}

// renumber moves the line numbers of results, parsed from line 0, on by first.
func renumber(results []lineResult, first int) {
	for i := range results {
		r := &results[i]
		r.number += first
		r.source.Line += first
		for j := range r.row.Sources {
			r.row.Sources[j].Line += first
		}
		if r.rejected != nil { // one line's: parsing a line tells no LastLine
			r.rejected.Source.Line += first
		}
	}
}

// parseLongLine parses the last line of c when it was read on past the slack, after its other
// lines, or rejects it when it was too large.
func (f *fileReader) parseLongLine(c *cut, shape Shape, w *worker) {
	switch {
	case c.tooLarge:
		rej := Rejection{Source: record.Source{File: f.name, Line: c.lines}, Reason: "record too large", Detail: errTooLarge.Error()}
		c.results = append(c.results, lineResult{rejected: &rej})
		c.lines++
	case c.long != nil:
		last := batch{data: c.long, first: c.lines, results: c.results}
		c.lines += f.parseBatch(&last, shape, w)
		c.results = last.results
	}
}

// readCut reads the lines of c into c.data (and c.long). A read error is c.err: c.data holds the
// lines before the one it broke in.
func (f *fileReader) readCut(text textAt, c *cut) {
	buf := batchBuffer(batchSize + batchSlack)
	c.room = buf
	size := int(min(batchSize, text.end-c.from))
	n, err := readFullAt(text.r, buf[:size], c.from)
	own := buf[:n]
	begin := 0
	if c.from > text.start {
		p := bytes.IndexByte(own, '\n')
		if p < 0 { // within a line that an earlier batch reads
			c.data, c.err = buf[:0], err
			return
		}
		begin = p + 1
	}
	// The last line starts past the last line end (or at begin), and ends past the batch's bytes.
	lastStart := max(begin, bytes.LastIndexByte(own, '\n')+1)
	if err != nil {
		c.data, c.err = buf[begin:lastStart], err
		return
	}
	after := c.from + int64(n)
	if after >= text.end {
		c.data = buf[begin:n]
		return
	}
	more := buf[n : n+int(min(batchSlack, text.end-after))]
	m, err := readLineEnd(text.r, more, after)
	if end := bytes.IndexByte(more[:m], '\n'); end >= 0 { // a failure past it is the next batch's
		c.data = buf[begin : n+end+1]
		return
	}
	if err != nil {
		c.data, c.err = buf[begin:lastStart], err
		return
	}
	if after+int64(m) >= text.end {
		c.data = buf[begin : n+m]
		return
	}
	whole, ok, err := readLongLine(text, buf[lastStart:n+m], after+int64(m))
	switch {
	case err != nil:
		c.data, c.err = buf[begin:lastStart], err
	case !ok:
		c.data, c.tooLarge = buf[begin:lastStart], true
	default:
		c.data, c.long = buf[begin:lastStart], whole
	}
}

// readLineEnd reads into p from off, a little first (most lines end within it), the rest of p
// only when that holds no line end: a batch would copy much of the next one's bytes for nothing.
func readLineEnd(r io.ReaderAt, p []byte, off int64) (int, error) {
	n, err := readFullAt(r, p[:min(len(p), lineTail)], off)
	if err != nil || n < lineTail || n == len(p) || bytes.IndexByte(p[:n], '\n') >= 0 {
		return n, err
	}
	more, err := readFullAt(r, p[n:], off+int64(n))
	return n + more, err
}

// readFullAt reads len(p) bytes at off, fewer only at the end of the text; err is a read error,
// never io.EOF.
func readFullAt(r io.ReaderAt, p []byte, off int64) (int, error) {
	n, err := r.ReadAt(p, off)
	if err == io.EOF {
		err = nil
	}
	return n, err
}

// readLongLine reads on the line head starts, from offset at, to its line end (kept) or the
// file's end, as longLine does a streamed one: in chunks, joined once into a buffer of the line's
// size (see longText). ok is false when the line, its line end aside, is over maxValueSize;
// nothing of it is kept then.
func readLongLine(text textAt, head []byte, at int64) (line []byte, ok bool, err error) {
	var long longText
	for {
		size := len(head) + long.size
		if at >= text.end { // the file's last line
			if size > maxValueSize {
				return nil, false, nil
			}
			return long.join(head, nil, 0), true, nil
		}
		chunk := make([]byte, min(batchSize, text.end-at))
		n, err := readFullAt(text.r, chunk, at)
		chunk = chunk[:n]
		if end := bytes.IndexByte(chunk, '\n'); end >= 0 {
			if size+end > maxValueSize {
				return nil, false, nil
			}
			return long.join(head, chunk[:end+1], 0), true, nil
		}
		if err != nil {
			return nil, false, err
		}
		if size+n > maxValueSize {
			return nil, false, nil
		}
		long.take(chunk)
		at += int64(n)
		if n < len(chunk) { // the file got shorter
			at = text.end
		}
	}
}
