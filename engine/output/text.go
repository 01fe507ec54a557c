package output

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/signin-detect/detect/engine/kql"
)

// text is a value as a table or CSV cell holds it: as tostring() prints it (a datetime with seven
// fractional digits, a dynamic value as compact JSON, null as "").
func text(v any) string { return kql.ToString(v) }

// maxCell is how many characters of a value a table shows; the rest is cut, marked with "…"
// (the other formats write values whole).
const maxCell = 40

// table writes each rule's alerts as a block of aligned columns, headed by the rule, once all
// are in (the widths depend on every row).
type table struct {
	w      io.Writer
	blocks []*block
}

type block struct {
	rule    RuleRef
	columns []string
	rows    [][]string
}

func newTable(w io.Writer) *table { return &table{w: w} }

func (t *table) Write(a Alert) error {
	var b *block
	for _, x := range t.blocks {
		if x.rule == a.Rule {
			b = x
		}
	}
	if b == nil {
		b = &block{rule: a.Rule, columns: append(append([]string(nil), a.Columns...), SourcesKey)}
		t.blocks = append(t.blocks, b)
	}
	row := make([]string, 0, len(a.Columns)+1)
	for _, col := range a.Columns {
		row = append(row, cell(text(Value(a.Row.Values[col]))))
	}
	b.rows = append(b.rows, append(row, strings.Join(a.sources(), " ")))
	return nil
}

// cell makes a value fit a table cell: one line, at most maxCell characters.
func cell(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' {
			return ' '
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) <= maxCell {
		return s
	}
	return string([]rune(s)[:maxCell-1]) + "…"
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
		tw := tabwriter.NewWriter(t.w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(b.columns, "\t"))
		for _, row := range b.rows {
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	t.blocks = nil
	return nil
}

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
		v, ok := a.Row.Values[col]
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
