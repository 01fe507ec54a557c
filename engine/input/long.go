package input

import (
	"bytes"
	"runtime/debug"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/tidwall/pretty"
)

// A long value (a line, a record or a string of one, longer than a batch: isLong) costs about its
// size once in memory, not two or three times:
//   - its text is gathered in chunks while its length is unknown, then joined into one buffer of
//     its size, the chunks given back to the system as they are copied (longText);
//   - that buffer is its own: nothing reads another text into it (a long line's batch is not
//     recycled; the scanner keeps a value in its buffer up to a batch's size only, and hands a
//     longer one over; a line the scanner reads again is read in place; a long CSV row's cells
//     are handed over), so a long string value of a record points into it when it has no
//     escapes, and is unescaped once, into a buffer of its size, when it has (longString);
//   - a long value is neither interned nor kept by a read filter's memory of texts: either would
//     hold it after its row is gone.

// isLong tells whether a text of n bytes is long: no text of a batch, nor a value the scanner
// keeps in its buffer, is, so a long text is in a buffer of its own.
func isLong(n int) bool { return n > batchSize }

// longText gathers text of unknown length in chunks of batchSize.
type longText struct {
	chunks [][]byte
	size   int
}

// add appends a copy of p.
func (l *longText) add(p []byte) {
	for len(p) > 0 {
		if n := len(l.chunks); n == 0 || len(l.chunks[n-1]) == cap(l.chunks[n-1]) {
			l.chunks = append(l.chunks, make([]byte, 0, batchSize))
		}
		last := &l.chunks[len(l.chunks)-1]
		part := p[:min(len(p), cap(*last)-len(*last))]
		*last = append(*last, part...)
		l.size += len(part)
		p = p[len(part):]
	}
}

// take appends chunk itself, which the caller no longer uses.
func (l *longText) take(chunk []byte) {
	l.chunks = append(l.chunks, chunk)
	l.size += len(chunk)
}

// join returns head, the text gathered and tail in one buffer of their size, with room for slack
// bytes more, and empties l. The chunks are released as they are copied, a largeBuffer at a
// time, so that the text is held about once, not twice, at the peak; the buffer's pages become
// resident only as they are written.
func (l *longText) join(head, tail []byte, slack int) []byte {
	out := makeBuffer(0, len(head)+l.size+len(tail)+slack)
	out = append(out, head...)
	copied := 0
	for i, c := range l.chunks {
		out = append(out, c...)
		l.chunks[i] = nil
		if copied += len(c); copied >= largeBuffer {
			debug.FreeOSMemory()
			copied = 0
		}
	}
	*l = longText{}
	return append(out, tail...)
}

// longString is the value of a long JSON string's text (quotes included), which is in a buffer
// of its own (see above): that text itself when it has no escapes, else unescaped once into a
// buffer of its size. It unescapes as gjson does, so that a value reads the same at any length.
func longString(raw []byte) string {
	body := raw[1 : len(raw)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		return text(body)
	}
	out := unescapeInto(makeBuffer(0, len(body)), body)
	return unsafe.String(unsafe.SliceData(out), len(out))
}

// longCompactJSON is compactJSON for long JSON text in a buffer of its own: the text itself
// without white space, else compacted once into a buffer of its size.
func longCompactJSON(raw string) string {
	if !spaceOutsideStrings(unsafe.Slice(unsafe.StringData(raw), len(raw))) {
		return raw
	}
	out := pretty.UglyInPlace(append(makeBuffer(0, len(raw)), raw...))
	return unsafe.String(unsafe.SliceData(out), len(out))
}

// unescapeInto appends the value of a JSON string's body to dst, as gjson's unescape reads it:
// a control character or a malformed escape ends it, an invalid \u code point is U+FFFD.
func unescapeInto(dst, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= ' ' && c != '\\' {
			end := i + 1
			for end < len(s) && s[end] >= ' ' && s[end] != '\\' {
				end++
			}
			dst = append(dst, s[i:end]...)
			i = end - 1
			continue
		}
		if s[i] < ' ' {
			return dst
		}
		i++
		if i >= len(s) {
			return dst
		}
		switch s[i] {
		case '\\', '/', '"':
			dst = append(dst, s[i])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			if i+5 > len(s) {
				return dst
			}
			r := hexRune(s[i+1:])
			i += 5
			if r >= 0xD800 && r < 0xDC00 && len(s[i:]) >= 6 && s[i] == '\\' && s[i+1] == 'u' {
				if r2 := hexRune(s[i+2:]); r2 >= 0xDC00 && r2 < 0xE000 {
					r = utf16.DecodeRune(r, r2)
					i += 6
				}
			}
			dst = utf8.AppendRune(dst, r)
			i--
		default:
			return dst
		}
	}
	return dst
}

// spaceOutsideStrings tells whether JSON text has white space that compacting it would drop.
func spaceOutsideStrings(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case ' ', '\t', '\r', '\n':
			return true
		case '"':
			i = skipString(raw, i) - 1
		}
	}
	return false
}

// hexRune reads the four hex digits b starts with (0 when they are not).
func hexRune(b []byte) rune {
	n, _ := strconv.ParseUint(text(b[:4]), 16, 64)
	return rune(n)
}
