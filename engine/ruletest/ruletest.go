// Package ruletest runs the test cases that live beside a rule: in the rule file's `tests` key or
// in a sibling FILE.test.yaml. A case gives input rows (inline, or a log file), a now, param
// overrides, and the alerts it expects (the columns that matter, per alert) or none; a case
// passes when the rule's alerts are exactly those.
package ruletest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/signin-detect/detect/engine/input"
	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/output"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
	"github.com/signin-detect/detect/engine/session"
)

// Suite is the cases of one rule.
type Suite struct {
	// File holds the cases: the rule file itself, or its FILE.test.yaml.
	File  string
	Cases []*Case
}

// Case is one test case.
type Case struct {
	Name string
	Pos  rule.Position
	Now  time.Time
	// Params override the rule's params for this case.
	Params map[string]any
	// Inputs are log files (relative to the suite's file), read as `detect run` reads them.
	Inputs []string
	// Rows are inline input rows (Log Analytics columns), each on top of the suite's defaults.
	Rows []map[string]any
	// Expect lists the alerts expected, each by the columns that matter; empty means none.
	Expect []map[string]any
}

// TestFile is where the sibling cases of a rule file live.
func TestFile(ruleFile string) string {
	return strings.TrimSuffix(ruleFile, filepath.Ext(ruleFile)) + ".test.yaml"
}

// Load reads the cases of the rule in ruleFile: its `tests` key, and its sibling FILE.test.yaml.
// It returns nil when the rule has none.
func Load(ruleFile string) (*Suite, error) {
	var suites []*Suite
	for _, file := range []string{ruleFile, TestFile(ruleFile)} {
		data, err := os.ReadFile(file)
		if os.IsNotExist(err) && file != ruleFile {
			continue
		}
		if err != nil {
			return nil, err
		}
		s, err := parse(file, data, file == ruleFile)
		if err != nil {
			return nil, err
		}
		if s != nil {
			suites = append(suites, s)
		}
	}
	switch len(suites) {
	case 0:
		return nil, nil
	case 1:
		return suites[0], nil
	}
	return nil, fmt.Errorf("%s: the rule has cases in both its tests key and %s; keep them in one place", ruleFile, suites[1].File)
}

var suiteKeys = []string{"now", "defaults", "rows", "tests"}
var caseKeys = []string{"name", "now", "params", "input", "rows", "expect"}

// parse reads a test file, or the tests of a rule file (inRule), whose other keys are the rule's.
func parse(file string, data []byte, inRule bool) (*Suite, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		if inRule {
			return nil, nil
		}
		return nil, fmt.Errorf("%s: a test file is a mapping with tests (and optionally now, defaults, rows)", file)
	}
	p := &parser{file: file, suite: &Suite{File: file}, named: map[string]map[string]any{}}
	top := root.Content[0]
	var testsNode *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		switch {
		case k.Value == "tests":
			testsNode = v
		case inRule:
			// the rule's own keys
		case k.Value == "now":
			p.now = p.datetime(v)
		case k.Value == "defaults":
			p.defaults = p.row(v)
		case k.Value == "rows":
			p.namedRows(v)
		default:
			p.errorf(k, "unknown key %q in a test file (known: %s)", k.Value, strings.Join(suiteKeys, ", "))
		}
	}
	if testsNode == nil {
		if inRule {
			return nil, nil
		}
		p.errorf(top, "a test file needs tests: a list of cases")
	} else if testsNode.Kind != yaml.SequenceNode {
		p.errorf(testsNode, "tests must be a list of cases")
	} else {
		for _, n := range testsNode.Content {
			if c := p.testCase(n); c != nil {
				p.suite.Cases = append(p.suite.Cases, c)
			}
		}
	}
	return p.suite, p.errs.Err()
}

type parser struct {
	file     string
	suite    *Suite
	errs     rule.Errors
	now      time.Time
	defaults map[string]any
	named    map[string]map[string]any
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	p.errs.Add(rule.Position{File: p.file, Line: n.Line, Column: n.Column}, format, args...)
}

