package sentinel

import (
	"sort"
	"unicode/utf8"

	"github.com/signin-detect/detect/engine/kqlparse"
	"gopkg.in/yaml.v3"
)

// queryMap places each byte of the decoded query in the file. YAML changes the text on the way
// in (a block scalar loses its indentation, a folded or quoted one joins lines, escapes are
// decoded), so the map is built by walking the decoded text and the file together: every
// character that is not white space is the next equal character in the file. A literal block
// (`query: |`, what Sentinel publishes) maps exactly; folded and quoted scalars map exactly
// except next to escapes.
type queryMap struct {
	src        string
	lineStarts []int // byte offset where each file line starts
	query      string
	fileOff    []int // for each query byte: its file offset, or -1 (white space, unmapped)
}

func newQueryMap(src string, n *yaml.Node, query string) queryMap {
	m := queryMap{src: src, query: query, fileOff: make([]int, len(query))}
	m.lineStarts = []int{0}
	// Lines end as YAML ends them: \n, \r\n, or a lone \r.
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' || src[i] == '\r' && (i+1 == len(src) || src[i+1] != '\n') {
			m.lineStarts = append(m.lineStarts, i+1)
		}
	}
	raw := m.offsetOf(n.Line, n.Column)
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 && n.Line < len(m.lineStarts) {
		raw = m.lineStarts[n.Line] // the block's text starts on the line after its | or >
	}
	for i := range query {
		m.fileOff[i] = -1
	}
	for i := 0; i < len(query); i++ {
		c := query[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			continue
		}
		for raw < len(src) && src[raw] != c {
			raw++
		}
		if raw >= len(src) {
			break
		}
		m.fileOff[i] = raw
		raw++
	}
	return m
}

// offsetOf turns a 1-based line and (character) column into a byte offset of the file.
func (m queryMap) offsetOf(line, col int) int {
	if line < 1 || line > len(m.lineStarts) {
		return len(m.src)
	}
	off := m.lineStarts[line-1]
	for c := 1; c < col && off < len(m.src) && m.src[off] != '\n'; c++ {
		_, size := utf8.DecodeRuneInString(m.src[off:])
		off += size
	}
	return off
}

// lineCol turns a file byte offset into a 1-based line and character column.
func (m queryMap) lineCol(off int) (int, int) {
	line := sort.Search(len(m.lineStarts), func(i int) bool { return m.lineStarts[i] > off })
	start := m.lineStarts[line-1]
	return line, utf8.RuneCountInString(m.src[start:off]) + 1
}

// position places a query position in the file. A place on white space is placed relative to
// the nearest mapped character before it on the same query line (or after it, or, on a blank
// line, that many lines below the last mapped one).
func (m queryMap) position(p kqlparse.Pos) (int, int) {
	o := min(max(p.Offset, 0), len(m.query))
	lineStart := o
	for lineStart > 0 && m.query[lineStart-1] != '\n' {
		lineStart--
	}
	lineEnd := o
	for lineEnd < len(m.query) && m.query[lineEnd] != '\n' {
		lineEnd++
	}
	for k := o; k >= lineStart; k-- {
		if k < len(m.query) && m.fileOff[k] >= 0 {
			line, col := m.lineCol(m.fileOff[k])
			return line, col + utf8.RuneCountInString(m.query[k:o])
		}
	}
	for k := o; k < lineEnd; k++ {
		if m.fileOff[k] >= 0 {
			line, col := m.lineCol(m.fileOff[k])
			return line, max(1, col-utf8.RuneCountInString(m.query[o:k]))
		}
	}
	for k := lineStart - 1; k >= 0; k-- {
		if m.fileOff[k] >= 0 {
			line, _ := m.lineCol(m.fileOff[k])
			below := 0
			for _, c := range []byte(m.query[k:lineStart]) {
				if c == '\n' {
					below++
				}
			}
			return line + below, 1
		}
	}
	return 1, 1
}

// QueryPosition places a position in the query text (as kqlparse reports it) in the file.
func (r *Rule) QueryPosition(p kqlparse.Pos) Position {
	line, col := r.queryMap.position(p)
	return Position{File: r.File, Line: line, Col: col}
}

// ParseQuery parses the rule's query; a syntax error is placed in the file.
func (r *Rule) ParseQuery() (*kqlparse.Query, error) {
	q, err := kqlparse.Parse(r.Query)
	if err != nil {
		if e, ok := err.(*kqlparse.Error); ok {
			return nil, &Error{Pos: r.QueryPosition(e.Pos), Msg: e.Msg}
		}
		return nil, err
	}
	return q, nil
}
