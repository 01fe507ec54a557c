package kqlimport

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/signin-detect/detect/engine/kqlparse"
)

// operator translates one tabular operator into a stage (README "Stages"), or nil for an
// operator that changes no rows (render).
func (t *translator) operator(op kqlparse.Operator) (*yaml.Node, error) {
	switch op := op.(type) {
	case *kqlparse.Where:
		pred, err := t.expr(op.Predicate)
		if err != nil {
			return nil, err
		}
		return mapping(scalar("where"), scalar(pred)), nil
	case *kqlparse.Extend:
		cols, err := t.namedColumns(op.Columns, "extend")
		if err != nil {
			return nil, err
		}
		return mapping(scalar("extend"), mapping(cols...)), nil
	case *kqlparse.Project:
		list := &yaml.Node{Kind: yaml.SequenceNode}
		for _, a := range op.Columns {
			if len(a.Names) == 0 {
				id, ok := a.Value.(*kqlparse.Ident)
				if !ok || strings.Contains(id.Name, "*") {
					return nil, t.refuse(a, "a project column without a name")
				}
				if _, _, err := t.name(id); err != nil {
					return nil, err
				}
				list.Content = append(list.Content, scalar(id.Name))
				continue
			}
			cols, err := t.namedColumns([]*kqlparse.Assignment{a}, "project")
			if err != nil {
				return nil, err
			}
			list.Content = append(list.Content, mapping(cols...))
		}
		return mapping(scalar("project"), list), nil
	case *kqlparse.ProjectRename:
		var pairs []*yaml.Node
		for _, a := range op.Columns {
			old, ok := a.Value.(*kqlparse.Ident)
			if !ok || len(a.Names) != 1 {
				return nil, t.refuse(a, "a project-rename other than New = Old")
			}
			pairs = append(pairs, scalar(a.Names[0].Name), scalar(old.Name))
		}
		return mapping(scalar("project-rename"), mapping(pairs...)), nil
	case *kqlparse.Join:
		return t.join(op)
	case *kqlparse.Summarize:
		return t.summarize(op)
	case *kqlparse.MvExpand:
		return t.mvExpand(op)
	case *kqlparse.Distinct:
		if len(op.Params) > 0 {
			return nil, t.refuse(op.Params[0], "distinct with "+op.Params[0].Name)
		}
		list := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, c := range op.Columns {
			id, ok := c.(*kqlparse.Ident)
			if !ok {
				return nil, t.refuse(c, "distinct of an expression")
			}
			if id.Name == "*" {
				return mapping(scalar("distinct"), str("*")), nil
			}
			list.Content = append(list.Content, scalar(id.Name))
		}
		return mapping(scalar("distinct"), list), nil
	case *kqlparse.Render:
		return nil, nil // a chart's settings: the rows are the same
	}
	if !knownStage(op.Name()) {
		return nil, t.refuse(op, "the "+op.Name()+" operator")
	}
	switch op := op.(type) {
	case *kqlparse.Sort:
		if len(op.Params) > 0 {
			return nil, t.refuse(op.Params[0], op.Word+" "+op.Params[0].Name)
		}
		keys := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, k := range op.By {
			key, err := t.sortKey(k)
			if err != nil {
				return nil, err
			}
			keys.Content = append(keys.Content, str(key))
		}
		return mapping(scalar("sort"), keys), nil
	case *kqlparse.Top:
		n, ok := unparen(op.Count).(*kqlparse.Literal)
		if !ok || n.Kind != kqlparse.LitInt || len(op.By) != 1 || len(op.Params) > 0 {
			return nil, t.refuse(op, "top other than top N by one key")
		}
		key, err := t.sortKey(op.By[0])
		if err != nil {
			return nil, err
		}
		return mapping(scalar("top"), mapping(scalar("count"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: n.Text}, scalar("by"), str(key))), nil
	case *kqlparse.Take:
		n, ok := unparen(op.Count).(*kqlparse.Literal)
		if !ok || n.Kind != kqlparse.LitInt || len(op.Params) > 0 {
			return nil, t.refuse(op, op.Word+" other than of a whole number")
		}
		return mapping(scalar("take"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: n.Text}), nil
	case *kqlparse.ProjectAway:
		return mapping(scalar("project-away"), names(op.Columns)), nil
	case *kqlparse.ProjectKeep:
		return mapping(scalar("project-keep"), names(op.Columns)), nil
	case *kqlparse.ProjectReorder:
		list := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, k := range op.Columns {
			id, ok := k.Expr.(*kqlparse.Ident)
			if !ok {
				return nil, t.refuse(k, "project-reorder of an expression")
			}
			list.Content = append(list.Content, str(strings.TrimSpace(id.Name+" "+k.Order)))
		}
		return mapping(scalar("project-reorder"), list), nil
	}
	return nil, t.refuse(op, "the "+op.Name()+" operator")
}