func (p *parser) datetime(n *yaml.Node) time.Time {
	t, err := kql.ParseDatetime(n.Value)
	if err != nil {
		p.errorf(n, "now: %v", err)
	}
	return t
}

// row decodes a row mapping (merge keys and anchors resolved) into column values.
func (p *parser) row(n *yaml.Node) map[string]any {
	var values map[string]any
	if err := n.Decode(&values); err != nil || n.Kind != yaml.MappingNode && n.Kind != yaml.AliasNode {
		p.errorf(n, "a row is a mapping of column to value")
		return nil
	}
	return values
}

func (p *parser) namedRows(n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "rows must map a name to a row")
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		p.named[n.Content[i].Value] = p.row(n.Content[i+1])
	}
}

func (p *parser) testCase(n *yaml.Node) *Case {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "a case is a mapping with %s", strings.Join(caseKeys, ", "))
		return nil
	}
	c := &Case{Pos: rule.Position{File: p.file, Line: n.Line, Column: n.Column}, Now: p.now}
	hasExpect := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "name":
			c.Name = v.Value
		case "now":
			c.Now = p.datetime(v)
		case "params":
			if err := v.Decode(&c.Params); err != nil {
				p.errorf(v, "params must map a param name to its value")
			}
			c.Params = normaliseParams(c.Params)
		case "input":
			var files []string
			if v.Kind == yaml.ScalarNode {
				files = []string{v.Value}
			} else if err := v.Decode(&files); err != nil {
				p.errorf(v, "input is a log file, or a list of them")
			}
			for _, f := range files {
				c.Inputs = append(c.Inputs, filepath.Join(filepath.Dir(p.file), f))
			}
		case "rows":
			c.Rows = p.caseRows(v)
		case "expect":
			hasExpect = true
			if v.Kind != yaml.SequenceNode {
				p.errorf(v, "expect is a list of alerts (each the columns that matter), or [] for none")
				continue
			}
			for _, a := range v.Content {
				if row := p.row(a); row != nil {
					c.Expect = append(c.Expect, row)
				}
			}
		default:
			p.errorf(k, "unknown key %q in a case (known: %s)", k.Value, strings.Join(caseKeys, ", "))
		}
	}
	switch {
	case c.Name == "":
		p.errorf(n, "a case needs a name")
	case !hasExpect:
		p.errorf(n, "case %q needs expect: the alerts it expects, or [] for none", c.Name)
	case c.Inputs == nil && c.Rows == nil:
		p.errorf(n, "case %q needs input rows (rows) or a log file (input)", c.Name)
	case c.Now.IsZero():
		p.errorf(n, "case %q needs now (here or at the top of the file), which anchors ago()", c.Name)
	}
	return c
}

// caseRows reads a case's rows: each a mapping, or the name of a suite row; each on top of the
// suite's defaults.
func (p *parser) caseRows(n *yaml.Node) []map[string]any {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "rows must be a list")
		return nil
	}
	rows := []map[string]any{}
	for _, item := range n.Content {
		var own map[string]any
		if item.Kind == yaml.ScalarNode {
			named, ok := p.named[item.Value]
			if !ok {
				p.errorf(item, "no row called %q in the file's rows", item.Value)
				continue
			}
			own = named
		} else if own = p.row(item); own == nil {
			continue
		}
		row := map[string]any{}
		for k, v := range p.defaults {
			row[k] = v
		}
		for k, v := range own {
			row[k] = v
		}
		rows = append(rows, row)
	}
	return rows
}

// normaliseParams gives YAML-decoded param values the types rule params have.
func normaliseParams(params map[string]any) map[string]any {
	for k, v := range params {
		switch x := v.(type) {
		case int:
			params[k] = int64(x)
		case []any:
			for i, item := range x {
				if n, ok := item.(int); ok {
					x[i] = int64(n)
				}
			}
		}
	}
	return params
}

