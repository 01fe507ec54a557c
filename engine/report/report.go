// Package report writes a run's or a hunt's alerts as one self-contained HTML page a responder
// can attach to a case: what ran over what, a timeline of the alerts per rule, each rule's alerts
// in a table to sort and filter, the accounts, IP addresses and hosts they share, and the source
// records of each alert. The page makes no network request: its style and script are inline, the
// timeline is an SVG drawn here, and every value from the logs goes through html/template's
// escaping (or, in the script's data, through JSON escaping and textContent).
//
// A Collector takes the alerts as a run writes them, keeping every alert's time and entities for
// the timeline and the entities, but the values of only the first MaxAlerts of each rule, so that
// the page of a large result stays small enough to open.
package report

import (
	"cmp"
	"slices"
	"time"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/output"
	"github.com/signin-detect/detect/engine/pipeline"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
	"github.com/signin-detect/detect/engine/session"
)

// DefaultMaxAlerts is how many alerts of a rule the page shows unless told otherwise.
const DefaultMaxAlerts = 5000

// Report is what the page shows.
type Report struct {
	Run   Run
	Rules []*Rule
	// Timeline counts the alerts per rule over time; Entities are those the alerts name.
	Timeline Timeline
	Entities []*Entity
	// Records are the input records that the shown alerts of join rules were made from, which
	// the page shows side by side.
	Records Records
	// MaxAlerts is how many alerts of a rule the page shows.
	MaxAlerts int
}

// Run is what ran, over what.
type Run struct {
	// Command is the command line's verb ("detect run", "detect hunt").
	Command string
	Inputs  []string
	// Now is the now of a run (zero for a hunt, whose rules each have their instants).
	Now time.Time
	// From and To are the oldest and newest TimeGenerated of the input.
	From, To       time.Time
	Files, Records int
	// Rejected counts the rejected records and files by reason; OtherTables the records of tables
	// no rule reads. TablesWithoutRows are the tables rules read that the input had no records
	// of (read as empty tables).
	Rejected, OtherTables map[string]int
	TablesWithoutRows     []string
	Generated             time.Time
}

// Rule is one rule's part of the page.
type Rule struct {
	ID, Name, File, Severity, Description string
	Tactics, Techniques                   []string
	Columns                               []string
	// Join tells whether the rule joins rows, so that an alert's source records are shown side
	// by side (the first and the second login of a pair).
	Join bool
	// Mappings are the rule's entity mappings (Sentinel's entityMappings); without them the
	// entities are read from well-known columns (see wellKnownEntity).
	Mappings []output.EntityMapping
	// Alerts counts every alert of the rule; Shown holds the first MaxAlerts of them.
	Alerts int
	Shown  []*Alert
	// Error is set when the rule failed while running; Warnings are what the run said about it
	// (a lookback that dropped rows, tables without rows); Evaluations, for a hunt, when it was
	// evaluated.
	Error       string
	Warnings    []string
	Evaluations string
	// Color is the rule's color in the timeline and its section.
	Color string
	// index is the rule's place in Rules, anchor and timeline series.
	index int
	// all keeps, for every alert, what the timeline and the entities need.
	all []alertFacts
}

// Index is the rule's place among the report's rules.
func (r *Rule) Index() int { return r.index }

// Anchor is the id of the rule's section.
func (r *Rule) Anchor() string { return "rule-" + itoa(r.index) }

// LeftOut is how many of the rule's alerts the page does not show.
func (r *Rule) LeftOut() int { return r.Alerts - len(r.Shown) }

// Alert is one shown alert: the text of each projected column, in the rule's column order.
type Alert struct {
	Values  []string
	Sources []string
	Time    time.Time
}

// Records are source records, written compactly: the records of one export repeat most of
// their values (tenant, apps, user agents), which are written once in Strings, and share their
// columns. Each of Rows is a record: the index of its source ("file:line") in Strings, then for
// each of Columns (indexes of column names) the index of its value ("" where it has none).
type Records struct {
	Strings []string `json:"s"`
	Columns []int    `json:"c"`
	Rows    [][]int  `json:"r"`
	index   map[string]int
	column  map[string]int
	kept    map[string]bool
}

func newRecords() Records {
	rs := Records{index: map[string]int{}, column: map[string]int{}, kept: map[string]bool{}}
	rs.intern("") // index 0: a column a record lacks
	return rs
}

func (rs *Records) add(source string, row record.Row) {
	if rs.kept[source] {
		return
	}
	rs.kept[source] = true
	out := []int{rs.intern(source)}
	for _, f := range fields(row) {
		c, ok := rs.column[f.Name]
		if !ok {
			c = len(rs.Columns)
			rs.column[f.Name] = c
			rs.Columns = append(rs.Columns, rs.intern(f.Name))
		}
		for len(out) <= 1+c {
			out = append(out, 0)
		}
		out[1+c] = rs.intern(f.Value)
	}
	rs.Rows = append(rs.Rows, out)
}

func (rs *Records) intern(s string) int {
	i, ok := rs.index[s]
	if !ok {
		i = len(rs.Strings)
		rs.index[s] = i
		rs.Strings = append(rs.Strings, s)
	}
	return i
}

// Record is the non-empty columns of the record at source, nil when it is not kept.
func (rs *Records) Record(source string) []Field {
	var out []Field
	for _, row := range rs.Rows {
		if rs.Strings[row[0]] != source {
			continue
		}
		for c, v := range row[1:] {
			if v != 0 {
				out = append(out, Field{rs.Strings[rs.Columns[c]], rs.Strings[v]})
			}
		}
	}
	return out
}

