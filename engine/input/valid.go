package input

import (
	"encoding/binary"
	"math/bits"
)

// cutRecord validates a record's JSON text, one line, and cuts out its top-level fields in the
// same pass: it accepts exactly the objects gjson.Valid accepts (nested at most maxDepth deep)
// that have no line break, and appends their fields to out, keys and values as written. Reading a
// record this way costs one pass over its bytes, where validating and then cutting cost two; its
// strings, most of a sign-in's bytes, are scanned eight bytes at a time. keys holds the keys the
// record before had at each place (and gets this one's): the records of an export list the same
// keys in the same order, and a key equal to one already validated needs only comparing.
func cutRecord(data []byte, out []field, keys *[]string) ([]field, bool) {
	fields, _, end, ok := cutRecordAt(data, out, keys)
	return fields, ok && end == len(data)
}

// cutRecordAt is cutRecord over the record data starts with, which other text may follow: end is
// where the record and the white space after it end (as a line break is not white space to it, a
// lines file's record and its line end there), and sameKeys tells whether the record's keys were
// all those keys held, in their order: then a walk over its fields may go the way the last went.
func cutRecordAt(data []byte, out []field, keys *[]string) (fields []field, sameKeys bool, end int, ok bool) {
	sameKeys = true
	start := len(out)
	i := skipWhite(data, 0)
	if i >= len(data) || data[i] != '{' {
		return out, false, i, false
	}
	i = skipWhite(data, i+1)
	if i < len(data) && data[i] == '}' {
		return out, len(*keys) == 0, skipWhite(data, i+1), true
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return out, false, i, false
		}
		keyEnd, known := knownKeyEnd(data, i+1, *keys, len(out)-start)
		if !known {
			sameKeys = false
			if keyEnd, ok = validString(data, i+1); !ok {
				return out, false, i, false
			}
			rememberKey(keys, len(out)-start, data[i+1:keyEnd-1])
		}
		f := field{keyStart: int32(i + 1), keyEnd: int32(keyEnd - 1)}
		i = skipWhite(data, keyEnd)
		if i >= len(data) || data[i] != ':' {
			return out, false, i, false
		}
		i = skipWhite(data, i+1)
		f.valueStart = int32(i)
		if i < len(data) && data[i] == '"' { // most values are strings: no need to dispatch
			i, ok = validString(data, i+1)
		} else {
			i, ok = validValue(data, i, 1)
		}
		if !ok {
			return out, false, i, false
		}
		f.valueEnd = int32(i)
		out = append(out, f)
		var closed bool
		if i, closed, ok = afterValue(data, i, '}'); !ok {
			return out, false, i, false
		}
		if closed {
			if n := len(out) - start; n != len(*keys) {
				sameKeys = false
				*keys = (*keys)[:n]
			}
			return out, sameKeys, skipWhite(data, i), true
		}
	}
}

// knownKeyEnd tells whether the key whose text starts at i is keys[n] (a valid string's text), and
// where it ends.
func knownKeyEnd(data []byte, i int, keys []string, n int) (int, bool) {
	if n >= len(keys) {
		return i, false
	}
	end := i + len(keys[n])
	if end >= len(data) || data[end] != '"' || string(data[i:end]) != keys[n] {
		return i, false
	}
	return end + 1, true
}

func rememberKey(keys *[]string, n int, key []byte) {
	switch {
	case n < len(*keys):
		(*keys)[n] = string(key)
	case n == len(*keys):
		*keys = append(*keys, string(key))
	}
}

// afterValue reads what follows a member of an object or array ending with closing: a comma
// (and then white space up to the next member) or the closing bracket (closed, and i past it).
func afterValue(data []byte, i int, closing byte) (next int, closed, ok bool) {
	i = skipWhite(data, i)
	switch {
	case i >= len(data):
		return i, false, false
	case data[i] == ',':
		return skipWhite(data, i+1), false, true
	case data[i] == closing:
		return i + 1, true, true
	}
	return i, false, false
}

// skipWhite skips JSON's white space but for line breaks (see cutRecord).
func skipWhite(data []byte, i int) int {
	for i < len(data) && data[i] <= ' ' && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r') {
		i++
	}
	return i
}

// validValue validates the value that starts at i (white space skipped), depth levels down, and
// returns the index after it.
func validValue(data []byte, i, depth int) (int, bool) {
	if i >= len(data) {
		return i, false
	}
	switch c := data[i]; c {
	case '"':
		return validString(data, i+1)
	case '{':
		return validObject(data, i+1, depth+1)
	case '[':
		return validArray(data, i+1, depth+1)
	case 't':
		return validWord(data, i, "true")
	case 'f':
		return validWord(data, i, "false")
	case 'n':
		return validWord(data, i, "null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return validNumber(data, i)
		}
	}
	return i, false
}

func validWord(data []byte, i int, word string) (int, bool) {
	if len(data)-i >= len(word) && string(data[i:i+len(word)]) == word {
		return i + len(word), true
	}
	return i, false
}

