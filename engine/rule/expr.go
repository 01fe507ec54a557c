package rule

import (
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Expr is an expression as written in a rule file, with what it takes to map a place inside it
// back to the file.
type Expr struct {
	Source string
	Pos    Position // where the expression's text starts
	// lines are the file lines a block or multi-line scalar's text was taken from: where each
	// starts and how many runes of the text it holds (the newline or space that joined it to the
	// next one is one more).
	lines []textLine
	// whole is the expression this one is a Part of, offset runes into it; nil for a whole one.
	whole  *Expr
	offset int
	// placed is set for an expression translated from another format: every place inside it is
	// Pos, the place of what it ports.
	placed bool
}

type textLine struct {
	start  Position
	length int
}

func newExpr(file string, n *yaml.Node, lines []string) *Expr {
	e := &Expr{Source: n.Value, Pos: Position{File: file, Line: n.Line, Column: n.Column}}
	switch n.Style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		e.Pos.Column++
	case yaml.LiteralStyle, yaml.FoldedStyle:
		e.lines = blockLines(file, n.Line, lines)
		if len(e.lines) > 0 {
			e.Pos = e.lines[0].start
		}
	default:
		if n.Line > 0 && n.Line <= len(lines) {
			e.lines = plainLines(file, n, lines)
		}
	}
	return e
}

// blockLines finds the content lines of a block scalar whose indicator (| or >) is on line
// indicatorLine: the lines after it that are blank or indented at least as far as the first one.
func blockLines(file string, indicatorLine int, lines []string) []textLine {
	var out []textLine
	indent := -1
	for i := indicatorLine; i < len(lines); i++ { // lines[i] is file line i+1
		text := strings.TrimRight(lines[i], " \t\r")
		trimmed := strings.TrimLeft(text, " ")
		if trimmed == "" {
			if indent >= 0 {
				out = append(out, textLine{Position{File: file, Line: i + 1, Column: indent + 1}, 0})
			}
			continue
		}
		lead := len(text) - len(trimmed)
		if indent < 0 {
			indent = lead
		}
		if lead < indent {
			break
		}
		out = append(out, textLine{Position{File: file, Line: i + 1, Column: indent + 1}, utf8.RuneCountInString(text[indent:])})
	}
	return out
}

// plainLines finds the lines of a plain scalar, which YAML folds into one line of text.
func plainLines(file string, n *yaml.Node, lines []string) []textLine {
	first := strings.TrimSpace(lines[n.Line-1][min(n.Column-1, len(lines[n.Line-1])):])
	out := []textLine{{Position{File: file, Line: n.Line, Column: n.Column}, utf8.RuneCountInString(first)}}
	consumed := out[0].length
	for i := n.Line; i < len(lines) && consumed < utf8.RuneCountInString(n.Value); i++ {
		trimmed := strings.TrimSpace(lines[i])
		if trimmed == "" {
			continue
		}
		lead := len(lines[i]) - len(strings.TrimLeft(lines[i], " "))
		out = append(out, textLine{Position{File: file, Line: i + 1, Column: lead + 1}, utf8.RuneCountInString(trimmed)})
		consumed += 1 + out[len(out)-1].length
	}
	return out
}

// At maps a place inside the expression (line from 1, column in runes from 0, as the expression
// compiler reports them) to its place in the rule file.
func (e *Expr) At(line, column int) Position {
	if e.placed {
		return e.Pos
	}
	if e.whole != nil {
		return e.whole.atOffset(e.offset + runeOffsetOfLine([]rune(e.Source), line) + column)
	}
	if len(e.lines) == 0 {
		return Position{File: e.Pos.File, Line: e.Pos.Line + line - 1, Column: e.Pos.Column + column}
	}
	offset := runeOffsetOfLine([]rune(e.Source), line) + column
	for i, tl := range e.lines {
		if offset <= tl.length || i == len(e.lines)-1 {
			return Position{File: tl.start.File, Line: tl.start.Line, Column: tl.start.Column + offset}
		}
		offset -= tl.length + 1
	}
	return e.Pos
}

// runeOffsetOfLine is the offset of the first rune of line (from 1) in runes.
func runeOffsetOfLine(runes []rune, line int) int {
	l := 1
	for i, r := range runes {
		if l == line {
			return i
		}
		if r == '\n' {
			l++
		}
	}
	return len(runes)
}

// Part is the part of the expression offset runes into its source and length runes long (an
// argument of an aggregation call), placed in the file where it is written.
func (e *Expr) Part(offset, length int) *Expr {
	if e.placed {
		runes := []rune(e.Source)
		offset = min(max(offset, 0), len(runes))
		length = min(max(length, 0), len(runes)-offset)
		return &Expr{Source: string(runes[offset : offset+length]), Pos: e.Pos, placed: true}
	}
	runes := []rune(e.Source)
	offset = min(max(offset, 0), len(runes))
	length = min(max(length, 0), len(runes)-offset)
	p := &Expr{Source: string(runes[offset : offset+length]), whole: e, offset: offset}
	p.Pos = e.atOffset(offset)
	return p
}

// atOffset is the place in the file of the rune offset runes into the source.
func (e *Expr) atOffset(offset int) Position {
	line, column := 1, 0
	for i, r := range []rune(e.Source) {
		if i == offset {
			break
		}
		if r == '\n' {
			line, column = line+1, 0
		} else {
			column++
		}
	}
	return e.At(line, column)
}
