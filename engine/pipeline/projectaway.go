package pipeline

import "github.com/signin-detect/detect/engine/rule"

// planProjectAway drops the columns that match any of the names or wildcards; the others pass as
// they are, in their order.
// https://learn.microsoft.com/kusto/query/project-away-operator
func planProjectAway(c *compiler, s *rule.Stage, f, _ flow) (operator, flow) {
	matched := c.matchPatterns(s, f.cols)
	var keep []Column
	for _, col := range f.cols {
		if !matched[col.Name] {
			keep = append(keep, col)
		}
	}
	return c.pick(keep, f)
}
