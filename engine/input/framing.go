package input

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/tidwall/gjson"
)

// Magic bytes of the compressed formats: the ones read, and the ones only recognised, to say what
// to do with them.
var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
	unpacked  = map[string][]byte{
		"a zip archive":   []byte("PK\x03\x04"),
		"xz":              {0xfd, '7', 'z', 'X', 'Z', 0},
		"bzip2":           []byte("BZh"),
		"a 7-Zip archive": []byte("7z\xbc\xaf\x27\x1c"),
	}
)

// unsupportedError is a compressed or archive format that is recognised but not read.
type unsupportedError struct{ format string }

func (e *unsupportedError) Error() string {
	return e.format + ", which is not read: unpack it (gzip and zstd are read as they are)"
}

// zstdMaxWindow bounds the memory a zstd stream may ask for. zstd's own tools write windows of
// 8 MB at most by default (and 128 MB with --long).
const zstdMaxWindow = 128 << 20

// decompress takes gzip or zstd off in, found by their magic bytes; anything else is passed as it
// is. compression names what was taken off ("" for nothing); close, when not nil, frees the
// decoder.
func decompress(in *bufio.Reader) (out io.Reader, compression string, close func(), err error) {
	magic, _ := in.Peek(6)
	switch {
	case bytes.HasPrefix(magic, gzipMagic):
		zr, err := gzip.NewReader(in)
		if err != nil {
			return nil, "gzip", nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, "gzip", nil, nil
	case bytes.HasPrefix(magic, zstdMagic):
		zr, err := zstd.NewReader(in, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdMaxWindow))
		if err != nil {
			return nil, "zstd", nil, fmt.Errorf("zstd: %w", err)
		}
		return zr, "zstd", zr.Close, nil
	}
	for name, m := range unpacked {
		if bytes.HasPrefix(magic, m) {
			return nil, "", nil, &unsupportedError{name}
		}
	}
	return in, "", nil, nil
}

// framing is how a file lays out its records.
type framing int

const (
	framingEmpty       framing = iota // nothing but white space
	framingLines                      // one JSON value per line
	framingDocument                   // JSON documents, pretty-printed, one after another
	framingCSV                        // the Log Analytics portal's CSV export
	framingSpreadLines                // JSON lines after a first record spread over lines
	framingUnknown                    // binary data, or no line end where a CSV header or JSON would have one
)

// sniffSize is how much of a file sniffFraming looks at: far more than a CSV header row.
const sniffSize = 64 << 10

// sniffFraming tells a file's framing from its first lines. JSON whose first line holds a whole
// value, or the start of a record cut short, is read line by line (a bad line then costs that
// line only); JSON whose first line opens an array or a wrapper ({"records": [, {"value": [,
// {"@odata.context": ...,) and goes on below is a document. A first line that names Log Analytics
// columns is a CSV header. A first line of anything else, followed by lines that start like JSON,
// is a bad line of JSON; with no such line the file is taken as CSV, which its header then rejects.
// A first line that does not start like JSON and does not end within sniffSize, or holds a NUL
// byte with no line below that starts like JSON, is binary data (a file of zeros, a disk image): no shape, and nothing more is read of
// it; detail says why.
func sniffFraming(text *bufio.Reader, format Format, live bool) (framing, string) {
	ahead := peekAhead(text, sniffSize, live)
	start := 0
	for start < len(ahead) && isSpace(ahead[start]) {
		start++
	}
	if start == len(ahead) {
		if len(ahead) < sniffSize {
			return framingEmpty, ""
		}
		return framingLines, "" // a lot of white space: the scanner skips it
	}
	first := ahead[start:]
	end := bytes.IndexByte(first, '\n')
	if end < 0 {
		end = len(first)
	}
	line := bytes.TrimSpace(first[:end])
	if first[0] != '{' && first[0] != '[' {
		switch {
		case bytes.IndexByte(line, 0) >= 0 && !startsLikeJSON(first[end:]):
			return framingUnknown, "binary data (a NUL byte in the first line), neither JSON nor CSV"
		case end == len(first) && len(ahead) == sniffSize:
			return framingUnknown, fmt.Sprintf("no line end in the first %d KB and not JSON: neither JSON nor CSV", sniffSize>>10)
		case format == FormatCSV:
			return framingCSV, ""
		case format != FormatAuto:
			return framingLines, "" // JSON imposed: every line will say what is wrong with it
		case isCSVHeader(line) || !startsLikeJSON(first[end:]):
			return framingCSV, ""
		}
		return framingLines, ""
	}
	if format == FormatCSV {
		return framingCSV, ""
	}
	switch {
	case end == len(first):
		return framingLines, "" // one long line, or one line only
	case len(line) == 1 && first[0] == '{' && !wrapperFields[firstKeyIn(first)] && wholeRecordLines(first[end:]):
		// A record spread over lines, then records one per line: NDJSON whose first record alone
		// was pretty-printed. Read as lines, a broken line below costs that line only.
		return framingSpreadLines, ""
	case len(line) == 1:
		return framingDocument, "" // a lone "[" or "{": pretty-printed
	}
	// Only a value that goes on past its first line makes a document.
	probe := newScanner(bufio.NewReader(bytes.NewReader(line)), true)
	if _, err := probe.value(); !errors.Is(err, errEnd) {
		return framingLines, ""
	}
	return framingDocument, ""
}

// peekAhead peeks at the next n bytes of r, fewer at the end of the input. Live input (a pipe)
// may pause for good after a few lines: there it peeks only until the first line that holds more
// than white space is whole, so that a stream's first row does not wait for n bytes to arrive.
func peekAhead(r *bufio.Reader, n int, live bool) []byte {
	if !live {
		ahead, _ := r.Peek(n)
		return ahead
	}
	for {
		ahead, _ := r.Peek(r.Buffered())
		if len(ahead) >= n {
			return ahead[:n]
		}
		if start := bytes.IndexFunc(ahead, func(c rune) bool { return !isSpace(byte(c)) }); start >= 0 && bytes.IndexByte(ahead[start:], '\n') >= 0 {
			return ahead
		}
		if _, err := r.Peek(len(ahead) + 1); err != nil {
			ahead, _ = r.Peek(r.Buffered())
			return ahead
		}
	}
}

// wholeRecordLines tells whether text (the lines after a record's first one, as far as they were
// peeked) has, after the record's end, lines that are each a whole JSON object: NDJSON.
func wholeRecordLines(text []byte) bool {
	lines := bytes.Split(text, []byte{'\n'})
	if len(lines) > 0 {
		lines = lines[:len(lines)-1] // the last may be cut short by the peek
	}
	whole := 0
	for _, line := range lines {
		line = bytes.TrimSpace(line)
		if len(line) > 1 && line[0] == '{' && line[len(line)-1] == '}' && gjson.ValidBytes(line) {
			whole++
		}
	}
	return whole >= 2
}

// isCSVHeader tells whether line is a CSV header naming a Log Analytics column.
func isCSVHeader(line []byte) bool {
	for _, cell := range bytes.Split(line, []byte{','}) {
		name := strings.TrimSuffix(strings.Trim(string(cell), "\" \t\r\ufeff"), utcSuffix)
		if isKnownColumn(name) {
			return true
		}
	}
	return false
}

// startsLikeJSON tells whether any line of text starts with { or [.
func startsLikeJSON(text []byte) bool {
	for _, line := range bytes.Split(text, []byte{'\n'}) {
		if line = bytes.TrimLeft(line, " \t\r"); len(line) > 0 && (line[0] == '{' || line[0] == '[') {
			return true
		}
	}
	return false
}
