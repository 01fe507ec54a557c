package input

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
)

// Limits that keep hostile input from exhausting memory or the stack. Real sign-in records are a
// few kilobytes and nest a few levels deep. maxValueSize bounds a line, a record, a CSV row and a
// JSON value on every path; it is a variable only so that tests can lower it.
var maxValueSize = 256 << 20

const maxDepth = 512

// appendCapped is append, but a buffer it grows doubles only up to one byte past maxValueSize, so
// that text over the limit costs about twice the limit at most (append grows a large slice by a
// quarter, past the limit).
func appendCapped(buf, part []byte) []byte {
	if need := len(buf) + len(part); need > cap(buf) {
		grown := makeBuffer(len(buf), max(need, min(2*cap(buf), maxValueSize+1)))
		copy(grown, buf)
		buf = grown
	}
	return append(buf, part...)
}

// largeBuffer is the size from which an allocation first collects the garbage and returns it to
// the system (freeBefore).
const largeBuffer = 32 << 20

// freeBefore collects the garbage and returns it to the system before an allocation of size
// bytes, when that is largeBuffer or more: the smaller buffers a long value grew through, and
// those of the long value before it. cmd/detect paces the collector to let the heap grow to
// several times what is live, and values of hundreds of MB would otherwise pile up as garbage
// (a 250 MB line cost 1.2 GB). Such values are rare, so the collections are few.
func freeBefore(size int) {
	if size >= largeBuffer {
		debug.FreeOSMemory()
	}
}

// makeBuffer is make([]byte, length, capacity) after freeBefore(capacity).
func makeBuffer(length, capacity int) []byte {
	freeBefore(capacity)
	return make([]byte, length, capacity)
}

// errTooLarge is a value larger than maxValueSize; the scanner has skipped over it.
var errTooLarge = errors.New("over the 256 MB limit of a record")

// scanner cuts JSON text into values without parsing them (gjson validates each record), counting
// lines as it goes. In one-line mode (NDJSON) a value must end on the line it starts on.
type scanner struct {
	r textReader
	// mem is r when the text is in memory already (a line read again): values are cut out of it
	// in place, not copied.
	mem     *memText
	line    int
	oneLine bool
	// afterNewline is set when the last byte read ended a line.
	afterNewline bool
	// buf holds the value being read, up to batchSize; long the rest of a longer one.
	buf  []byte
	long longText
	// limit is the most the value being read may hold (see valueWithin).
	limit int
}

func newScanner(r *bufio.Reader, oneLine bool) *scanner {
	return &scanner{r: r, line: 1, oneLine: oneLine, afterNewline: true}
}

// newLineScanner is a one-line scanner of a line in memory (without its line end), starting at
// line number, that reads its values in place.
func newLineScanner(line []byte, number int) *scanner {
	m := &memText{b: line}
	return &scanner{r: m, mem: m, line: number, oneLine: true, afterNewline: true}
}

// textReader is what a scanner reads: a *bufio.Reader, or a memText.
type textReader interface {
	ReadByte() (byte, error)
	UnreadByte() error
	Peek(n int) ([]byte, error)
	Buffered() int
	Discard(n int) (int, error)
}

// memText reads a line in memory, then a line end after it (so that a value cut short ends inside
// the line, as it would in a file), as a *bufio.Reader would, without copying it: Peek returns the
// line's own bytes.
type memText struct {
	b   []byte
	pos int // up to len(b)+1, past the line end
}

var lineEnd = []byte{'\n'}

// rest is what is left of the line, or of its line end once the line is read.
func (m *memText) rest() []byte {
	if m.pos < len(m.b) {
		return m.b[m.pos:]
	}
	return lineEnd[min(m.pos-len(m.b), 1):]
}

func (m *memText) ReadByte() (byte, error) {
	rest := m.rest()
	if len(rest) == 0 {
		return 0, io.EOF
	}
	m.pos++
	return rest[0], nil
}

func (m *memText) UnreadByte() error {
	m.pos = max(m.pos-1, 0)
	return nil
}

func (m *memText) Peek(n int) ([]byte, error) {
	rest := m.rest()
	if len(rest) < n {
		return rest, io.EOF
	}
	return rest[:n], nil
}

func (m *memText) Buffered() int { return len(m.rest()) }

func (m *memText) Discard(n int) (int, error) {
	n = min(n, len(m.rest()))
	m.pos += n
	return n, nil
}

// syntaxError is JSON text the scanner cannot cut into values.
type syntaxError struct{ msg string }