func validObject(data []byte, i, depth int) (int, bool) {
	if depth > maxDepth {
		return i, false
	}
	i = skipWhite(data, i)
	if i < len(data) && data[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return i, false
		}
		var ok bool
		if i, ok = validString(data, i+1); !ok {
			return i, false
		}
		i = skipWhite(data, i)
		if i >= len(data) || data[i] != ':' {
			return i, false
		}
		if i, ok = validValue(data, skipWhite(data, i+1), depth); !ok {
			return i, false
		}
		var closed bool
		if i, closed, ok = afterValue(data, i, '}'); !ok || closed {
			return i, ok
		}
	}
}

func validArray(data []byte, i, depth int) (int, bool) {
	if depth > maxDepth {
		return i, false
	}
	i = skipWhite(data, i)
	if i < len(data) && data[i] == ']' {
		return i + 1, true
	}
	for {
		var ok bool
		if i, ok = validValue(data, i, depth); !ok {
			return i, false
		}
		var closed bool
		if i, closed, ok = afterValue(data, i, ']'); !ok || closed {
			return i, ok
		}
	}
}

// SWAR masks: a byte of a word is flagged when it is a quote, a backslash or a control character.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// stopBytes flags, in the high bit of each byte, the bytes of x (eight bytes of text, the first
// in the lowest byte) that end a run of plain string bytes: '"', '\\' and those below ' ', so
// that every stop of a word is known from one load (the text of JSON-in-a-string columns has one
// every few bytes). A borrow may also flag bytes right after a stop ('#' after '"', ']' after
// '\\', ' ' after a control character); stringWords passes over those.
func stopBytes(x uint64) uint64 {
	quote := x ^ (ones * '"')
	backslash := x ^ (ones * '\\')
	return ((quote-ones)&^quote | (backslash-ones)&^backslash | (x-ones*' ')&^x) & highs
}

// validString validates the rest of a string whose opening quote is before i, with JSON's
// escapes, and returns the index after its closing quote. Built with vector instructions
// (valid_wide.go) it reads 32 bytes a step while that many are left, else eight (stringWords).
func validString(data []byte, i int) (int, bool) {
	if wideStrings && len(data)-i >= 32 {
		return validStringWide(data, i)
	}
	return stringWords(data, i)
}

// stringWords is validString eight bytes at a time.
func stringWords(data []byte, i int) (int, bool) {
words:
	for len(data)-i >= 8 {
		stops := stopBytes(binary.LittleEndian.Uint64(data[i:]))
		for stops != 0 {
			pos := bits.TrailingZeros64(stops) >> 3
			switch c := data[i+pos]; {
			case c == '"':
				return i + pos + 1, true
			case c < ' ':
				return i + pos, false
			case c != '\\': // flagged by a borrow
				stops &= stops - 1
				continue
			}
			// A backslash; escaped is the byte it escapes.
			escaped := i + pos + 1
			if escaped >= len(data) {
				return escaped, false
			}
			switch data[escaped] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(data)-escaped <= 4 || !isHex(data[escaped+1]) || !isHex(data[escaped+2]) || !isHex(data[escaped+3]) || !isHex(data[escaped+4]) {
					return escaped, false
				}
				i = escaped + 5
				continue words
			default:
				return escaped, false
			}
			if pos >= 6 { // the escape ends this word
				i = escaped + 1
				continue words
			}
			stops &= ^uint64(0) << ((pos + 2) * 8) // the escape's own stops are passed
		}
		i += 8
	}
	i, done, ok := stringBytes(data, i, len(data))
	return i, done && ok
}

// validEscape validates the escape whose backslash is before i, and returns the index after it.
func validEscape(data []byte, i int) (int, bool) {
	if i >= len(data) {
		return i, false
	}
	switch data[i] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return i + 1, true
	case 'u':
		if len(data)-i <= 4 || !isHex(data[i+1]) || !isHex(data[i+2]) || !isHex(data[i+3]) || !isHex(data[i+4]) {
			return i, false
		}
		return i + 5, true
	}
	return i, false
}

// stringBytes validates a string's text from i up to end (and the escape that starts before end)
// byte by byte: done when the string ended (ok: well) before end, else next is where to go on.
func stringBytes(data []byte, i, end int) (next int, done, ok bool) {
	for i < end {
		switch c := data[i]; {
		case c == '"':
			return i + 1, true, true
		case c < ' ':
			return i, true, false
		case c == '\\':
			if i, ok = validEscape(data, i+1); !ok {
				return i, true, false
			}
		default:
			i++
		}
	}
	return i, false, true
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// validNumber validates a JSON number at i: an optional minus, 0 or digits, an optional fraction
// and exponent.
func validNumber(data []byte, i int) (int, bool) {
	if data[i] == '-' {
		i++
	}
	digits := func() bool {
		start := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		return i > start
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case !digits():
		return i, false
	}
	if i < len(data) && data[i] == '.' {
		i++
		if !digits() {
			return i, false
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if !digits() {
			return i, false
		}
	}
	return i, true
}
