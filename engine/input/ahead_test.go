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

// advice is one call of an aheadFile's advise, and how far the reads had got then.
type advice struct{ offset, length, readTo int64 }

// sparseExport opens, as Open does, a sparse file of size bytes (no disk written) that ends with
// "end\n", with its advice recorded.
func sparseExport(t *testing.T, size int64) (path string, ahead *aheadFile, advised *[]advice) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "export.ndjson")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
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
	t.Cleanup(func() { opened.Close() })
	ahead, ok := opened.(*aheadFile)
	if !ok {
		t.Fatalf("a regular file opens as %T", opened)
	}
	advised = &[]advice{}
	ahead.advise = func(_ *os.File, offset, length int64) { // called under ahead.mu
		*advised = append(*advised, advice{offset, length, ahead.read})
	}
	return path, ahead, advised
}

// askedOnce checks that advice asked for each byte of a file of size bytes once, a window past
// the reads, in steps.
func askedOnce(t *testing.T, advised []advice, size int64) {
	t.Helper()
	var next int64
	for _, a := range advised {
		if a.offset != next || a.offset+a.length != a.readTo+aheadWindow || a.offset-a.readTo > aheadWindow-aheadStep {
			t.Fatalf("advice %+v after the advice up to %d: want each byte asked for once, a window past the reads", a, next)
		}
		next = a.offset + a.length
	}
	if next < size || int64(len(advised)) > size/aheadStep+2 {
		t.Errorf("%d pieces of advice up to %d; want the whole file of %d asked for in steps of %d", len(advised), next, size, aheadStep)
	}
}

// A regular file is read through an aheadFile, which asks for the window past the reads, each byte
// once, in steps, before the reads get there; what is read is the file.
func TestAFileIsReadAhead(t *testing.T) {
	const size = 5*aheadWindow + 12345
	path, ahead, advised := sparseExport(t, size)
	if Live(path, ahead, nil) {
		t.Error("a regular file read ahead is taken for live input")
	}
	buf := make([]byte, batchSize)
	var last []byte
	var read int64
	for {
		n, err := io.ReadFull(ahead, buf)
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
	askedOnce(t, *advised, size)
}

// A file read at offsets by goroutines side by side (as readLinesAt does) is read ahead as one
// read from start to end: each byte asked for once, a window past the furthest read.
func TestAFileReadAtOffsetsIsReadAhead(t *testing.T) {
	const size = 5*aheadWindow + 12345
	_, ahead, advised := sparseExport(t, size)
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
	askedOnce(t, *advised, size)
}
