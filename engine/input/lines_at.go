package input

import (
	"bytes"
	"io"
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

// spanOf tells where in, about to be read, starts and ends, and leaves it where it was; ok is false
// for input that cannot be read at offsets (a pipe, a wrapper that only reads).
func spanOf(in io.Reader) (at seekableText, start, end int64, ok bool) {
	at, ok = in.(seekableText)
	if !ok {
		return nil, 0, 0, false
	}
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

// cut is a batch of a file read at offsets: the lines after each line end in the batchSize bytes
// from from (the first batch's from its first byte too), the last of them read to its end past
// those bytes. A batch whose bytes hold no line end (the middle of a line longer than a batch) has
// no lines. Its lines' numbers follow from how many line ends the batches before it hold, which
// each batch counts as soon as it is read (lineEnds, then counted): a batch waits only for the
// reading of the one before it, not for its parsing.
type cut struct {
	batch
	from int64
	room []byte // the buffer data is in, to recycle (data starts past the line before)
	// long is the batch's last line when it goes on past the slack, in a buffer of its own;
	// tooLarge tells a last line over maxValueSize, which is skipped.
	long     []byte
	tooLarge bool
	previous *cut
	// lineEnds is the number of line ends in the cut's bytes and the cuts' before it, plus the
	// number of the file's first line; set before counted is closed.
	lineEnds int
	counted  chan struct{}
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
		last   *cut
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
		c := &cut{batch: batch{done: make(chan struct{})}, from: next, previous: last, counted: make(chan struct{})}
		next += batchSize
		last = c
		ordered <- c
		return c
	}
	var workers sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		workers.Go(func() {
			w := newWorker()
			for c := take(); c != nil; c = take() {
				lineEnds := f.readCut(text, c)
				c.first, c.lineEnds = first, first+lineEnds
				if c.previous != nil {
					<-c.previous.counted
					c.first = c.previous.lineEnds + 1
					c.lineEnds += c.previous.lineEnds - first
					c.previous = nil // or every batch read would stay reachable from the last
				}
				close(c.counted)
				if c.err != nil {
					failed.Store(true)
				}
				f.parseBatch(&c.batch, shape, w)
				f.parseLongLine(c, shape, w)
				close(c.done)
			}
		})
	}
	go func() {
		workers.Wait()
		close(ordered)
	}()
	lines := first - 1 // the line ends read, and first - 1
	for c := range ordered {
		<-c.done
		if !f.broken() {
			f.deliver(&c.batch)
			lines = c.lineEnds - 1
			if c.err != nil {
				f.lines.err, f.lines.lines = c.err, c.first-1+bytes.Count(c.data, []byte{'\n'})
			}
		}
		recycle(c.room)
		recycleResults(c.results)
	}
	if !f.broken() {
		f.lines.lines = lines
	}
}

// parseLongLine parses the last line of c when it was read on past the slack, after its other
// lines, or rejects it when it was too large.
func (f *fileReader) parseLongLine(c *cut, shape Shape, w *worker) {
	if c.long == nil && !c.tooLarge {
		return
	}
	number := c.first + bytes.Count(c.data, []byte{'\n'})
	if c.tooLarge {
		rej := Rejection{Source: record.Source{File: f.name, Line: number}, Reason: "record too large", Detail: errTooLarge.Error()}
		c.results = append(c.results, lineResult{rejected: &rej})
		return
	}
	last := batch{data: c.long, first: number, results: c.results}
	f.parseBatch(&last, shape, w)
	c.results = last.results
}

// readCut reads the lines of c into c.data (and c.long), and tells how many line ends its
// batchSize bytes hold. A read error is c.err: c.data holds the lines before the one it broke in.
func (f *fileReader) readCut(text textAt, c *cut) (lineEnds int) {
	buf := batchBuffer(batchSize + batchSlack)
	c.room = buf
	size := int(min(batchSize, text.end-c.from))
	n, err := readFullAt(text.r, buf[:size], c.from)
	own := buf[:n]
	lineEnds = bytes.Count(own, []byte{'\n'})
	begin := 0
	if c.from > text.start {
		p := bytes.IndexByte(own, '\n')
		if p < 0 { // within a line that an earlier batch reads
			c.data, c.err = buf[:0], err
			return lineEnds
		}
		begin = p + 1
	}
	// The last line starts past the last line end (or at begin), and ends past the batch's bytes.
	lastStart := max(begin, bytes.LastIndexByte(own, '\n')+1)
	if err != nil {
		c.data, c.err = buf[begin:lastStart], err
		return lineEnds
	}
	after := c.from + int64(n)
	if after >= text.end {
		c.data = buf[begin:n]
		return lineEnds
	}
	more := buf[n : n+int(min(batchSlack, text.end-after))]
	m, err := readFullAt(text.r, more, after)
	if end := bytes.IndexByte(more[:m], '\n'); end >= 0 { // a failure past it is the next batch's
		c.data = buf[begin : n+end+1]
		return lineEnds
	}
	if err != nil {
		c.data, c.err = buf[begin:lastStart], err
		return lineEnds
	}
	if after+int64(m) >= text.end {
		c.data = buf[begin : n+m]
		return lineEnds
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
	return lineEnds
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
