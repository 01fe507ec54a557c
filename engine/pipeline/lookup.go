package pipeline

import "github.com/signin-detect/detect/engine/rule"

// planLookup plans a lookup: KQL's lookup operator, a join of kind leftouter (the default) or
// inner whose result does not repeat the right side's key columns: every left column, then the
// right side's other columns (renamed as a join renames them where the name is taken).
// Every right row with equal keys pairs with a left row, as in a join of the same kind.
// https://learn.microsoft.com/kusto/query/lookup-operator
func planLookup(c *compiler, s *rule.Stage, left, start flow) (operator, flow) {
	return c.join(s, left, start, true)
}
