package kqlexpr

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/expr-lang/expr/ast"

	"github.com/signin-detect/detect/engine/kql"
)

// patcher rewrites the parsed expression before it is type-checked and compiled: operators into
// their KQL functions, calls into the registered functions (checked, folded, typed), and it
// rejects what is not KQL.
type patcher struct {
	source     string
	env        Env
	columns    map[string]bool
	constants  map[string]bool
	calls      map[string]bool
	scalars    map[string]bool
	readsClock bool
	window     bool
	err        *Error
	// unknown holds the identifiers that name neither a column nor a constant; those that turn out
	// to be function names (callees) are not mistakes. The checker misses the rest once the
	// operators around them are rewritten, so they are reported here.
	unknown []*ast.IdentifierNode
	callees map[*ast.IdentifierNode]bool
	// types are the KQL types of the nodes the patcher made, whose checker types are not known
	// until the tree is checked again.
	types map[ast.Node]kql.Type
}

func (p *patcher) checkUnknownNames() {
	for _, id := range p.unknown {
		if p.callees[id] {
			continue
		}
		for name := range p.env.Columns {
			if strings.EqualFold(name, id.Value) {
				p.fail(id, "unknown name %s (did you mean the column %s? names are case-sensitive)", id.Value, name)
			}
		}
		p.fail(id, "unknown name %s (not a column of the rows here, nor a param or lookup)", id.Value)
	}
}

func (p *patcher) fail(n ast.Node, format string, args ...any) {
	p.failAt(n.Location().From, format, args...)
}

func (p *patcher) failAt(offset int, format string, args ...any) {
	if p.err == nil {
		line, column := position(p.source, offset)
		p.err = &Error{Line: line, Column: column, Msg: fmt.Sprintf(format, args...)}
	}
}

// kqlType is the KQL type of n as far as it is known before running: Any when it is not.
func (p *patcher) kqlType(n ast.Node) kql.Type {
	if t, ok := p.types[n]; ok {
		return t
	}
	switch c := n.(type) {
	case *ast.IntegerNode:
		return kql.Long
	case *ast.FloatNode:
		return kql.Real
	case *ast.StringNode:
		return kql.String
	case *ast.BoolNode:
		return kql.Bool
	case *ast.NilNode:
		return Any
	case *ast.ConstantNode:
		if c.Value == nil {
			return Any
		}
		return kql.TypeOf(c.Value)
	}
	t := n.Type()
	if t == nil || t.Kind() == reflect.Interface {
		return Any
	}
	return typeOfNode(n)
}

// replace puts a call of fn with args in place of node, of KQL type t.
func (p *patcher) replace(node *ast.Node, fn string, t kql.Type, args ...ast.Node) {
	call := &ast.CallNode{Callee: &ast.IdentifierNode{Value: fn}, Arguments: args}
	ast.Patch(node, call)
	p.types[call] = t
}

func (p *patcher) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if value, ok := p.env.Constants[n.Value]; ok {
			p.constants[n.Value] = true
			ast.Patch(node, &ast.ConstantNode{Value: value})
			return
		}
		if t, ok := p.env.Scalars[n.Value]; ok {
			// Until Bind gives it its value, a scalar is a constant of its type, so that the
			// expression is checked as it will run.
			p.scalars[n.Value] = true
			c := &ast.ConstantNode{Value: t.Sample()}
			ast.Patch(node, c)
			p.types[c] = t
			return
		}
		if _, ok := p.env.Columns[n.Value]; ok {
			p.columns[n.Value] = true
		} else if n.Value == "null" {
			// KQL writes null in dynamic literals: dynamic(null), dynamic(["a", null]).
			ast.Patch(node, &ast.NilNode{})
		} else {
			p.unknown = append(p.unknown, n)
		}
	case *ast.BinaryNode:
		p.binary(node, n)
	case *ast.UnaryNode:
		if (n.Operator == "not" || n.Operator == "!") && p.kqlType(n.Node) != kql.Bool {
			// not of a null is null, which a where drops, as KQL's not() gives
			// (https://learn.microsoft.com/kusto/query/not-function).
			p.replace(node, "kql_not", Any, n.Node)
			return
		}
		if n.Operator == "-" {
			t, err := arithmeticType("*", p.kqlType(n.Node), kql.Long)
			if err != nil {
				p.fail(n, "KQL cannot negate a %s", p.kqlType(n.Node))
				return
			}
			p.replace(node, typedName("kql_neg", arithmeticResult(t)), t, n.Node)
		}
	case *ast.MemberNode:
		p.member(node, n)
	case *ast.CallNode:
		p.call(node, n)
	case *ast.BuiltinNode:
		p.fail(n, "%s is not a KQL function%s", n.Name, hint(n.Name))
	case *ast.ConditionalNode:
		// expr places the node at its last branch; point at the ? instead.
		at := n.Location()
		runes := []rune(p.source)
		for i := n.Cond.Location().From; i < len(runes) && i < at.From; i++ {
			if runes[i] == '?' {
				at.From = i
				break
			}
		}
		p.failAt(at.From, "a ? b : c is not KQL; write iff(condition, then, else)")
	case *ast.ChainNode:
		p.fail(n, "?. is not KQL; a missing property of a dynamic value is null already (write x.prop)")
	case *ast.SliceNode:
		p.fail(n, "x[from:to] is not KQL; write substring(text, from, length)")
	case *ast.MapNode:
		p.objectLiteral(node, n)
	case *ast.BytesNode, *ast.PointerNode, *ast.VariableDeclaratorNode, *ast.SequenceNode, *ast.PredicateNode:
		p.fail(n, "%s is not KQL", n.String())
	}
}

