// Package record defines what flows from readers through rules to writers: a row of a table's
// columns and the input records it came from.
package record

import (
	"strconv"
	"time"
)

// Source is where an input record was read: its file (or "-" for standard input), the line its
// text starts on, and, for a record inside a JSON array (a JSON array export, a {"records":[...]}
// batch, a {"value":[...]} page, the rows of a query API response), its position in that array,
// counting from 1. A problem with a whole file has neither line nor index.
type Source struct {
	File  string `json:"file"`
	Line  int    `json:"line,omitempty"`
	Index int    `json:"index,omitempty"`
	// Time is the record's TimeGenerated, when it has one: an alert's time is its records' newest.
	Time time.Time `json:"-"`
}

// String is "file:line", "file:line#index" for the index-th record of an array, or "file".
func (s Source) String() string {
	out := s.File
	if s.Line > 0 {
		out += ":" + strconv.Itoa(s.Line)
	}
	if s.Index > 0 {
		out += "#" + strconv.Itoa(s.Index)
	}
	return out
}
