package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/signin-detect/detect/engine/input"
	"github.com/signin-detect/detect/engine/pipeline"
	"github.com/signin-detect/detect/engine/record"
)

// inputs is what was read: the rows of each table the plans read, and what was counted on the way.
// It is the input.Sink of every file.
type inputs struct {
	rows    map[string][]record.Row
	files   int
	records int
	// other counts the records of tables no plan reads, by table.
	other map[string]int
	// rejections counts the rejected records (and files), by reason.
	rejections map[string]int
	newest     time.Time
	stderr     io.Writer
	progress   *progress
	// onRow, when set, takes each row instead of rows (a stream keeps none).
	onRow func(table string, row record.Row) error
	// rowErr is the first error onRow returned; reading stops making rows after it.
	rowErr error
}

// readInputs reads every file once, keeping of each record the columns the plans read of its
// table, or handing each row to onRow as it comes when onRow is not nil. With filters, a record no
// plan can use (see pipeline.ReadFilter) is counted but no row is made of it. Rejections are
// reported on stderr as they come.
func readInputs(plans []*pipeline.Plan, filters map[string]*pipeline.ReadFilter, cfg *runConfig, stdin io.Reader, stderr io.Writer, onRow func(string, record.Row) error) (*inputs, error) {
	in := &inputs{rows: map[string][]record.Row{}, other: map[string]int{}, rejections: map[string]int{}, stderr: stderr, onRow: onRow}
	var want []input.Want
	index := map[string]int{}
	for _, p := range plans {
		for _, need := range p.Inputs {
			i, ok := index[need.Table.Name]
			if !ok {
				i = len(want)
				index[need.Table.Name] = i
				want = append(want, input.Want{Table: need.Table})
			}
			want[i].Columns = union(want[i].Columns, need.Columns)
		}
	}
	for i, w := range want {
		if f := filters[w.Table.Name]; f != nil {
			want[i].Filter = &input.Filter{Columns: f.Columns, NewTest: f.NewTest}
			if slices.Contains(w.Columns, pipeline.TimeColumn) {
				// so that the newest time counts the records filtered out too
				want[i].Filter.Report = []string{pipeline.TimeColumn}
			}
		}
	}
	reader, err := input.NewReader(want, cfg.inputFormat)
	if err != nil {
		return nil, err
	}
	limits := cfg.limits
	limits.Now = time.Now().UTC()
	reader.SetLimits(limits)
	files, unreadable := input.Files(cfg.files, cfg.glob)
	in.progress = newProgress(stderr, in)
	for _, r := range unreadable {
		in.Reject(r)
	}
	for _, name := range files {
		f, err := input.Open(name, stdin)
		if err != nil {
			in.Reject(input.Unreadable(name, err))
			continue
		}
		in.files++
		reader.Read(name, in.progress.count(f), in)
		f.Close()
	}
	in.progress.done()
	return in, nil
}

// Row keeps a row of a table the plans read.
func (in *inputs) Row(table string, row record.Row) {
	in.records++
	switch {
	case in.onRow == nil:
		in.rows[table] = append(in.rows[table], row)
	case in.rowErr == nil:
		in.rowErr = in.onRow(table, row)
	}
	if t, ok := row.Values["TimeGenerated"].(time.Time); ok && t.After(in.newest) {
		in.newest = t
	}
}

// Filtered counts a record no plan can use, which the reader made no row of.
func (in *inputs) Filtered(_ string, values map[string]any) {
	in.records++
	if t, ok := values[pipeline.TimeColumn].(time.Time); ok && t.After(in.newest) {
		in.newest = t
	}
}

// Other counts a record of a table no plan reads.
func (in *inputs) Other(table string) {
	in.other[table]++
	in.records++
}

// Reject reports a rejected record on stderr, as file:line: reason: detail, and counts it.
func (in *inputs) Reject(r input.Rejection) {
	in.progress.clear()
	fmt.Fprintln(in.stderr, r)
	in.rejections[r.Reason]++
}

func (in *inputs) rejected() int {
	n := 0
	for _, c := range in.rejections {
		n += c
	}
	return n
}

// summary is the input side of the summary line: "2 files, 120 records read (5 of tables no rule
// reads: SigninLogs 5), 1 rejected (malformed JSON 1)".
func (in *inputs) summary() string {
	line := fmt.Sprintf("%d files, %d records read", in.files, in.records)
	if len(in.other) > 0 {
		n := 0
		for _, c := range in.other {
			n += c
		}
		line += fmt.Sprintf(" (%d of tables no rule reads: %s)", n, counts(in.other))
	}
	line += fmt.Sprintf(", %d rejected", in.rejected())
	if len(in.rejections) > 0 {
		line += " (" + counts(in.rejections) + ")"
	}
	return line
}

// counts lists "name n" pairs, sorted by name.
func counts(m map[string]int) string {
	var out []string
	for name, n := range m {
		out = append(out, fmt.Sprintf("%s %d", name, n))
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// readFilters is the filter of each table the plans read: a record passes when some plan can use
// it.
func readFilters(plans []*pipeline.Plan) map[string]*pipeline.ReadFilter {
	byTable := map[string][]*pipeline.ReadFilter{}
	for _, p := range plans {
		f := p.ReadFilter()
		for _, need := range p.Inputs {
			byTable[need.Table.Name] = append(byTable[need.Table.Name], f)
		}
	}
	out := map[string]*pipeline.ReadFilter{}
	for table, fs := range byTable {
		out[table] = pipeline.AnyOf(fs...)
	}
	return out
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
