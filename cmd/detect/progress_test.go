package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/input"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/session"
)

// A file counted for the progress line is still read at offsets, by the goroutines side by side
// (a device is not), and the line counts each of its bytes once: as far as the reads have got,
// not the bytes a batch reads again for the end of its last line.
func TestProgressCountsAFileReadAtOffsetsOnce(t *testing.T) {
	var line strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&line, `{"TimeGenerated":"2026-11-20T09:00:00Z","AppId":"app-%d","UserAgent":"%s"}`+"\n", i, strings.Repeat("x", i%700))
	}
	text := line.String()
	var b strings.Builder
	p := newProgress(&b, int64(len(text)))
	p.on = true
	read := &session.Read{}
	counted := p.count(strings.NewReader(text), read)
	if _, ok := counted.(io.ReaderAt); !ok {
		t.Fatalf("a reader that can be read at offsets is counted by a %T, which cannot", counted)
	}
	if null, err := os.Open(os.DevNull); err == nil { // a device seeks, but is streamed
		defer null.Close()
		if _, ok := p.count(null, read).(io.ReaderAt); ok {
			t.Errorf("%s is counted by a reader read at offsets", os.DevNull)
		}
	}
	r, err := input.NewReader(nil, input.FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	var sink countingSink
	r.Read("in.ndjson", counted, &sink)
	if p.bytes != int64(len(text)) || sink.records != 3000 {
		t.Errorf("counted %d bytes of %d, %d records told", p.bytes, len(text), sink.records)
	}
}

// countingSink counts whatever a reader tells it of each record.
type countingSink struct{ records int }

func (c *countingSink) Row(string, record.Row)           { c.records++ }
func (c *countingSink) Other(string)                     { c.records++ }
func (c *countingSink) Reject(input.Rejection)           { c.records++ }
func (c *countingSink) Filtered(string, time.Time, bool) { c.records++ }
