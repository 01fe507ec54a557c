package kqlimport

import (
	"strconv"

	"github.com/signin-detect/detect/engine/kqlparse"
	"gopkg.in/yaml.v3"
)

// makeSeries translates make-series into the stage of the same name: its aggregates (default=
// kept on each), on, from/to/step or in: range(start, stop, step), and by.
// https://learn.microsoft.com/kusto/query/make-series-operator
func (t *translator) makeSeries(op *kqlparse.MakeSeries) (*yaml.Node, error) {
	if len(op.Params) > 0 {
		return nil, t.refuse(op.Params[0], "make-series "+op.Params[0].Name)
	}
	aggs := sequence()
	t.aggregating = true
	for _, a := range op.Aggregates {
		item, err := t.item(a.Column, "make-series")
		if err != nil {
			t.aggregating = false
			return nil, err
		}
		if a.Default != nil {
			def, err := t.expr(a.Default)
			if err != nil {
				t.aggregating = false
				return nil, err
			}
			text := item
			if item.Kind == yaml.MappingNode {
				text = item.Content[1]
			}
			text.Value += " default=" + def
		}
		aggs.Content = append(aggs.Content, item)
	}
	t.aggregating = false
	on, ok := unparen(op.On).(*kqlparse.Ident)
	if !ok {
		return nil, t.refuse(op.On, "make-series on an expression")
	}
	spec := mapping(scalar("aggregates"), aggs, scalar("on"), scalar(on.Name))
	step, err := t.seriesStep(op.Step)
	if err != nil {
		return nil, err
	}
	var from, to string
	if op.From != nil {
		if from, err = t.expr(op.From); err != nil {
			return nil, err
		}
	}
	if op.To != nil {
		if to, err = t.expr(op.To); err != nil {
			return nil, err
		}
	}
	if op.InRange {
		spec.Content = append(spec.Content, scalar("in"), str("range("+from+", "+to+", "+step+")"))
	} else {
		if from != "" {
			spec.Content = append(spec.Content, scalar("from"), str(from))
		}
		if to != "" {
			spec.Content = append(spec.Content, scalar("to"), str(to))
		}
		spec.Content = append(spec.Content, scalar("step"), str(step))
	}
	if len(op.By) > 0 {
		by := sequence()
		generated := 0
		for _, a := range op.By {
			if len(a.Names) == 0 {
				name, ok := keyName(a.Value, &generated)
				if !ok {
					return nil, t.refuse(a, "a make-series key without a name")
				}
				if name != "" {
					a = &kqlparse.Assignment{Pos: a.Pos, Names: []*kqlparse.Ident{{Pos: a.Pos, Name: name}}, Value: a.Value}
				}
			}
			item, err := t.item(a, "make-series")
			if err != nil {
				return nil, err
			}
			by.Content = append(by.Content, item)
		}
		spec.Content = append(spec.Content, scalar("by"), by)
	}
	return mapping(scalar("make-series"), spec), nil
}

// seriesStep is a make-series step: a timespan literal as its text (1h), as the stage reads it,
// or an expression.
func (t *translator) seriesStep(x kqlparse.Expr) (string, error) {
	if lit, ok := unparen(x).(*kqlparse.Literal); ok && lit.Kind == kqlparse.LitTimespan {
		text, err := t.literal(lit, true)
		if err != nil {
			return "", err
		}
		return strconv.Unquote(text)
	}
	return t.expr(x)
}
