package pipeline

import (
	"regexp"
	"strings"

	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// pickStage passes columns of its input on as they are: those a project-keep keeps, in the
// input's order, those a project-away leaves, or every column in a project-reorder's order (which
// drops none, so its rows pass as they are).
// https://learn.microsoft.com/kusto/query/project-keep-operator
type pickStage struct {
	cols  []Column
	drops bool
}

// planProjectKeep keeps the columns that match any of the names or wildcards, in the order they
// have in the input.
func planProjectKeep(c *compiler, s *rule.Stage, f, _ flow) (operator, flow) {
	matched := c.matchPatterns(s, f.cols)
	var keep []Column
	for _, col := range f.cols {
		if matched[col.Name] {
			keep = append(keep, col)
		}
	}
	return c.pick(keep, f)
}

// pick plans passing on cols, some of the flow's columns.
func (c *compiler) pick(cols []Column, f flow) (operator, flow) {
	for _, col := range cols {
		c.used[col.Name] = true
	}
	f.cols, f.wide = cols, nil
	return &pickStage{cols: cols, drops: true}, f
}

// matchPatterns gives the columns some pattern of s matches, reporting a plain name that is no
// column (a wildcard may match none).
func (c *compiler) matchPatterns(s *rule.Stage, cols []Column) map[string]bool {
	matched := map[string]bool{}
	for _, p := range s.Patterns {
		found := false
		for _, col := range cols {
			if matchesPattern(p.Pattern, col.Name) {
				matched[col.Name], found = true, true
			}
		}
		if !found && !strings.Contains(p.Pattern, "*") {
			c.errs.Add(p.Pos, "%s: no column %s here%s", s.Kind, p.Pattern, hint(p.Pattern, cols))
		}
	}
	return matched
}

// matchesPattern tells whether name matches a column name or wildcard (* any run of characters).
func matchesPattern(pattern, name string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == name
	}
	parts := strings.Split(pattern, "*")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$").MatchString(name)
}

func (p *pickStage) run(_ *runner, s *Stage, rows, _ []record.Row, _ *StageStats) ([]record.Row, error) {
	if !p.drops {
		return rows, nil
	}
	out := make([]record.Row, len(rows))
	var values record.Builder
	for i, row := range rows {
		for _, col := range p.cols {
			if s.live.has(col.Name) {
				if v, ok := row.Lookup(col.Name); ok {
					values.Set(col.Name, v)
				}
			}
		}
		out[i] = values.Row(row.Sources)
	}
	return out, nil
}

func (p *pickStage) live(_ *Stage, after columnSet) columnSet {
	if !p.drops {
		return after
	}
	need := columnSet{}
	for _, col := range p.cols {
		if after.has(col.Name) {
			need[col.Name] = true
		}
	}
	return need
}

func (p *pickStage) follow(origin map[string]string) (map[string]string, bool) {
	kept := map[string]string{}
	for _, col := range p.cols {
		if from, ok := origin[col.Name]; ok {
			kept[col.Name] = from
		}
	}
	return kept, true
}

func (p *pickStage) filter() *kqlexpr.Program { return nil }
func (p *pickStage) rowWise() bool            { return true }
func (p *pickStage) splittable() bool         { return false }