// sortKey writes a sort key as the rule language does: the expression, then the order and where
// nulls go when the KQL says (KQL's defaults, desc and nulls last for desc, first for asc, are
// the rule language's too).
// https://learn.microsoft.com/kusto/query/sort-operator
func (t *translator) sortKey(k *kqlparse.SortKey) (string, error) {
	x, err := t.expr(k.Expr)
	if err != nil {
		return "", err
	}
	if k.Order != "" {
		x += " " + k.Order
	}
	if k.Nulls != "" {
		x += " nulls " + k.Nulls
	}
	return x, nil
}

func names(ids []*kqlparse.Ident) *yaml.Node {
	list := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, id := range ids {
		list.Content = append(list.Content, str(id.Name))
	}
	return list
}

// namedColumns translates Name = expression columns into mapping pairs.
func (t *translator) namedColumns(cols []*kqlparse.Assignment, what string) ([]*yaml.Node, error) {
	var pairs []*yaml.Node
	for _, a := range cols {
		if len(a.Names) != 1 {
			if len(a.Names) > 1 {
				return nil, t.refuse(a, "a "+what+" of several columns at once ((A, B) = ...)")
			}
			if id, ok := a.Value.(*kqlparse.Ident); ok && what == "extend" {
				// extend C with C a column leaves the rows as they are.
				pairs = append(pairs, scalar(id.Name), scalar(id.Name))
				continue
			}
			return nil, t.refuse(a, "an "+what+" column without a name")
		}
		name := a.Names[0].Name
		if !exprName.MatchString(name) || exprWords[name] {
			return nil, t.refuse(a.Names[0], "the column name \""+name+"\"")
		}
		x, err := t.expr(a.Value)
		if err != nil {
			return nil, err
		}
		pairs = append(pairs, scalar(name), scalar(x))
	}
	return pairs, nil
}

// join translates join kind=K (right) on keys.
// https://learn.microsoft.com/kusto/query/join-operator
func (t *translator) join(op *kqlparse.Join) (*yaml.Node, error) {
	kind := "innerunique"
	for _, p := range op.Params {
		switch {
		case p.Name == "kind":
			id, ok := p.Value.(*kqlparse.Ident)
			if !ok {
				return nil, t.refuse(p, "this join kind")
			}
			kind = strings.ToLower(id.Name)
			if alias, ok := joinKindAliases[kind]; ok {
				kind = alias
			}
			if !knownJoinKind(kind) {
				return nil, t.refuse(p, "join kind="+kind)
			}
		case strings.HasPrefix(p.Name, "hint."):
			// Hints say how to run the join, not what it returns.
		default:
			return nil, t.refuse(p, "join "+p.Name)
		}
	}
	keys := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	var addKey func(x kqlparse.Expr) error
	addKey = func(x kqlparse.Expr) error {
		switch k := unparen(x).(type) {
		case *kqlparse.Ident:
			keys.Content = append(keys.Content, scalar(k.Name))
			return nil
		case *kqlparse.Binary:
			if k.Op == "and" {
				if err := addKey(k.X); err != nil {
					return err
				}
				return addKey(k.Y)
			}
			l, lok := sideColumn(k.X)
			r, rok := sideColumn(k.Y)
			if k.Op == "==" && lok && rok && l[0] != r[0] {
				if l[0] == "$right" {
					l, r = r, l
				}
				keys.Content = append(keys.Content, mapping(scalar("left"), scalar(l[1]), scalar("right"), scalar(r[1])))
				return nil
			}
		}
		return t.refuse(x, "this join key")
	}
	for _, k := range op.On {
		if err := addKey(k); err != nil {
			return nil, err
		}
	}
	right, err := t.rows(op.Right)
	if err != nil {
		return nil, err
	}
	if right.union != nil {
		return nil, t.refuse(op.Right, "a join whose right side is a union")
	}
	rightNode := mapping(right.start()...)
	if len(right.stages) > 0 {
		rightNode.Content = append(rightNode.Content, scalar("stages"), sequence(right.stages...))
	}
	return mapping(scalar("join"), mapping(scalar("kind"), scalar(kind), scalar("on"), keys, scalar("right"), rightNode)), nil
}

// joinKindAliases are other names KQL gives join kinds.
// https://learn.microsoft.com/kusto/query/join-leftanti ("Aliases: anti, leftantisemi")
var joinKindAliases = map[string]string{"anti": "leftanti", "leftantisemi": "leftanti"}

// sideColumn reads $left.A or $right.A.
func sideColumn(x kqlparse.Expr) ([2]string, bool) {
	m, ok := x.(*kqlparse.Member)
	if !ok {
		return [2]string{}, false
	}
	side, ok := m.X.(*kqlparse.Ident)
	if !ok || (side.Name != "$left" && side.Name != "$right") {
		return [2]string{}, false
	}
	return [2]string{side.Name, m.Name.Name}, true
}

