package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/signin-detect/detect/engine/input"
	"github.com/signin-detect/detect/engine/session"
)

// progress shows how reading goes on one line of stderr, rewritten in place: files, records,
// MB/s of input read, rejected. It shows only when stderr is a terminal, never in a pipe or a file.
type progress struct {
	w     io.Writer
	on    bool
	read  *session.Read
	start time.Time
	// mu guards what follows, and the drawing: a file of lines is read at offsets by several
	// goroutines.
	mu    sync.Mutex
	last  time.Time
	bytes int64
	// total is the size of every input file, when known (not for standard input): the line then
	// says how far reading is and how long it has left.
	total int64
	shown bool
}

// progressEvery is how often the line is redrawn.
const progressEvery = 250 * time.Millisecond

func newProgress(stderr io.Writer, total int64) *progress {
	now := time.Now()
	return &progress{w: stderr, on: isTerminal(stderr), start: now, last: now, total: total}
}

// inputSize is the size of every file in, 0 when one is standard input (whose size is not known).
func inputSize(in session.Input) int64 {
	files, _ := input.Files(in.Files, in.Glob)
	var total int64
	for _, f := range files {
		info, err := os.Stat(f)
		if f == input.Stdin || err != nil {
			return 0
		}
		total += info.Size()
	}
	return total
}

// isTerminal tells whether w is a terminal (a character device), without a terminal library.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// count passes r through, counting the bytes read and redrawing the line now and then with what
// read counted. A file read at offsets stays one (see input.ReadsAtOffsets).
func (p *progress) count(r io.Reader, read *session.Read) io.Reader {
	if !p.on {
		return r
	}
	p.read = read
	c := &countingReader{r: r, p: p}
	if input.ReadsAtOffsets(r) {
		return countingReaderAt{c, r.(seekable)}
	}
	return c
}

// countingReader counts how far into its file reading has got (seen, under p.mu; read, by Read).
type countingReader struct {
	r          io.Reader
	p          *progress
	seen, read int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.read += int64(n)
	c.p.reached(c, c.read)
	return n, err
}

type seekable interface {
	io.ReaderAt
	io.Seeker
}

// countingReaderAt is a countingReader of a file read at offsets: reading has got as far as the
// furthest byte read (the batches read side by side are a few apart; a batch reads a little of
// the next one's bytes for the end of its last line).
type countingReaderAt struct {
	*countingReader
	at seekable
}

func (c countingReaderAt) ReadAt(b []byte, off int64) (int, error) {
	n, err := c.at.ReadAt(b, off)
	c.p.reached(c.countingReader, off+int64(n))
	return n, err
}

func (c countingReaderAt) Seek(offset int64, whence int) (int64, error) {
	return c.at.Seek(offset, whence)
}

// reached counts c's reading as having got to offset to, and redraws the line when it is time.
func (p *progress) reached(c *countingReader, to int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if to > c.seen {
		p.bytes += to - c.seen
		c.seen = to
	}
	if now := time.Now(); now.Sub(p.last) >= progressEvery {
		p.last = now
		p.draw(now)
	}
}

func (p *progress) draw(now time.Time) {
	elapsed := now.Sub(p.start)
	mbps := float64(p.bytes) / (1 << 20) / elapsed.Seconds()
	share := ""
	if p.total > 0 && p.bytes > 0 && p.bytes <= p.total {
		left := time.Duration(float64(elapsed) * float64(p.total-p.bytes) / float64(p.bytes)).Round(time.Second)
		share = fmt.Sprintf("%d%%, %s left, ", 100*p.bytes/p.total, left)
	}
	// \r goes back to the line's start and \x1b[K clears what a longer line left.
	fmt.Fprintf(p.w, "\rreading: %s%d files, %d records, %.1f MB/s, %d rejected\x1b[K", share, p.read.Files, p.read.Records, mbps, p.read.Rejected())
	p.shown = true
}

// clear takes the line away, before a message is printed; it comes back at the next redraw.
func (p *progress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
}

// done takes the line away for good: the summary says the rest.
func (p *progress) done() { p.clear() }
