// Package record defines what flows from readers through rules to writers: a row of a table's
// columns and the input records it came from.
package record

import "fmt"

// Source is where an input record was read: its file (or "-" for standard input) and its line, or
// its index when the file holds records in one JSON document.
type Source struct {
	File  string `json:"file"`
	Line  int    `json:"line,omitempty"`
	Index int    `json:"index,omitempty"`
}

func (s Source) String() string {
	if s.Line > 0 {
		return fmt.Sprintf("%s:%d", s.File, s.Line)
	}
	return fmt.Sprintf("%s[%d]", s.File, s.Index)
}

// Row is a row of named column values (KQL values, see package kql) and the input records it was
// made from: one for a row read from input, one from each side for a row a join made.
type Row struct {
	Values  map[string]any
	Sources []Source
}
