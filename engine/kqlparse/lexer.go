package kqlparse

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// tokenKind is what a token is; operators and punctuation are tokPunct with their text.
type tokenKind int

const (
	tokEOF tokenKind = iota
	tokIdent
	tokNumber   // 42, 1.5, 1e3, 0x1F
	tokTimespan // 5m, 1.5h, 100ms, 1tick
	tokString   // any quoted form; Value holds the decoded text
	tokPunct
	// tokTyped is datetime(...), date(...), time(...), timespan(...) or guid(...) whole: their
	// content (2024-01-01T10:00:00Z, 1.02:03:04) is not made of KQL tokens. value is the type
	// word, raw the text between the parentheses.
	tokTyped
)

type token struct {
	kind  tokenKind
	text  string // as written
	value string // decoded string literal, or an identifier's name
	raw   string // a tokTyped's content
	rawAt Pos    // where raw starts
	pos   Pos
	end   int // byte offset just past the token
	// endPos is where the token ends (set by lex): a node's End is its last token's endPos.
	endPos Pos
}

// lexer cuts KQL text into tokens. Comments (// to end of line) and white space are skipped.
// https://learn.microsoft.com/kusto/query/syntax-conventions
type lexer struct {
	src  string
	off  int
	line int
	col  int
}

func lex(src string) ([]token, error) {
	l := &lexer{src: src, line: 1, col: 1}
	var toks []token
	lastEnd := Pos{Line: 1, Col: 1}
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		if t.kind == tokEOF {
			// The end of the query is placed just after its last token, not after trailing
			// comments and blank lines: "expected an expression" then points where one is due.
			t.pos, t.end, t.endPos = lastEnd, lastEnd.Offset, lastEnd
			return append(toks, t), nil
		}
		lastEnd = l.pos()
		t.endPos = lastEnd
		toks = append(toks, t)
	}
}

func (l *lexer) pos() Pos { return Pos{Offset: l.off, Line: l.line, Col: l.col} }

func (l *lexer) peekByte(k int) byte {
	if l.off+k < len(l.src) {
		return l.src[l.off+k]
	}
	return 0
}

// advance moves past n bytes, counting lines and (rune) columns.
func (l *lexer) advance(n int) {
	end := l.off + n
	for l.off < end {
		r, size := utf8.DecodeRuneInString(l.src[l.off:])
		l.off += size
		if r == '\n' {
			l.line++
			l.col = 1
		} else {
			l.col++
		}
	}
}

func (l *lexer) errorf(p Pos, format string, args ...any) error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, args...)}
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// timespanUnits are the suffixes a number takes to be a timespan literal, as Microsoft's lexer
// lists them (grammar/KqlTokens.g4, TIMESPANLITERAL).
// https://learn.microsoft.com/kusto/query/scalar-data-types/timespan
var timespanUnits = map[string]bool{}

func init() {
	for u := range timespanUnitDurations {
		timespanUnits[u] = true
	}
}

// isSpace reports the white space Microsoft's lexer skips (grammar/KqlTokens.g4, WHITESPACE).
func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\r', '\n', '\f', '\u00a0', '\u1680', '\u180e', '\u202f', '\u205f', '\u3000', '\ufeff':
		return true
	}
	return r >= '\u2000' && r <= '\u200b'
}