func (e *syntaxError) Error() string { return e.msg }

func syntaxErrorf(format string, args ...any) error {
	return &syntaxError{fmt.Sprintf(format, args...)}
}

// errEnd is the end of the input where a value or a delimiter was due. Whether it is an error
// depends on where it happens; a read error behind it is the reader's to report.
var errEnd = errors.New("end of input")

func (s *scanner) readByte() (byte, error) {
	c, err := s.r.ReadByte()
	if err != nil {
		return 0, errEnd
	}
	s.afterNewline = c == '\n'
	if c == '\n' {
		s.line++
	}
	return c, nil
}

func (s *scanner) unreadByte(c byte) {
	_ = s.r.UnreadByte()
	if c == '\n' {
		s.line--
	}
}

// peek skips white space and returns the next byte without consuming it. Inside a value in
// one-line mode, the end of the line is an error.
func (s *scanner) peek(inside bool) (byte, error) {
	for {
		c, err := s.readByte()
		if err != nil {
			return 0, err
		}
		switch c {
		case ' ', '\t', '\r':
			continue
		case '\n':
			if inside && s.oneLine {
				return 0, syntaxErrorf("the line ends inside a JSON value")
			}
			continue
		}
		s.unreadByte(c)
		return c, nil
	}
}

// next consumes the byte peek returned.
func (s *scanner) next() { _, _ = s.readByte() }

// expect consumes white space and then c.
func (s *scanner) expect(c byte, what string) error {
	got, err := s.peek(true)
	if err != nil {
		return err
	}
	if got != c {
		return syntaxErrorf("expected %q %s, found %q", c, what, got)
	}
	s.next()
	return nil
}

// drain consumes the rest of the text and returns the number of its last line that holds text.
func (s *scanner) drain() int {
	for {
		chunk, err := s.buffered()
		if err != nil {
			break
		}
		s.line += bytes.Count(chunk, []byte{'\n'})
		s.afterNewline = chunk[len(chunk)-1] == '\n'
		_, _ = s.r.Discard(len(chunk))
	}
	if s.afterNewline {
		return s.line - 1
	}
	return s.line
}

// skipLine consumes the rest of the current line, to go on after a bad one.
func (s *scanner) skipLine() {
	for !s.afterNewline {
		if _, err := s.readByte(); err != nil {
			return
		}
	}
}

// firstKey returns the first field name of the object about to be read, if it shows within the
// next few hundred bytes, without consuming anything.
func (s *scanner) firstKey() string {
	ahead, _ := s.r.Peek(512)
	return firstKeyIn(ahead)
}

