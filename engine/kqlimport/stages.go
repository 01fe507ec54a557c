package kqlimport

import (
	"github.com/signin-detect/detect/engine/aggregate"
	"github.com/signin-detect/detect/engine/kqlexpr"
	"slices"
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
		return mapping(scalar("extend"), extendColumns(cols)), nil
	case *kqlparse.Project:
		list := &yaml.Node{Kind: yaml.SequenceNode}
		for _, a := range op.Columns {
			if len(a.Names) == 0 {
				if name, ok := columnOfCall(a.Value); ok {
					a = &kqlparse.Assignment{Pos: a.Pos, Names: []*kqlparse.Ident{{Pos: a.Pos, Name: name}}, Value: a.Value}
				}
			}
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
	case *kqlparse.Union:
		// T | union ...: the rows so far, then each operand's.
		// https://learn.microsoft.com/kusto/query/union-operator
		if !knownStage("union") {
			break
		}
		src, err := t.union(op)
		if err != nil {
			return nil, err
		}
		return mapping(scalar("union"), src.union), nil
	case *kqlparse.ParseOp:
		return t.parseOp(op)
	case *kqlparse.Evaluate:
		if op.Plugin.Fn.Name == "ipv4_lookup" && knownStage("ipv4-lookup") {
			return t.ipv4Lookup(op)
		}
		return nil, t.refuse(op, "evaluate "+op.Plugin.Fn.Name+"()")
	}
	if !knownStage(op.Name()) {
		return nil, t.refuse(op, "the "+op.Name()+" operator")
	}
	switch op := op.(type) {
	case *kqlparse.MakeSeries:
		return t.makeSeries(op)
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
		if len(a.Names) > 1 && what == "extend" {
			// extend (A, B) = f(x) assigns the columns of a function that gives several.
			var names []string
			for _, n := range a.Names {
				if !exprName.MatchString(n.Name) || exprWords[n.Name] {
					return nil, t.refuse(n, "the column name \""+n.Name+"\"")
				}
				names = append(names, n.Name)
			}
			x, err := t.expr(a.Value)
			if err != nil {
				return nil, err
			}
			pairs = append(pairs, str("("+strings.Join(names, ", ")+")"), str(x))
			continue
		}
		if len(a.Names) != 1 {
			if len(a.Names) > 1 {
				return nil, t.refuse(a, "a "+what+" of several columns at once ((A, B) = ...)")
			}
			if call, ok := unparen(a.Value).(*kqlparse.Call); ok && what == "extend" && givesColumns(call) {
				// Unnamed, its columns are named f_Col_column, as KQL names them: written as an
				// item of its own (extendItems).
				x, err := t.expr(a.Value)
				if err != nil {
					return nil, err
				}
				pairs = append(pairs, nil, str(x))
				continue
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

// parseOp writes parse and parse-where as the stage reads them: the KQL after the operator's
// name, as written, over a column (the stage reads EXPR in the rule language, which writes a
// column as KQL does). https://learn.microsoft.com/kusto/query/parse-operator
func (t *translator) parseOp(op *kqlparse.ParseOp) (*yaml.Node, error) {
	if !knownStage(op.Word) {
		return nil, t.refuse(op, "the "+op.Word+" operator")
	}
	if _, ok := unparen(op.Source).(*kqlparse.Ident); !ok {
		return nil, t.refuse(op.Source, op.Word+" of an expression other than a column")
	}
	text := strings.TrimSpace(strings.TrimPrefix(t.opText, op.Word))
	if strings.Contains(text, "//") || !strings.HasPrefix(t.opText, op.Word) {
		return nil, t.refuse(op, op.Word+" with a comment inside")
	}
	return mapping(scalar(op.Word), str(strings.Join(strings.Fields(text), " "))), nil
}

// givesColumns tells a call of a function that gives several columns (series_decompose).
func givesColumns(c *kqlparse.Call) bool {
	f, ok := kqlexpr.Lookup(c.Fn.Name)
	return ok && len(f.Columns) > 0
}

// extendColumns writes an extend's name and expression pairs as a mapping, or, when one has no
// name (nil: a function that gives several columns, unnamed), as the list form, where such a
// call is an item of its own.
func extendColumns(pairs []*yaml.Node) *yaml.Node {
	list := false
	for i := 0; i < len(pairs); i += 2 {
		list = list || pairs[i] == nil
	}
	if !list {
		return mapping(pairs...)
	}
	items := sequence()
	for i := 0; i < len(pairs); i += 2 {
		if pairs[i] == nil {
			items.Content = append(items.Content, pairs[i+1])
			continue
		}
		items.Content = append(items.Content, mapping(pairs[i], pairs[i+1]))
	}
	return items
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
		// A join's right side reads a table or a let: a union there is a let of its own.
		name := t.hoistRows(right, op.Right.Position(), "join_right")
		right = &source{from: name, pos: right.pos}
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
			if len(a.Names) == 0 {
				if name, ok := aggregateOfTostring(call); ok {
					a = &kqlparse.Assignment{Pos: a.Pos, Names: []*kqlparse.Ident{{Pos: a.Pos, Name: name}}, Value: a.Value}
				}
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
		generated := 0
		for _, a := range op.By {
			if len(a.Names) == 0 {
				name, ok := keyName(a.Value, &generated)
				if !ok {
					return nil, t.refuse(a, "a summarize key without a name")
				}
				if name != "" {
					a = &kqlparse.Assignment{Pos: a.Pos, Names: []*kqlparse.Ident{{Pos: a.Pos, Name: name}}, Value: a.Value}
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

// firstArgumentNamed are the functions whose unnamed call KQL names after the column it is
// given (Kusto's binder, ResultNameKind FirstArgument): tostring(Col) and todynamic(Col) are Col.
var firstArgumentNamed = map[string]bool{"tostring": true, "todynamic": true}

// columnOfCall is Col for f(Col), f one of firstArgumentNamed.
func columnOfCall(x kqlparse.Expr) (string, bool) {
	c, ok := unparen(x).(*kqlparse.Call)
	if !ok || !firstArgumentNamed[c.Fn.Name] || len(c.Args) != 1 {
		return "", false
	}
	id, ok := unparen(c.Args[0]).(*kqlparse.Ident)
	if !ok {
		return "", false
	}
	return id.Name, true
}

// keyName is the name KQL gives an unnamed summarize key ("a name derived from the expression",
// https://learn.microsoft.com/kusto/query/summarize-operator), as Kusto's own binder derives it
// (microsoft/Kusto-Query-Language, Binder GetExpressionResultName and each function's
// ResultNameKind): a column keeps its name, written as is (""); tostring(Col) is named Col (kind
// FirstArgument); tolower(x) and toupper(x) take the generated name Column1 (kind None), which
// only one key of a summarize may take here, as the numbering of several is not settled. bin(Col,
// size) is written as is: the rule language names it Col. Any other expression is not named here.
func keyName(x kqlparse.Expr, generated *int) (string, bool) {
	switch v := unparen(x).(type) {
	case *kqlparse.Ident:
		return "", true
	case *kqlparse.Call:
		switch {
		case v.Fn.Name == "bin" && len(v.Args) == 2 && isIdent(v.Args[0]):
			return "", true
		case firstArgumentNamed[v.Fn.Name] && len(v.Args) == 1 && isIdent(unparen(v.Args[0])):
			return unparen(v.Args[0]).(*kqlparse.Ident).Name, true
		case (v.Fn.Name == "tolower" || v.Fn.Name == "toupper") && len(v.Args) == 1 && *generated == 0:
			*generated++
			return "Column1", true
		}
	}
	return "", false
}

// aggregateOfTostring names an unnamed aggregate of tostring(Col) as KQL does: the aggregate's
// prefix and the argument's name, and tostring(Col) is named Col (Kusto's binder: the
// aggregates' ResultNameKind PrefixAndFirstArgument, tostring's FirstArgument), so
// make_list(tostring(country)) is list_country, as an aggregate of country is.
func aggregateOfTostring(call *kqlparse.Call) (string, bool) {
	if len(call.Args) == 0 {
		return "", false
	}
	arg, ok := unparen(call.Args[0]).(*kqlparse.Call)
	if !ok || !firstArgumentNamed[arg.Fn.Name] || len(arg.Args) != 1 {
		return "", false
	}
	col, ok := unparen(arg.Args[0]).(*kqlparse.Ident)
	agg, known := aggregate.Lookup(call.Fn.Name)
	if !ok || !known || agg.Picks || agg.Prefix == "" {
		return "", false
	}
	return agg.Prefix + col.Name, true
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
		if p.Name != "with_itemindex" || op.ItemIndex == nil {
			return nil, t.refuse(p, "mv-expand "+p.Name)
		}
	}
	if op.Limit != nil {
		return nil, t.refuse(op.Limit, "mv-expand limit")
	}
	if len(op.Columns) == 1 && len(op.Columns[0].Column.Names) == 0 && op.Columns[0].ToType == "" && op.ItemIndex == nil {
		if id, ok := op.Columns[0].Column.Value.(*kqlparse.Ident); ok {
			return mapping(scalar("mv-expand"), scalar(id.Name)), nil
		}
	}
	// The list form, [with_itemindex=I, Col to typeof(T), Name: EXPR to typeof(T)], when a
	// column is typed or an index is asked for; the mapping form {Name: EXPR} otherwise.
	list := op.ItemIndex != nil
	for _, c := range op.Columns {
		list = list || c.ToType != ""
	}
	items := sequence()
	if op.ItemIndex != nil {
		items.Content = append(items.Content, str("with_itemindex="+op.ItemIndex.Name))
	}
	var pairs []*yaml.Node
	for _, c := range op.Columns {
		typed := ""
		if c.ToType != "" {
			if !slices.Contains(paramTypes, c.ToType) {
				return nil, t.refuse(c, "mv-expand to typeof("+c.ToType+")")
			}
			typed = " to typeof(" + c.ToType + ")"
		}
		a := c.Column
		if name, ok := columnOfCall(a.Value); ok && len(a.Names) == 0 {
			a = &kqlparse.Assignment{Pos: a.Pos, Names: []*kqlparse.Ident{{Pos: a.Pos, Name: name}}, Value: a.Value}
		}
		if len(a.Names) == 0 {
			id, ok := a.Value.(*kqlparse.Ident)
			if !ok {
				return nil, t.refuse(a, "an mv-expand of an expression without a name")
			}
			items.Content = append(items.Content, str(id.Name+typed))
			pairs = append(pairs, scalar(id.Name), scalar(id.Name))
			continue
		}
		cols, err := t.namedColumns([]*kqlparse.Assignment{a}, "mv-expand")
		if err != nil {
			return nil, err
		}
		items.Content = append(items.Content, mapping(cols[0], str(cols[1].Value+typed)))
		pairs = append(pairs, cols...)
	}
	if list {
		return mapping(scalar("mv-expand"), items), nil
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
