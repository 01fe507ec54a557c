package output

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/signin-detect/detect/engine/kql"
)

// text is a value as a table or CSV cell holds it: as tostring() prints it (a datetime with seven
// fractional digits, a dynamic value as compact JSON, null as "").
func text(v any) string { return kql.ToString(v) }

// A table is for a terminal: one block per rule, headed by the rule, each alert a line of its
// time, severity, rule and then the rule's columns (those Options.Columns picks, or the first ones
// that fit), every cell one line, cut with "…" so that the line fits Options.Width.
type table struct {
	w      io.Writer
	opts   Options
	blocks []*block
}

type block struct {
	rule    *RuleRef
	columns []string
	rows    [][]string
}

// tableColumns are the cells every line of a table starts with.
var tableColumns = []string{TimeKey, "severity", "rule"}

// minCell is the narrowest a cut column gets before columns are left out; the rule's name keeps
// minRule.
const (
	minCell = 14
	minRule = 24
)

func newTable(w io.Writer, opts Options) *table { return &table{w: w, opts: opts} }

func (t *table) Write(a Alert) error {
	var b *block
	for _, x := range t.blocks {
		if x.rule == a.Rule {
			b = x
		}
	}
	if b == nil {
		b = &block{rule: a.Rule, columns: append(slices.Clone(tableColumns), t.opts.pick(a.Columns)...)}
		t.blocks = append(t.blocks, b)
	}
	row := []string{shortTime(a.Time()), a.Rule.Severity, a.Rule.Name}
	for _, col := range b.columns[len(tableColumns):] {
		row = append(row, oneLine(text(Value(a.Row.Get(col)))))
	}
	b.rows = append(b.rows, row)
	return nil
}

// shortTime is a table's time: to the second, which is what a responder reads a timeline by.
func shortTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return kql.FormatDatetime(t)
}

// oneLine puts a value on one line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' {
			return ' '
		}
		return r
	}, s)
}

// cut makes s at most width characters, marking a cut with "…".
func cut(s string, width int) string {
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	if width < 1 {
		return ""
	}
	return string([]rune(s)[:width-1]) + "…"
}

func (t *table) Flush() error {
	for i, b := range t.blocks {
		if i > 0 {
			if _, err := fmt.Fprintln(t.w); err != nil {
				return err
			}
		}
		if _, err := fmt.Fprintf(t.w, "%s: %s: %d alerts\n", b.rule.File, b.rule.Name, len(b.rows)); err != nil {
			return err
		}
		widths := fitWidths(b.columns, b.rows, t.opts.width())
		for _, row := range append([][]string{b.columns}, b.rows...) {
			var line strings.Builder
			for j, w := range widths {
				if j > 0 {
					line.WriteString("  ")
				}
				c := cut(row[j], w)
				line.WriteString(c)
				if j < len(widths)-1 {
					line.WriteString(strings.Repeat(" ", w-utf8.RuneCountInString(c)))
				}
			}
			if _, err := fmt.Fprintln(t.w, strings.TrimRight(line.String(), " ")); err != nil {
				return err
			}
		}
	}
	t.blocks = nil
	return nil
}

// fitWidths gives each column its widest cell, then narrows the widest of the rule's columns
// (down to minCell) and the rule's name (down to minRule) until the line fits width; when each
// is down to its floor, the last columns are left out. The time and the severity are never cut.
func fitWidths(columns []string, rows [][]string, width int) []int {
	natural := make([]int, len(columns))
	for j, col := range columns {
		natural[j] = utf8.RuneCountInString(col)
		for _, row := range rows {
			natural[j] = max(natural[j], utf8.RuneCountInString(row[j]))
		}
	}
	const uncut = 2 // time and severity
	for n := len(natural); ; n-- {
		widths := slices.Clone(natural[:n])
		total := 2 * (n - 1)
		for _, w := range widths {
			total += w
		}
		for total > width {
			widest := -1
			for j := uncut; j < n; j++ {
				floor := minCell
				if j == uncut {
					floor = minRule
				}
				if widths[j] > floor && (widest < 0 || widths[j] > widths[widest]) {
					widest = j
				}
			}
			if widest < 0 {
				break
			}
			widths[widest]--
			total--
		}
		if total <= width || n == len(tableColumns) {
			return widths
		}
	}
}

