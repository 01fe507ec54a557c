package main

import (
	"fmt"
	"io"
	"os"
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
// read counted.
func (p *progress) count(r io.Reader, read *session.Read) io.Reader {
	if !p.on {
		return r
	}
	p.read = read
	return &countingReader{r: r, p: p}
}

type countingReader struct {
	r io.Reader
	p *progress
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.bytes += int64(n)
	if now := time.Now(); now.Sub(c.p.last) >= progressEvery {
		c.p.last = now
		c.p.draw(now)
	}
	return n, err
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
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
}

// done takes the line away for good: the summary says the rest.
func (p *progress) done() { p.clear() }
