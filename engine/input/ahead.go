package input

import (
	"os"
	"sync"
)

// A regular file is read from start to end, and a file that is not in the page cache (an export
// of weeks, larger than the memory) is read from the disk as the reads come: the kernel's own
// readahead keeps one window ahead of a sequential reader, one request at a time. An aheadFile
// asks the kernel to read further ahead, without waiting (readAhead), so that the disk has
// several requests in flight while the records already read are parsed.
type aheadFile struct {
	*os.File
	// mu guards read and advised: a file of lines is read at offsets by several goroutines (see
	// readLinesAt).
	mu            sync.Mutex
	read, advised int64
	// advise is readAhead (a test's recorder in tests).
	advise func(f *os.File, offset, length int64)
}

const (
	aheadWindow = 64 << 20 // how far past the reads the kernel is asked to read
	aheadStep   = 16 << 20 // asked again once the reads are this much into the window
)

func (a *aheadFile) Read(p []byte) (int, error) {
	a.ahead(a.read)
	n, err := a.File.Read(p)
	a.mu.Lock()
	a.read += int64(n)
	a.mu.Unlock()
	return n, err
}

// ReadAt reads at off, which the reads have got to (the batches read side by side are a few
// apart, the furthest of them is where the window starts).
func (a *aheadFile) ReadAt(p []byte, off int64) (int, error) {
	a.ahead(off)
	n, err := a.File.ReadAt(p, off)
	a.mu.Lock()
	a.read = max(a.read, off+int64(n))
	a.mu.Unlock()
	return n, err
}

// ahead asks for the window past the reads, once they are a step into it.
func (a *aheadFile) ahead(at int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.read = max(a.read, at)
	if a.advised-a.read < aheadWindow-aheadStep {
		from := max(a.advised, a.read)
		a.advise(a.File, from, a.read+aheadWindow-from)
		a.advised = a.read + aheadWindow
	}
}