func (l *lexer) next() (token, error) {
	// White space and comments.
	for l.off < len(l.src) {
		if l.src[l.off] == '/' && l.peekByte(1) == '/' {
			n := strings.IndexAny(l.src[l.off:], "\r\n")
			if n < 0 {
				n = len(l.src) - l.off
			}
			l.advance(n)
			continue
		}
		// Unicode spaces (a non-breaking space is common in rules pasted from web pages).
		if r, size := utf8.DecodeRuneInString(l.src[l.off:]); isSpace(r) {
			l.advance(size)
			continue
		}
		break
	}
	start := l.pos()
	if l.off >= len(l.src) {
		return token{kind: tokEOF, pos: start, end: l.off}, nil
	}
	c := l.src[l.off]
	mk := func(kind tokenKind, value string) token {
		return token{kind: kind, text: l.src[start.Offset:l.off], value: value, pos: start, end: l.off}
	}
	switch {
	case (c == 'h' || c == 'H') && (l.peekByte(1) == '"' || l.peekByte(1) == '\'' || l.peekByte(1) == '@' || l.isFence(1)):
		// h"..." and h@"..." are obfuscated strings: the same value, hidden from logs.
		// https://learn.microsoft.com/kusto/query/scalar-data-types/string#obfuscated-string-literals
		if l.peekByte(1) == '@' && l.peekByte(2) != '"' && l.peekByte(2) != '\'' {
			break
		}
		l.advance(1)
		var v string
		var err error
		if l.isFence(0) {
			v, err = l.multiLine(start)
		} else {
			v, err = l.stringLit(start)
		}
		if err != nil {
			return token{}, err
		}
		return mk(tokString, v), nil
	case c == '"' || c == '\'' || c == '@' && (l.peekByte(1) == '"' || l.peekByte(1) == '\''):
		v, err := l.stringLit(start)
		if err != nil {
			return token{}, err
		}
		return mk(tokString, v), nil
	case l.isFence(0):
		v, err := l.multiLine(start)
		if err != nil {
			return token{}, err
		}
		return mk(tokString, v), nil
	case isDigit(c) || c == '.' && isDigit(l.peekByte(1)):
		return l.number(start)
	case c == '!' && isIdentStart(l.peekByte(1)) && l.peekByte(1) != '$':
		// !has, !contains, !in, !between, !startswith_cs...: one negated operator word.
		l.advance(1)
		for l.off < len(l.src) && isIdentPart(l.src[l.off]) {
			l.advance(1)
		}
		if l.peekByte(0) == '~' {
			l.advance(1)
		}
		return mk(tokIdent, l.src[start.Offset:l.off]), nil
	}
	if isIdentStart(c) {
		for l.off < len(l.src) && isIdentPart(l.src[l.off]) {
			r, size := utf8.DecodeRuneInString(l.src[l.off:])
			if isSpace(r) {
				break
			}
			l.advance(size)
		}
		name := l.src[start.Offset:l.off]
		if rawLiteralWords[name] {
			if t, ok, err := l.typedLiteral(start, name); ok || err != nil {
				return t, err
			}
		}
		if name == "in" && l.peekByte(0) == '~' {
			l.advance(1)
			name = "in~"
		}
		return mk(tokIdent, name), nil
	}
	for _, p := range []string{"==", "!=", "<>", "<=", ">=", "=~", "!~", "..", "=>"} {
		if strings.HasPrefix(l.src[l.off:], p) {
			l.advance(2)
			return mk(tokPunct, p), nil
		}
	}
	if strings.ContainsRune("|()[]{},;:=<>+-*/%.!?", rune(c)) {
		l.advance(1)
		return mk(tokPunct, string(c)), nil
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.off:])
	return token{}, l.errorf(start, "unexpected character %q", r)
}

// isFence reports whether ``` or ~~~ starts k bytes ahead.
func (l *lexer) isFence(k int) bool {
	c := l.peekByte(k)
	return (c == '`' || c == '~') && l.peekByte(k+1) == c && l.peekByte(k+2) == c
}

// multiLine reads a multi-line string: ``` or ~~~ up to the same three again, no escapes.
func (l *lexer) multiLine(start Pos) (string, error) {
	fence := l.src[l.off : l.off+3]
	end := strings.Index(l.src[l.off+3:], fence)
	if end < 0 {
		return "", l.errorf(start, "multi-line string %s is not closed", fence)
	}
	v := l.src[l.off+3 : l.off+3+end]
	l.advance(3 + end + 3)
	return v, nil
}

// stringLit reads "...", '...', @"...", @'...' (the lexer is at the quote or the @) and returns
// the decoded value. Adjacent literals are joined by the parser, as KQL does.
// https://learn.microsoft.com/kusto/query/scalar-data-types/string
func (l *lexer) stringLit(start Pos) (string, error) {
	verbatim := false
	if l.peekByte(0) == '@' {
		verbatim = true
		l.advance(1)
	}
	quote := l.src[l.off]
	l.advance(1)
	var b strings.Builder
	for {
		if l.off >= len(l.src) {
			return "", l.errorf(start, "string literal is not closed: expected %c", quote)
		}
		c := l.src[l.off]
		switch {
		case c == quote:
			if verbatim && l.peekByte(1) == quote {
				b.WriteByte(quote)
				l.advance(2)
				continue
			}
			l.advance(1)
			return b.String(), nil
		case c == '\n' && !verbatim:
			return "", l.errorf(start, "string literal is not closed on its line: expected %c", quote)
		case c == '\\' && !verbatim:
			p := l.pos()
			esc := l.peekByte(1)
			if simple, ok := simpleEscapes[esc]; ok {
				b.WriteByte(simple)
				l.advance(2)
				continue
			}
			switch {
			case esc == 'u' || esc == 'U' || esc == 'x':
				n := map[byte]int{'u': 4, 'U': 8, 'x': 2}[esc]
				if l.off+2+n > len(l.src) {
					return "", l.errorf(p, "\\%c needs %d hex digits", rune(esc), n)
				}
				r, err := strconv.ParseUint(l.src[l.off+2:l.off+2+n], 16, 32)
				if err != nil || r > utf8.MaxRune {
					return "", l.errorf(p, "\\%c needs %d hex digits", rune(esc), n)
				}
				b.WriteRune(rune(r))
				l.advance(2 + n)
				continue
			case esc >= '0' && esc <= '7':
				// Octal: up to three digits, at most \377.
				n, v := 0, 0
				for n < 3 && l.peekByte(1+n) >= '0' && l.peekByte(1+n) <= '7' && v*8+int(l.peekByte(1+n)-'0') <= 0377 {
					v = v*8 + int(l.peekByte(1+n)-'0')
					n++
				}
				b.WriteByte(byte(v))
				l.advance(1 + n)
				continue
			default:
				// Kusto rejects unknown escapes such as "\d": a regex needs @"\d" or "\\d".
				return "", l.errorf(p, "unknown escape \\%c in a string literal (write \\\\ or use a verbatim string @\"...\")", rune(esc))
			}
		default:
			_, size := utf8.DecodeRuneInString(l.src[l.off:])
			b.WriteString(l.src[l.off : l.off+size])
			l.advance(size)
		}
	}
}