func (p *patcher) binary(node *ast.Node, n *ast.BinaryNode) {
	if fn, ok := comparisons[n.Operator]; ok {
		right := n.Right
		if n.Operator == "in" {
			right = setOf(right, kql.NewSet)
		}
		p.replace(node, fn, kql.Bool, n.Left, right)
		return
	}
	if a, ok := arithmetic[n.Operator]; ok {
		t, err := arithmeticType(n.Operator, p.kqlType(n.Left), p.kqlType(n.Right))
		if err != nil {
			p.fail(n, "%v", err)
			return
		}
		p.replace(node, typedName(a.name, arithmeticResult(t)), t, n.Left, n.Right)
		return
	}
	switch n.Operator {
	case "and", "&&", "or", "||":
		// KQL's and and or read a null operand as false (https://learn.microsoft.com/kusto/query/logical-operators:
		// bool(null) and true is false, bool(null) or true is true); expr fails on a non-bool. An
		// operand not known to be a bool reads true only when it is true, keeping the short circuit.
		for _, side := range []*ast.Node{&n.Left, &n.Right} {
			if p.kqlType(*side) != kql.Bool {
				truth := &ast.CallNode{Callee: &ast.IdentifierNode{Value: "kql_truth"}, Arguments: []ast.Node{*side}}
				p.types[truth] = kql.Bool
				*side = truth
			}
		}
		p.types[n] = kql.Bool
	case "??":
		p.fail(n, "?? is not KQL; write coalesce(a, b)")
	case "**", "^":
		p.fail(n, "%s is not a KQL operator", n.Operator)
	case "..":
		p.fail(n, ".. ranges are not KQL expressions; write between(x, lo, hi)")
	default:
		p.fail(n, "%s is not a KQL operator", n.Operator)
	}
}

// arithmeticResult is the result type an arithmetic function is registered under for t.
func arithmeticResult(t kql.Type) kql.Type {
	if t == kql.Int {
		return kql.Long
	}
	return t
}

// member rewrites property and index access on dynamic values, which give null, not an error,
// when the property is missing or the value is not an object or array. A typed value (a datetime,
// a string) has no properties or methods in KQL.
func (p *patcher) member(node *ast.Node, n *ast.MemberNode) {
	if t := p.kqlType(n.Node); t != Any && t != kql.Dynamic {
		name := n.Property.String()
		if s, ok := n.Property.(*ast.StringNode); ok {
			name = s.Value
		}
		if t == kql.String {
			p.fail(n, "%s is a string: it has no property %s; parse its JSON first: todynamic(%s).%s", n.Node.String(), name, n.Node.String(), name)
			return
		}
		p.fail(n, "%s is a %s: it has no property or method %s in KQL (call a KQL function on it instead)", n.Node.String(), t, name)
		return
	}
	fn := "kql_property"
	if _, isString := n.Property.(*ast.StringNode); !isString {
		fn = "kql_index"
	}
	p.replace(node, fn, Any, n.Node, n.Property)
}