// Result is the outcome of one case.
type Result struct {
	Case *Case
	// Err is set when the case could not run (bad params, unreadable input, rule errors).
	Err error
	// Missing are expected alerts no alert matched; Unexpected are alerts no expectation matched.
	Missing, Unexpected []map[string]any
	// Rejected are input records the reader could not read.
	Rejected []input.Rejection
	// Columns are the rule's output columns, in order, to show alerts in.
	Columns []string
}

// Passed tells whether the case passed.
func (r Result) Passed() bool {
	return r.Err == nil && len(r.Missing) == 0 && len(r.Unexpected) == 0 && len(r.Rejected) == 0
}

// Run runs every case of s against r.
func (s *Suite) Run(r *rule.Rule, lookupFiles map[string]string) []Result {
	results := make([]Result, len(s.Cases))
	for i, c := range s.Cases {
		results[i] = runCase(r, c, lookupFiles)
	}
	return results
}

// runCase runs a case as detect run runs a rule: through package session, which reads the case's
// files and rows with the read filter the rule's plan gives, as it reads exported logs.
func runCase(r *rule.Rule, c *Case, lookupFiles map[string]string) Result {
	res := Result{Case: c}
	tuned := r.Clone()
	names := make([]string, 0, len(c.Params))
	for name := range c.Params {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := tuned.SetParamValue(name, c.Params[name]); err != nil {
			res.Err = err
			return res
		}
	}
	in, err := caseInput(c)
	if err != nil {
		res.Err = err
		return res
	}
	rules := &session.Rules{Rules: []*rule.Rule{tuned}, LookupFiles: lookupFiles}
	hooks := session.Hooks{Reject: func(rej input.Rejection) { res.Rejected = append(res.Rejected, rej) }}
	batch, err := session.Prepare(rules, session.Config{Now: session.Now{At: c.Now}, Input: in}, hooks)
	if err != nil {
		res.Err = err
		return res
	}
	var alerts []record.Row
	results, _ := batch.Run(func(a output.Alert) error {
		alerts = append(alerts, a.Row)
		return nil
	})
	if res.Err = results[0].Err; res.Err != nil {
		return res
	}
	_, res.Columns = session.AlertShape(batch.Plans[0])
	res.Missing, res.Unexpected = compare(c.Expect, alerts, res.Columns)
	return res
}