// Field is one column of a source record.
type Field struct {
	Name, Value string
}

// alertFacts is what every alert, shown or not, adds to the timeline and the entities.
type alertFacts struct {
	sources  []record.Source
	entities []EntityRef
	shown    *Alert
}

// Collector gathers the alerts of a run's rules as they are written.
type Collector struct {
	rules  []*Rule
	byFile map[string]*Rule
	max    int
}

// ruleColors tell rules apart in the timeline: distinct hues that stay apart in print.
var ruleColors = []string{"#2f6fb0", "#d9622b", "#3f9d4a", "#b8415f", "#7b59b5", "#9a7b22", "#1f9a9a", "#c2479f", "#5c6b7a", "#7aa22f"}

// NewCollector prepares the sections of plans' rules; maxAlerts (0: DefaultMaxAlerts) is how many
// alerts of each the page will show.
func NewCollector(plans []*pipeline.Plan, maxAlerts int) *Collector {
	if maxAlerts <= 0 {
		maxAlerts = DefaultMaxAlerts
	}
	c := &Collector{byFile: map[string]*Rule{}, max: maxAlerts}
	for i, p := range plans {
		m := p.Rule.Meta
		r := &Rule{ID: m.ID, Name: m.Name, File: p.Rule.File, Severity: m.Severity, Description: m.Description,
			Tactics: m.Tactics, Techniques: m.RelevantTechniques, Join: joins(p.Rule), Mappings: session.EntityShape(p), index: i,
			Color: ruleColors[i%len(ruleColors)]}
		for _, col := range p.Output {
			r.Columns = append(r.Columns, col.Name)
		}
		c.rules = append(c.rules, r)
		c.byFile[r.File] = r
	}
	return c
}

// Rule is the section of the rule in file, nil when the collector has none.
func (c *Collector) Rule(file string) *Rule { return c.byFile[file] }

// joins tells whether a rule has a join stage, in its stages or its lets'.
func joins(r *rule.Rule) bool {
	stages := slices.Clone(r.Stages)
	for _, l := range r.Lets {
		stages = append(stages, l.Stages...)
	}
	for _, s := range stages {
		if s.Kind == rule.Join {
			return true
		}
	}
	return false
}

// Add takes one alert (a run's write function).
func (c *Collector) Add(a output.Alert) error {
	r := c.byFile[a.Rule.File]
	if r == nil {
		return nil
	}
	r.Alerts++
	facts := alertFacts{sources: a.Row.Sources, entities: r.entities(a.Row.Map())}
	if len(r.Shown) < c.max {
		shown := &Alert{Values: make([]string, len(r.Columns))}
		for i, col := range r.Columns {
			shown.Values[i] = kql.ToString(output.Value(a.Row.Get(col)))
		}
		for _, s := range a.Row.Sources {
			shown.Sources = append(shown.Sources, s.String())
		}
		r.Shown = append(r.Shown, shown)
		facts.shown = shown
	}
	r.all = append(r.all, facts)
	return nil
}

// maxSideBySide is how many source records of a join alert the page puts side by side.
const maxSideBySide = 4

// Report makes the page's content, once every alert is in. rows are the input rows the rules
// read (by table), where each alert's source records are found: an alert's time is the newest
// TimeGenerated of its records, and a join alert's records are shown beside each other.
func (c *Collector) Report(run Run, rows map[string][]record.Row) *Report {
	need := map[record.Source]bool{}
	for _, r := range c.rules {
		for _, f := range r.all {
			for _, s := range f.sources {
				need[s] = true
			}
		}
	}
	found := map[record.Source]record.Row{}
	for _, table := range rows {
		for _, row := range table {
			t, timed := row.Get(pipeline.TimeColumn).(time.Time)
			if timed && (run.From.IsZero() || t.Before(run.From)) {
				run.From = t
			}
			if timed && t.After(run.To) {
				run.To = t
			}
			if len(row.Sources) == 1 && need[row.Sources[0]] {
				found[row.Sources[0]] = row
			}
		}
	}
	rep := &Report{Run: run, Rules: c.rules, Records: newRecords(), MaxAlerts: c.max}
	entities := newEntityIndex()
	var times []ruleTime
	for _, r := range c.rules {
		for _, f := range r.all {
			var at time.Time
			for _, s := range f.sources {
				if t, ok := found[s].Get(pipeline.TimeColumn).(time.Time); ok && t.After(at) {
					at = t
				}
			}
			if f.shown != nil {
				f.shown.Time = at
				if r.Join {
					for _, s := range f.sources[:min(len(f.sources), maxSideBySide)] {
						if row, ok := found[s]; ok {
							rep.Records.add(s.String(), row)
						}
					}
				}
			}
			times = append(times, ruleTime{rule: r.index, at: at})
			for _, e := range f.entities {
				entities.add(e, r, at, f.shown != nil)
			}
		}
		r.all = nil
	}
	rep.Timeline = newTimeline(c.rules, times)
	rep.Entities = entities.list()
	return rep
}

// fields are a record's non-empty columns, TimeGenerated first and the rest by name.
func fields(row record.Row) []Field {
	var out []Field
	for name, v := range row.All() {
		text := kql.ToString(output.Value(v))
		if text != "" {
			out = append(out, Field{Name: name, Value: text})
		}
	}
	slices.SortFunc(out, func(a, b Field) int {
		if (a.Name == pipeline.TimeColumn) != (b.Name == pipeline.TimeColumn) {
			if a.Name == pipeline.TimeColumn {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out
}
