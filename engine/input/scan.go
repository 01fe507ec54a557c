package input

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Limits that keep hostile input from exhausting memory or the stack. Real sign-in records are a
// few kilobytes and nest a few levels deep.
const (
	maxValueSize = 256 << 20
	maxDepth     = 512
)

// errTooLarge is a value larger than maxValueSize; the scanner has skipped over it.
var errTooLarge = fmt.Errorf("a JSON value larger than %d MB", maxValueSize>>20)

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
	switch c {
	case '{', '[':
		err = s.composite()
	case '"':
		s.next()
		s.buf = append(s.buf, c)
		err = s.stringRest()
	default:
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

func (s *scanner) composite() error {
	depth := 0
	for {
		c, err := s.readByte()
		if err != nil {
			return err
		}
		s.keep(c)
		switch c {
		case '"':
			if err := s.stringRest(); err != nil {
				return err
			}
		case '{', '[':
			depth++
			if depth > maxDepth {
				return syntaxErrorf("JSON nested deeper than %d levels", maxDepth)
			}
		case '}', ']':
			depth--
			if depth == 0 {
				return nil
			}
		case '\n':
			if s.oneLine {
				return syntaxErrorf("the line ends inside a JSON value")
			}
		}
	}
}

// stringRest reads a string after its opening quote.
func (s *scanner) stringRest() error {
	escaped := false
	for {
		c, err := s.readByte()
		if err != nil {
			return err
		}
		if c == '\n' && s.oneLine {
			return syntaxErrorf("the line ends inside a JSON string")
		}
		s.keep(c)
		switch {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"':
			return nil
		}
	}
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
	for _, c := range p[:n] {
		if c == '\n' {
			l.lines++
		}
	}
	if err != nil && err != io.EOF && l.err == nil {
		l.err = err
	}
	return n, err
}
