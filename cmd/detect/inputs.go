package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/signin-detect/detect/engine/input"
	"github.com/signin-detect/detect/engine/pipeline"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/schema"
)

// inputs is what was read: rows per table, and what was rejected.
type inputs struct {
	rows       map[string][]record.Row
	files      int
	records    int
	rejections map[string]int
	newest     time.Time
}

// readInputs reads every file once per table the plans read, with the columns those plans need.
func readInputs(plans []*pipeline.Plan, files []string, stdin io.Reader, stderr io.Writer) *inputs {
	in := &inputs{rows: map[string][]record.Row{}, rejections: map[string]int{}}
	columns := map[string][]string{}
	tables := map[string]*schema.Table{}
	for _, p := range plans {
		for _, need := range p.Inputs {
			tables[need.Table.Name] = need.Table
			columns[need.Table.Name] = union(columns[need.Table.Name], need.Columns)
		}
	}
	var stdinData []byte
	for name, table := range tables {
		reader := input.NewReader(table, columns[name])
		emit := func(row record.Row) {
			in.rows[name] = append(in.rows[name], row)
			if t, ok := row.Values["TimeGenerated"].(time.Time); ok && t.After(in.newest) {
				in.newest = t
			}
		}
		reject := func(r input.Rejection) {
			fmt.Fprintln(stderr, r)
			in.rejections[r.Reason]++
		}
		for _, file := range files {
			if file == "-" {
				if stdinData == nil {
					stdinData, _ = io.ReadAll(stdin) // read once, however many tables
				}
				if err := reader.ReadNDJSON(file, strings.NewReader(string(stdinData)), emit, reject); err != nil {
					fmt.Fprintln(stderr, err)
					in.rejections["read error"]++
				}
				continue
			}
			f, err := os.Open(file)
			if err != nil {
				fmt.Fprintf(stderr, "%s: cannot read: %v\n", file, errors.Unwrap(err))
				in.rejections["unreadable file"]++
				continue
			}
			if err := reader.ReadNDJSON(file, f, emit, reject); err != nil {
				fmt.Fprintln(stderr, err)
				in.rejections["read error"]++
			}
			f.Close()
		}
		in.records += len(in.rows[name])
	}
	in.files = len(files)
	return in
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string{}, a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
