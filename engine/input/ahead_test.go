package input

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

// A regular file is read through an aheadFile, which asks for the window past the reads, each byte
// once, in steps, before the reads get there; what is read is the file.
func TestAFileIsReadAhead(t *testing.T) {
	const size = 5*aheadWindow + 12345
	path := filepath.Join(t.TempDir(), "export.ndjson")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil { // sparse: no disk written
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("end\n"), size-4); err != nil {
		t.Fatal(err)
	}
	f.Close()
	opened, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer opened.Close()
	ahead, ok := opened.(*aheadFile)
	if !ok {
		t.Fatalf("a regular file opens as %T", opened)
	}
	if Live(path, opened, nil) {
		t.Error("a regular file read ahead is taken for live input")
	}
	type advice struct{ offset, length, readAt int64 }
	var advised []advice
	ahead.advise = func(_ *os.File, offset, length int64) {
		advised = append(advised, advice{offset, length, ahead.read})
	}
	buf := make([]byte, batchSize)
	var last []byte
	var read int64
	for {
		n, err := io.ReadFull(opened, buf)
		read += int64(n)
		if n > 0 {
			last = append(last[:0], buf[:n]...)
		}
		if err != nil {
			break
		}
	}
	if read != size || !bytes.HasSuffix(last, []byte("end\n")) {
		t.Fatalf("read %d bytes ending %q, want %d ending \"end\\n\"", read, last[max(0, len(last)-4):], size)
	}
	var next int64
	for _, a := range advised {
		if a.offset != next || a.offset+a.length != a.readAt+aheadWindow || a.offset-a.readAt > aheadWindow-aheadStep {
			t.Fatalf("advice %+v after the advice up to %d: want each byte asked for once, a window past the reads", a, next)
		}
		next = a.offset + a.length
	}
	if next < size || len(advised) > size/aheadStep+2 {
		t.Errorf("%d pieces of advice up to %d; want the whole file of %d asked for in steps of %d", len(advised), next, size, aheadStep)
	}
}

// A file read at offsets by goroutines side by side (as readLinesAt does) is read ahead as one
// read from start to end: each byte asked for once, a window past the furthest read.
func TestAFileReadAtOffsetsIsReadAhead(t *testing.T) {
	const size = 5*aheadWindow + 12345
	path := filepath.Join(t.TempDir(), "export.ndjson")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil { // sparse: no disk written
		t.Fatal(err)
	}
	f.Close()
	opened, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer opened.Close()
	ahead := opened.(*aheadFile)
	type advice struct{ offset, length, readTo int64 }
	var advised []advice
	ahead.advise = func(_ *os.File, offset, length int64) { // called under ahead.mu
		advised = append(advised, advice{offset, length, ahead.read})
	}
	var taking sync.Mutex
	var next, read atomic.Int64
	var readers sync.WaitGroup
	for range 3 {
		readers.Go(func() {
			buf := make([]byte, batchSize)
			for {
				taking.Lock()
				off := next.Load()
				next.Add(batchSize)
				taking.Unlock()
				if off >= size {
					return
				}
				n, _ := ahead.ReadAt(buf, off)
				read.Add(int64(n))
			}
		})
	}
	readers.Wait()
	if read.Load() != size {
		t.Fatalf("read %d bytes, want %d", read.Load(), size)
	}
	var to int64
	for _, a := range advised {
		if a.offset != to || a.offset+a.length != a.readTo+aheadWindow {
			t.Fatalf("advice %+v after the advice up to %d: want each byte asked for once, a window past the reads", a, to)
		}
		to = a.offset + a.length
	}
	if to < size || len(advised) > size/aheadStep+2 {
		t.Errorf("%d pieces of advice up to %d; want the whole file of %d asked for in steps of %d", len(advised), to, size, aheadStep)
	}
}