// caseInput is a case's input: its log files, or its inline rows written as NDJSON lines, so that
// they are typed, defaulted and routed to their table exactly as exported rows are.
func caseInput(c *Case) (session.Input, error) {
	if c.Inputs != nil {
		return session.Input{Files: c.Inputs}, nil
	}
	var buf bytes.Buffer
	for _, row := range c.Rows {
		line, err := json.Marshal(jsonRow(row))
		if err != nil {
			return session.Input{}, fmt.Errorf("%s: a row cannot be written as JSON: %w", c.Pos, err)
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	name := fmt.Sprintf("%s:%d (case %q rows)", c.Pos.File, c.Pos.Line, c.Name)
	return session.Input{Extra: []session.Named{{Name: name, Reader: &buf}}}, nil
}

// jsonRow writes YAML values as an export holds them: datetimes as ISO 8601 text.
func jsonRow(row map[string]any) map[string]any {
	out := make(map[string]any, len(row))
	for k, v := range row {
		if t, ok := v.(time.Time); ok {
			v = kql.FormatDatetime(t)
		}
		out[k] = v
	}
	return out
}

// compare matches expected alerts (partial: the columns that matter) with the actual alerts one to
// one, and returns the expectations left without an alert and the alerts left without one.
func compare(expect []map[string]any, alerts []record.Row, columns []string) (missing, unexpected []map[string]any) {
	// Kuhn's augmenting paths: a greedy match could pair an expectation with an alert another,
	// stricter expectation needed.
	matchOf := make([]int, len(alerts)) // alert -> expectation, or -1
	for i := range matchOf {
		matchOf[i] = -1
	}
	var try func(e int, seen []bool) bool
	try = func(e int, seen []bool) bool {
		for a := range alerts {
			if seen[a] || !matches(expect[e], alerts[a]) {
				continue
			}
			seen[a] = true
			if matchOf[a] < 0 || try(matchOf[a], seen) {
				matchOf[a] = e
				return true
			}
		}
		return false
	}
	matched := make([]bool, len(expect))
	for e := range expect {
		matched[e] = try(e, make([]bool, len(alerts)))
	}
	for e, ok := range matched {
		if !ok {
			missing = append(missing, expect[e])
		}
	}
	shown := shownColumns(expect, columns)
	for a, e := range matchOf {
		if e < 0 {
			unexpected = append(unexpected, pick(alerts[a], shown))
		}
	}
	return missing, unexpected
}

// SourcesKey in an expectation lists the input records the alert must come from, each as
// file:line, the file by its name alone.
const SourcesKey = "_sources"

// matches tells whether an alert has the expected value in every column the expectation names.
// A value compares as its type reads it: datetimes as instants, anything else as its text.
func matches(expected map[string]any, alert record.Row) bool {
	for col, want := range expected {
		if col == SourcesKey {
			if kql.ToString(want) != kql.ToString(sourceNames(alert.Sources)) {
				return false
			}
			continue
		}
		got, ok := alert.Lookup(col)
		if !ok || !sameValue(want, got) {
			return false
		}
	}
	return true
}

func sourceNames(sources []record.Source) []any {
	out := make([]any, len(sources))
	for i, s := range sources {
		s.File = filepath.Base(s.File)
		out[i] = s.String()
	}
	return out
}

func sameValue(want, got any) bool {
	if want == nil {
		return got == nil || got == ""
	}
	if gt, ok := got.(time.Time); ok {
		wt, ok := want.(time.Time)
		if !ok {
			parsed, err := kql.ParseDatetime(kql.ToString(want))
			if err != nil {
				return false
			}
			wt = parsed
		}
		return gt.Equal(wt)
	}
	if n, ok := want.(int); ok {
		want = int64(n)
	}
	// A property bag's order is kept in the alert but not in the YAML mapping that expects it.
	return kql.ToString(kql.Unordered(want)) == kql.ToString(kql.Unordered(got))
}

// shownColumns are the columns a failure shows of an unexpected alert: those the case's
// expectations name, or every column when it expects none.
func shownColumns(expect []map[string]any, columns []string) []string {
	named := map[string]bool{}
	for _, e := range expect {
		for col := range e {
			named[col] = true
		}
	}
	if len(named) == 0 {
		return columns
	}
	var out []string
	for _, col := range append(columns, SourcesKey) {
		if named[col] {
			out = append(out, col)
		}
	}
	return out
}

func pick(row record.Row, columns []string) map[string]any {
	out := make(map[string]any, len(columns))
	for _, col := range columns {
		if col == SourcesKey {
			out[col] = sourceNames(row.Sources)
			continue
		}
		out[col] = output.Value(row.Get(col))
	}
	return out
}

// Format writes an alert or expectation on one line, its columns in order.
func Format(values map[string]any, order []string) string {
	keys := make([]string, 0, len(values))
	seen := map[string]bool{}
	for _, col := range order {
		if _, ok := values[col]; ok {
			keys = append(keys, col)
			seen[col] = true
		}
	}
	var rest []string
	for col := range values {
		if !seen[col] {
			rest = append(rest, col)
		}
	}
	sort.Strings(rest)
	keys = append(keys, rest...)
	parts := make([]string, len(keys))
	for i, k := range keys {
		v := output.Value(values[k])
		if t, ok := values[k].(time.Time); ok {
			v = kql.FormatDatetime(t)
		}
		text, _ := json.Marshal(v)
		parts[i] = k + ": " + string(text)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
