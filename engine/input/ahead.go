package input

import "os"

// A regular file is read from start to end, and a file that is not in the page cache (an export
// of weeks, larger than the memory) is read from the disk as the reads come: the kernel's own
// readahead keeps one window ahead of a sequential reader, one request at a time. An aheadFile
// asks the kernel to read further ahead, without waiting (readAhead), so that the disk has
// several requests in flight while the records already read are parsed.
type aheadFile struct {
	*os.File
	read, advised int64
	// advise is readAhead (a test's recorder in tests).
	advise func(f *os.File, offset, length int64)
}

const (
	aheadWindow = 64 << 20 // how far past the reads the kernel is asked to read
	aheadStep   = 16 << 20 // asked again once the reads are this much into the window
)

func (a *aheadFile) Read(p []byte) (int, error) {
	if a.advised-a.read < aheadWindow-aheadStep {
		from := max(a.advised, a.read)
		a.advise(a.File, from, a.read+aheadWindow-from)
		a.advised = a.read + aheadWindow
	}
	n, err := a.File.Read(p)
	a.read += int64(n)
	return n, err
}
