package main

import (
	"fmt"
	"io"
	"os"
	"time"

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
	shown bool
}

// progressEvery is how often the line is redrawn.
const progressEvery = 250 * time.Millisecond

func newProgress(stderr io.Writer) *progress {
	now := time.Now()
	return &progress{w: stderr, on: isTerminal(stderr), start: now, last: now}
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
	mbps := float64(p.bytes) / (1 << 20) / now.Sub(p.start).Seconds()
	// \r goes back to the line's start and \x1b[K clears what a longer line left.
	fmt.Fprintf(p.w, "\rreading: %d files, %d records, %.1f MB/s, %d rejected\x1b[K", p.read.Files, p.read.Records, mbps, p.read.Rejected())
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