// call checks a call against the function it names: that it is a registered KQL function, its
// number of arguments and its literal arguments; then folds it, or picks the typed variant its
// arguments give.
func (p *patcher) call(node *ast.Node, n *ast.CallNode) {
	id, ok := n.Callee.(*ast.IdentifierNode)
	if !ok {
		p.fail(n, "%s: methods are not KQL; call a KQL function", n.Callee.String())
		return
	}
	p.callees[id] = true
	f, ok := Lookup(id.Value)
	if !ok {
		p.fail(id, "%s is not a KQL function%s", id.Value, hint(id.Value))
		return
	}
	p.calls[f.Name] = true
	p.readsClock = p.readsClock || f.ReadsClock
	if f.Window {
		if !p.env.Serialized {
			p.fail(id, "%s needs a serialized row set: sort, top or serialize before this stage (KQL: a window function runs only over serialized rows)", id.Value)
			return
		}
		p.window = true
	}
	least, most := f.arity()
	if len(n.Arguments) < least || most >= 0 && len(n.Arguments) > most {
		p.fail(n, "%s takes %s: %s", id.Value, arityText(least, most), f.Signature())
		return
	}
	lit := Literals{args: n.Arguments}
	if f.Check != nil {
		if i, err := f.Check(lit); err != nil {
			p.fail(n.Arguments[i], "%v", err)
			return
		}
	}
	// The argument types are taken before Prepare rewrites the arguments (prev(Col) reads Col's
	// name, and has Col's type).
	argTypes := make([]kql.Type, len(n.Arguments))
	for i, a := range n.Arguments {
		argTypes[i] = p.kqlType(a)
	}
	if f.Prepare != nil {
		f.Prepare(n.Arguments)
	}
	if f.Resolve != nil {
		p.resolve(node, n, f)
		return
	}
	if f.Fold != nil && p.env.Clock == nil {
		if v, ok := f.Fold(p.env.Now, lit); ok {
			c := &ast.ConstantNode{Value: v}
			ast.Patch(node, c)
			p.types[c] = f.Result
			return
		}
	}
	if f.ResultOf != nil {
		if t := f.ResultOf(argTypes); t != Any {
			if t == kql.Int {
				t = kql.Long
			}
			for _, typed := range typedResults {
				if typed == t {
					id.Value = typedName(f.Name, t)
					p.types[n] = t
				}
			}
		}
	}
}

// resolve puts in place of the call the node its function's Resolve makes of it.
func (p *patcher) resolve(node *ast.Node, n *ast.CallNode, f *Function) {
	for _, a := range n.Arguments {
		if id, ok := a.(*ast.IdentifierNode); ok {
			p.callees[id] = true
		}
	}
	out, err := f.Resolve(p.env.Columns, n.Arguments)
	if err != nil {
		p.fail(n, "%v", err)
		return
	}
	if id, ok := out.(*ast.IdentifierNode); ok {
		p.columns[id.Value] = true
		if t, ok := p.env.Columns[id.Value]; ok {
			p.types[out] = t
		}
	}
	ast.Patch(node, out)
}

// objectLiteral makes {"k": v, ...} the property bag bag_pack("k", v, ...) makes, its keys in the
// order written (expr's own maps would lose it), as KQL's dynamic({...}) literals keep it.
// https://learn.microsoft.com/kusto/query/scalar-data-types/dynamic
func (p *patcher) objectLiteral(node *ast.Node, n *ast.MapNode) {
	args := make([]ast.Node, 0, 2*len(n.Pairs))
	for _, pair := range n.Pairs {
		kv := pair.(*ast.PairNode)
		if _, ok := kv.Key.(*ast.StringNode); !ok {
			p.fail(kv.Key, "a key of a dynamic object literal is a string, such as \"AgentType\"")
			return
		}
		args = append(args, kv.Key, kv.Value)
	}
	p.calls[objectLiteralFunction] = true
	p.replace(node, objectLiteralFunction, kql.Dynamic, args...)
}

// objectLiteralFunction is the KQL function an object literal becomes: the one registered
// function the patcher calls without the expression naming it (see namesIn).
const objectLiteralFunction = "bag_pack"

func arityText(least, most int) string {
	switch {
	case most < 0:
		return fmt.Sprintf("%d or more arguments", least)
	case least == most && least == 1:
		return "1 argument"
	case least == most:
		return fmt.Sprintf("%d arguments", least)
	case most == least+1:
		return fmt.Sprintf("%d or %d arguments", least, most)
	}
	return fmt.Sprintf("%d to %d arguments", least, most)
}

// setOf turns the constant right-hand side of in (or in_ci) into a kql.Set made by newSet, so
// that membership is one map lookup rather than a walk of the list.
func setOf(n ast.Node, newSet func([]any) *kql.Set) ast.Node {
	var items []any
	switch r := n.(type) {
	case *ast.ConstantNode:
		switch v := r.Value.(type) {
		case []any:
			items = v
		case []string:
			for _, s := range v {
				items = append(items, s)
			}
		default:
			return n
		}
	case *ast.CallNode:
		// x in dynamic(["a", "b"]) is the same constant list.
		if id, ok := r.Callee.(*ast.IdentifierNode); ok && id.Value == "dynamic" && len(r.Arguments) == 1 {
			if set := setOf(r.Arguments[0], newSet); set != r.Arguments[0] {
				return set
			}
		}
		return n
	case *ast.ArrayNode:
		for _, e := range r.Nodes {
			switch lit := e.(type) {
			case *ast.StringNode:
				items = append(items, lit.Value)
			case *ast.IntegerNode:
				items = append(items, int64(lit.Value))
			case *ast.FloatNode:
				items = append(items, lit.Value)
			default:
				return n
			}
		}
	default:
		return n
	}
	return &ast.ConstantNode{Value: newSet(items)}
}