// list writes one block per alert, one "key: value" line per column, a value longer than the
// line wrapped onto lines of its own, indented.
type list struct {
	w    *bufio.Writer
	opts Options
	n    int
}

func (l *list) Write(a Alert) error {
	if l.n > 0 {
		l.w.WriteString("\n")
	}
	l.n++
	if t := a.Time(); !t.IsZero() {
		l.line(TimeKey, timeText(t))
	}
	if !a.Window.IsZero() {
		l.line(WindowKey, kql.FormatDatetime(a.Window))
	}
	l.line("rule", a.Rule.Name)
	l.line("severity", a.Rule.Severity)
	if len(a.Rule.Tactics)+len(a.Rule.Techniques) > 0 {
		l.line("tactics", strings.Join(append(slices.Clone(a.Rule.Tactics), a.Rule.Techniques...), ", "))
	}
	for _, col := range l.opts.pick(a.Columns) {
		l.line(col, oneLine(text(Value(a.Row.Get(col)))))
	}
	_, err := l.w.WriteString(SourcesKey + ": " + strings.Join(a.sources(), " ") + "\n")
	return err
}

// line writes key: value, wrapping value at the width.
func (l *list) line(key, value string) {
	prefix := key + ": "
	room := max(l.opts.width()-utf8.RuneCountInString(prefix), 20)
	runes := []rune(value)
	l.w.WriteString(prefix)
	for len(runes) > room {
		l.w.WriteString(string(runes[:room]) + "\n" + strings.Repeat(" ", utf8.RuneCountInString(prefix)))
		runes = runes[room:]
	}
	l.w.WriteString(string(runes) + "\n")
}

func (l *list) Flush() error { return l.w.Flush() }

// csvWriter writes one header row, the columns of every rule in order of first appearance and
// then the rule's id, name and file and the alert's sources, then a row per alert; a column a
// rule does not project is empty in its rows.
type csvWriter struct {
	w       *csv.Writer
	columns []string
	header  bool
}

// The CSV columns that say where an alert comes from.
var csvRuleColumns = []string{"_rule_id", "_rule_name", "_rule_file", SourcesKey}

func newCSV(w io.Writer, columns [][]string) *csvWriter {
	c := &csvWriter{w: csv.NewWriter(w)}
	seen := map[string]bool{}
	for _, cols := range columns {
		for _, col := range cols {
			if !seen[col] {
				seen[col] = true
				c.columns = append(c.columns, col)
			}
		}
	}
	return c
}

func (c *csvWriter) Write(a Alert) error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	row := make([]string, 0, len(c.columns)+len(csvRuleColumns))
	for _, col := range c.columns {
		v, ok := a.Row.Lookup(col)
		if !ok || !projects(a.Columns, col) {
			row = append(row, "")
			continue
		}
		row = append(row, text(Value(v)))
	}
	row = append(row, a.Rule.ID, a.Rule.Name, a.Rule.File, strings.Join(a.sources(), " "))
	return c.w.Write(row)
}

func projects(columns []string, col string) bool {
	for _, c := range columns {
		if c == col {
			return true
		}
	}
	return false
}

// writeHeader writes the header row once, even when no alert follows it.
func (c *csvWriter) writeHeader() error {
	if c.header {
		return nil
	}
	c.header = true
	return c.w.Write(append(append([]string(nil), c.columns...), csvRuleColumns...))
}

func (c *csvWriter) Flush() error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	c.w.Flush()
	return c.w.Error()
}
