package pipeline

// ExpressionNulls is how many times one of a rule's expressions gave null because a row's values
// did not suit an operator or function (KQL goes on with null where a program would fail), and
// the first such failure.
type ExpressionNulls struct {
	Source string
	Count  int64
	First  string
}

// RuntimeNulls lists the rule's expressions that gave such nulls so far, in rule order; safe to
// call while the plan runs.
func (p *Plan) RuntimeNulls() []ExpressionNulls {
	var out []ExpressionNulls
	for _, prog := range p.programs {
		if n := prog.RuntimeNulls(); n > 0 {
			out = append(out, ExpressionNulls{Source: prog.Source, Count: n, First: prog.FirstRuntimeNull()})
		}
	}
	return out
}
