package pipeline

import (
	"regexp"
	"strings"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// parseStage is a parse or parse-where: its source read as text is matched against its pattern,
// made a regex as Learn gives it (* is .*?, a string column (.*?), a long or int column (-?\d+),
// a real (-?\d+(\.\d+)?); in kind=simple a constant is itself, in kind=regex it is a regex), the
// whole text matched. Each column gets its capture converted to its type. The match is strict:
// when the text does not match, or a capture does not convert, every column of the pattern is
// null ("" for strings); parse keeps such rows, parse-where drops them.
// https://learn.microsoft.com/kusto/query/parse-operator
// https://learn.microsoft.com/kusto/query/parse-where-operator
type parseStage struct {
	where  bool
	source assignment
	re     *regexp.Regexp
	cols   []Column
	// relaxed (kind=relaxed) matches a typed column as any text, and gives null to a column
	// whose text is not of its type, keeping the others (Learn: "extended columns can partially
	// match the required types. Extended columns that didn't match the required types get the
	// value null"); the constants must still all be there.
	relaxed bool
}

func planParse(c *compiler, s *rule.Stage, f, _ flow) (operator, flow) {
	return c.parse(s, f, false)
}

func planParseWhere(c *compiler, s *rule.Stage, f, _ flow) (operator, flow) {
	return c.parse(s, f, true)
}

func (c *compiler) parse(s *rule.Stage, f flow, where bool) (operator, flow) {
	spec := s.Parse
	if spec == nil { // its mistakes are reported where it is read
		return &parseStage{where: where}, f
	}
	p := &parseStage{where: where, source: c.assignment(&rule.Assignment{Expr: spec.Source, Pos: spec.Source.Pos}, f.cols),
		relaxed: spec.Kind == "relaxed"}
	var re strings.Builder
	re.WriteString("^")
	if spec.Flags != "" {
		re.WriteString("(?" + spec.Flags + ")")
	}
	for _, it := range spec.Pattern {
		switch {
		case it.Star:
			re.WriteString(".*?")
		case it.Column != "":
			t, _ := kql.ParseType(it.Type)
			switch {
			case p.relaxed:
				re.WriteString("(.*?)")
			case t == kql.Long, t == kql.Int:
				re.WriteString(`(-?\d+)`)
			case t == kql.Real:
				re.WriteString(`(-?\d+(?:\.\d+)?)`)
			default:
				re.WriteString("(.*?)")
			}
			p.cols = append(p.cols, Column{it.Column, t})
		case spec.Kind == "regex":
			if _, err := regexp.Compile(it.Text); err != nil {
				c.errs.Add(it.Pos, "%s: %q is not a regex: %v", s.Kind, it.Text, err)
			}
			re.WriteString("(?:" + it.Text + ")")
		default:
			re.WriteString(regexp.QuoteMeta(it.Text))
		}
	}
	re.WriteString("$")
	var err error
	if p.re, err = regexp.Compile(re.String()); err != nil {
		c.errs.Add(s.Pos, "%s: the pattern makes no regex: %v", s.Kind, err)
	}
	out := append([]Column(nil), f.cols...)
	for _, col := range p.cols {
		if i := indexOf(out, col.Name); i >= 0 {
			out[i] = col
		} else {
			out = append(out, col)
		}
	}
	f.cols = out
	return p, f
}

func (p *parseStage) run(r *runner, s *Stage, rows, _ []record.Row, _ *StageStats) ([]record.Row, error) {
	out := rows[:0:0]
	var copied record.Builder
	for _, row := range rows {
		text, err := r.value(p.source, row)
		if err != nil {
			return nil, r.fail(s, row, err)
		}
		values, ok := p.match(kql.ToString(text))
		if !ok && p.where {
			if r.tracer != nil {
				r.tracer.Dropped(s, row)
			}
			continue
		}
		for k, v := range row.All() {
			if s.live.has(k) {
				copied.Add(k, v)
			}
		}
		for i, col := range p.cols {
			copied.Set(col.Name, values[i])
		}
		out = append(out, copied.Row(row.Sources))
	}
	return out, nil
}

// match gives the columns' values, or their nulls and false when the text does not parse.
func (p *parseStage) match(text string) ([]any, bool) {
	values := make([]any, len(p.cols))
	m := p.re.FindStringSubmatch(text)
	ok := m != nil
	for i, col := range p.cols {
		if !ok {
			break
		}
		values[i], ok = convertCapture(m[i+1], col.Type)
		if !ok && p.relaxed {
			values[i], ok = col.Type.Zero(), true
		}
	}
	if !ok {
		for i, col := range p.cols {
			values[i] = col.Type.Zero()
		}
	}
	return values, ok
}

// convertCapture is a captured text as a value of t, as the to*() conversions read it.
func convertCapture(text string, t kql.Type) (any, bool) {
	switch t {
	case kql.String, kql.Guid:
		return text, true
	case kql.Long, kql.Int:
		v, ok := kql.ToLong(text)
		return v, ok
	case kql.Real:
		v, ok := kql.ToReal(text)
		return v, ok
	case kql.Bool:
		v, ok := kql.ToBool(text)
		return v, ok
	case kql.Datetime:
		v, err := kql.ParseDatetime(text)
		return v, err == nil
	case kql.Timespan:
		v, err := kql.ParseTimespan(text)
		return v, err == nil
	}
	return text, true
}

func (p *parseStage) live(_ *Stage, after columnSet) columnSet {
	need := after.with(p.source.reads()...)
	for _, col := range p.cols {
		if need != nil && !containsString(p.source.reads(), col.Name) {
			delete(need, col.Name)
		}
	}
	return need
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *parseStage) follow(origin map[string]string) (map[string]string, bool) {
	for _, col := range p.cols {
		delete(origin, col.Name)
	}
	return origin, true
}

func (p *parseStage) filter() *kqlexpr.Program { return nil }
func (p *parseStage) rowWise() bool            { return true }
func (p *parseStage) splittable() bool         { return false }