// firstKeyIn returns the first field name of the object text starts with, if text holds it.
func firstKeyIn(ahead []byte) string {
	i := 1 // past '{'
	for i < len(ahead) && isSpace(ahead[i]) {
		i++
	}
	if i >= len(ahead) || ahead[i] != '"' {
		return ""
	}
	for j := i + 1; j < len(ahead); j++ {
		switch ahead[j] {
		case '"':
			return string(ahead[i+1 : j])
		case '\\', '\n':
			return ""
		}
	}
	return ""
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// value reads the next value, white space before it skipped, and returns its text, which is valid
// until the next call. The text is cut at the value's end but not checked: an object's brackets
// balance, its strings close, and that is all. A value over maxValueSize is skipped and reported
// as errTooLarge.
func (s *scanner) value() ([]byte, error) { return s.valueWithin(maxValueSize) }

// valueWithin is value for a value that may be limit bytes long at most, kept only so far.
func (s *scanner) valueWithin(limit int) ([]byte, error) {
	s.buf, s.limit = s.buf[:0], limit
	c, err := s.peek(true)
	if err != nil {
		return nil, err
	}
	start := 0
	if s.mem != nil {
		start = s.mem.pos
	}
	if c == '{' || c == '[' || c == '"' {
		err = s.structured()
	} else {
		err = s.scalar()
	}
	text := s.buf
	switch {
	case s.mem != nil:
		end := min(s.mem.pos, len(s.mem.b))
		text = s.mem.b[start:end:end] // no room after it: the line's text follows
	case s.long.size > 0 && (err != nil || len(s.buf)+s.long.size > limit):
		s.long = longText{}
		if err == nil {
			err = errTooLarge
		}
	case s.long.size > 0:
		// A long value is handed over in a buffer of its own (see long.go), with room for a
		// field's key before it (see jsonReader.wrapper).
		text = s.long.join(s.buf, nil, keyRoom)
	}
	if err == nil && len(text) > limit {
		err = errTooLarge
	}
	return text, err
}

// keyRoom is the room a long value gets after it, for jsonReader.wrapper to move it up by the
// length of a field's key.
const keyRoom = 512

// keep appends a byte of a scalar to the value being read.
func (s *scanner) keep(c byte) {
	if s.mem == nil {
		s.keepText([]byte{c})
	}
}

// keepText appends text to the value being read: to buf up to batchSize, then to long. Past
// its limit, one byte more is kept: enough for value to tell it is too large.
func (s *scanner) keepText(part []byte) {
	kept := len(s.buf) + s.long.size
	part = part[:min(len(part), max(s.limit+1-kept, 0))]
	if s.long.size == 0 && len(s.buf)+len(part) <= batchSize {
		s.buf = append(s.buf, part...)
		return
	}
	s.long.add(part)
}

// structured reads a string, object or array from its first byte to its last. It looks at the
// bytes bufio holds, a buffer at a time, rather than byte by byte: this is where reading spends
// its time.
func (s *scanner) structured() error {
	depth, inString, escaped := 0, false, false
	for {
		chunk, err := s.buffered()
		if err != nil {
			return err
		}
		for i := 0; i < len(chunk); i++ {
			if inString {
				if escaped {
					escaped = false
					continue
				}
				for i < len(chunk) && !stringStops[chunk[i]] {
					i++
				}
				if i == len(chunk) {
					break
				}
				switch chunk[i] {
				case '\\':
					escaped = true
				case '"':
					inString = false
					if depth == 0 {
						s.consume(chunk[:i+1])
						return nil
					}
				case '\n':
					if s.oneLine {
						s.consume(chunk[:i+1])
						return syntaxErrorf("the line ends inside a JSON string")
					}
				}
				continue
			}
			switch chunk[i] {
			case '"':
				inString = true
			case '{', '[':
				depth++
				if depth > maxDepth {
					s.consume(chunk[:i+1])
					return syntaxErrorf("JSON nested deeper than %d levels", maxDepth)
				}
			case '}', ']':
				depth--
				if depth == 0 {
					s.consume(chunk[:i+1])
					return nil
				}
			case '\n':
				if s.oneLine {
					s.consume(chunk[:i+1])
					return syntaxErrorf("the line ends inside a JSON value")
				}
			}
		}
		s.consume(chunk)
	}
}

// stringStops are the bytes that matter inside a string: its end, an escape, a line end.
var stringStops = [256]bool{'"': true, '\\': true, '\n': true}

// buffered returns the bytes bufio holds, reading more when it holds none.
func (s *scanner) buffered() ([]byte, error) {
	if s.r.Buffered() == 0 {
		if _, err := s.r.Peek(1); err != nil {
			return nil, errEnd
		}
	}
	chunk, _ := s.r.Peek(s.r.Buffered())
	return chunk, nil
}

// consume takes the start of what buffered returned as read.
func (s *scanner) consume(part []byte) {
	if s.mem == nil {
		s.keepText(part)
	}
	s.line += bytes.Count(part, []byte{'\n'})
	s.afterNewline = part[len(part)-1] == '\n'
	_, _ = s.r.Discard(len(part))
}

// scalar reads a number, true, false, null, or whatever else stands there, up to the next
// delimiter. It always consumes at least one byte, so that garbage cannot stall the reader.
func (s *scanner) scalar() error {
	for first := true; ; first = false {
		c, err := s.readByte()
		if err != nil {
			if first {
				return err
			}
			return nil
		}
		if !first && (isSpace(c) || c == ',' || c == ']' || c == '}' || c == '{' || c == '[' || c == '"' || c == ':') {
			s.unreadByte(c)
			return nil
		}
		s.keep(c)
	}
}

// lineCounter counts the lines of the text that passes through it, and keeps the first read error
// other than io.EOF, so that a broken stream (a truncated gzip file) is reported at the line it
// broke off. A reader that numbers the lines itself (the lines reader, which counts each batch's)
// sets numbered, and lines when the text ends.
type lineCounter struct {
	r        io.Reader
	lines    int
	numbered bool
	err      error
}

func (l *lineCounter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if !l.numbered {
		l.lines += bytes.Count(p[:n], []byte{'\n'})
	}
	if err != nil && err != io.EOF && l.err == nil {
		l.err = err
	}
	return n, err
}
