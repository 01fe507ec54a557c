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
// the system (freeBefore); a variable only so that tests can lower it.
var largeBuffer = 32 << 20

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
	r       *bufio.Reader
	line    int
	oneLine bool
	// afterNewline is set when the last byte read ended a line.
	afterNewline bool
	buf          []byte
}

func newScanner(r *bufio.Reader, oneLine bool) *scanner {
	return &scanner{r: r, line: 1, oneLine: oneLine, afterNewline: true}
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
func (s *scanner) value() ([]byte, error) {
	s.buf = s.buf[:0]
	c, err := s.peek(true)
	if err != nil {
		return nil, err
	}
	if c == '{' || c == '[' || c == '"' {
		err = s.structured()
	} else {
		err = s.scalar()
	}
	if err == nil && len(s.buf) > maxValueSize {
		err = errTooLarge
	}
	return s.buf, err
}

func (s *scanner) keep(c byte) {
	if len(s.buf) <= maxValueSize {
		s.buf = append(s.buf, c)
	}
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
	// Past maxValueSize, one byte more is kept: enough for value to tell it is too large.
	if room := maxValueSize + 1 - len(s.buf); room > 0 {
		s.buf = appendCapped(s.buf, part[:min(room, len(part))])
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
// broke off.
type lineCounter struct {
	r     io.Reader
	lines int
	err   error
}

func (l *lineCounter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.lines += bytes.Count(p[:n], []byte{'\n'})
	if err != nil && err != io.EOF && l.err == nil {
		l.err = err
	}
	return n, err
}