// simpleEscapes are the one-letter escapes of KQL strings (grammar/KqlTokens.g4, EscapeSequence).
// https://learn.microsoft.com/kusto/query/scalar-data-types/string
var simpleEscapes = map[byte]byte{
	'\\': '\\', '"': '"', '\'': '\'', 'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r',
	't': '\t', 'v': '\v',
}

// number reads an integer, real or timespan literal. "1..5" is 1, .., 5.
func (l *lexer) number(start Pos) (token, error) {
	s := l.src
	i := l.off
	if s[i] == '0' && i+1 < len(s) && (s[i+1] == 'x' || s[i+1] == 'X') {
		i += 2
		for i < len(s) && (isDigit(s[i]) || s[i] >= 'a' && s[i] <= 'f' || s[i] >= 'A' && s[i] <= 'F') {
			i++
		}
	} else {
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i < len(s) && s[i] == '.' && i+1 < len(s) && isDigit(s[i+1]) {
			i++
			for i < len(s) && isDigit(s[i]) {
				i++
			}
		} else if i < len(s) && s[i] == '.' && !(i+1 < len(s) && s[i+1] == '.') && !(i+1 < len(s) && isIdentStart(s[i+1])) {
			i++ // "1." is a real
		}
		if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
			j := i + 1
			if j < len(s) && (s[j] == '+' || s[j] == '-') {
				j++
			}
			if j < len(s) && isDigit(s[j]) {
				for j < len(s) && isDigit(s[j]) {
					j++
				}
				i = j
			}
		}
	}
	numEnd := i
	for i < len(s) && isIdentPart(s[i]) {
		i++
	}
	l.advance(i - l.off)
	text := s[start.Offset:l.off]
	if i == numEnd {
		return token{kind: tokNumber, text: text, value: text, pos: start, end: l.off}, nil
	}
	if !timespanUnits[s[numEnd:i]] {
		// Microsoft's lexer reads digits followed by letters that are no timespan unit as a
		// name (grammar/KqlTokens.g4, IDENTIFIER), e.g. a column called 3Dchart; a real number
		// cannot start a name.
		if strings.ContainsAny(s[start.Offset:numEnd], ".eExX") {
			return token{}, l.errorf(start, "%q is not a number or a timespan (units: d, h, m, s, ms, microsecond, tick...)", text)
		}
		return token{kind: tokIdent, text: text, value: text, pos: start, end: l.off}, nil
	}
	return token{kind: tokTimespan, text: text, value: text, pos: start, end: l.off}, nil
}

// rawLiteralWords are the literal forms whose content the lexer keeps as raw text.
// https://learn.microsoft.com/kusto/query/scalar-data-types/datetime
// https://learn.microsoft.com/kusto/query/scalar-data-types/timespan
// https://learn.microsoft.com/kusto/query/scalar-data-types/guid
var rawLiteralWords = map[string]bool{"datetime": true, "date": true, "time": true, "timespan": true, "guid": true}

// typedLiteral reads `(` content `)` after a raw literal word, if a ( follows (spaces allowed).
func (l *lexer) typedLiteral(start Pos, word string) (token, bool, error) {
	i := l.off
	for i < len(l.src) && (l.src[i] == ' ' || l.src[i] == '\t') {
		i++
	}
	if i >= len(l.src) || l.src[i] != '(' {
		return token{}, false, nil
	}
	l.advance(i + 1 - l.off)
	at := l.pos()
	end := strings.IndexAny(l.src[l.off:], ")\n")
	if end < 0 || l.src[l.off+end] != ')' {
		return token{}, false, l.errorf(start, "%s( is not closed by ) on its line", word)
	}
	raw := l.src[l.off : l.off+end]
	l.advance(end + 1)
	return token{kind: tokTyped, text: l.src[start.Offset:l.off], value: word, raw: raw, rawAt: at, pos: start, end: l.off}, true, nil
}
