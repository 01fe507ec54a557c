package pipeline

import "github.com/signin-detect/detect/engine/rule"

// serializeStage marks its rows a serialized row set, in the order they come, so that window
// functions (prev, next, row_number, row_window_session) may read them, in its own columns (an
// extend's, Name: EXPR) and in the stages after it.
// https://learn.microsoft.com/kusto/query/serialize-operator
type serializeStage struct {
	*assignStage
}

func planSerialize(c *compiler, s *rule.Stage, f, start flow) (operator, flow) {
	c.serialized = true
	op, f := planExtend(c, s, f, start)
	return &serializeStage{op.(*assignStage)}, f
}

func (s *serializeStage) keepsOrder(bool) bool { return true }