// summarize translates summarize aggregates by keys.
// https://learn.microsoft.com/kusto/query/summarize-operator
func (t *translator) summarize(op *kqlparse.Summarize) (*yaml.Node, error) {
	for _, p := range op.Params {
		if !strings.HasPrefix(p.Name, "hint.") {
			return nil, t.refuse(p, "summarize "+p.Name)
		}
	}
	spec := mapping()
	if len(op.Aggregates) > 0 {
		list := &yaml.Node{Kind: yaml.SequenceNode}
		t.aggregating = true
		for _, a := range op.Aggregates {
			call, ok := unparen(a.Value).(*kqlparse.Call)
			if !ok || !knownAggregate(call.Fn.Name) {
				t.aggregating = false
				if ok {
					return nil, t.refuse(call, "the aggregate "+call.Fn.Name+"()")
				}
				return nil, t.refuse(a, "a summarize column that is not one aggregate call")
			}
			if err := aggregateArity(call.Fn.Name, len(call.Args)); err != nil {
				t.aggregating = false
				return nil, t.refuse(call, "the aggregate "+call.Fn.Name+"() with "+plural(len(call.Args), "argument"))
			}
			item, err := t.item(a, "summarize")
			if err != nil {
				t.aggregating = false
				return nil, err
			}
			list.Content = append(list.Content, item)
		}
		t.aggregating = false
		spec.Content = append(spec.Content, scalar("aggregates"), list)
	}
	if len(op.By) > 0 {
		list := &yaml.Node{Kind: yaml.SequenceNode}
		for _, a := range op.By {
			if len(a.Names) == 0 {
				switch v := unparen(a.Value).(type) {
				case *kqlparse.Ident:
				case *kqlparse.Call:
					if v.Fn.Name != "bin" || len(v.Args) != 2 || !isIdent(v.Args[0]) {
						return nil, t.refuse(a, "a summarize key without a name")
					}
				default:
					return nil, t.refuse(a, "a summarize key without a name")
				}
			}
			item, err := t.item(a, "summarize")
			if err != nil {
				return nil, err
			}
			list.Content = append(list.Content, item)
		}
		spec.Content = append(spec.Content, scalar("by"), list)
	}
	return mapping(scalar("summarize"), spec), nil
}

// item is an expression, named or not, as a list item.
func (t *translator) item(a *kqlparse.Assignment, what string) (*yaml.Node, error) {
	if len(a.Names) > 1 {
		return nil, t.refuse(a, "a "+what+" of several columns at once ((A, B) = ...)")
	}
	x, err := t.expr(a.Value)
	if err != nil {
		return nil, err
	}
	if len(a.Names) == 0 {
		return scalar(x), nil
	}
	return mapping(scalar(a.Names[0].Name), scalar(x)), nil
}

// mvExpand translates mv-expand of columns or Name = expression.
// https://learn.microsoft.com/kusto/query/mv-expand-operator
func (t *translator) mvExpand(op *kqlparse.MvExpand) (*yaml.Node, error) {
	for _, p := range op.Params {
		return nil, t.refuse(p, "mv-expand "+p.Name)
	}
	if op.Limit != nil {
		return nil, t.refuse(op.Limit, "mv-expand limit")
	}
	if op.ItemIndex != nil {
		return nil, t.refuse(op.ItemIndex, "mv-expand with_itemindex")
	}
	if len(op.Columns) == 1 && len(op.Columns[0].Column.Names) == 0 && op.Columns[0].ToType == "" {
		if id, ok := op.Columns[0].Column.Value.(*kqlparse.Ident); ok {
			return mapping(scalar("mv-expand"), scalar(id.Name)), nil
		}
	}
	var pairs []*yaml.Node
	for _, c := range op.Columns {
		if c.ToType != "" {
			return nil, t.refuse(c, "mv-expand to typeof("+c.ToType+")")
		}
		a := c.Column
		if len(a.Names) == 0 {
			id, ok := a.Value.(*kqlparse.Ident)
			if !ok {
				return nil, t.refuse(a, "an mv-expand of an expression without a name")
			}
			pairs = append(pairs, scalar(id.Name), scalar(id.Name))
			continue
		}
		cols, err := t.namedColumns([]*kqlparse.Assignment{a}, "mv-expand")
		if err != nil {
			return nil, err
		}
		pairs = append(pairs, cols...)
	}
	return mapping(scalar("mv-expand"), mapping(pairs...)), nil
}

func isIdent(x kqlparse.Expr) bool {
	_, ok := x.(*kqlparse.Ident)
	return ok
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
