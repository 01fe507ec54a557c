package kqlimport

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/signin-detect/detect/engine/kqlparse"
	"gopkg.in/yaml.v3"
)

// User-defined functions (https://learn.microsoft.com/kusto/query/functions/user-defined-functions):
// a let of `(p:type, ...) { body }` becomes a function let of the rule language, with params. A
// body that is rows is a tabular function (table: $p for table(p), stages); one that is an
// expression a scalar function (value:). A call of a tabular function is written where a let's
// name is (from:, a union's operands, a join's right side); a call of a scalar function stays a
// call in expressions.

// paramTypes are the KQL types a function let's params may have in the rule language.
var paramTypes = []string{"string", "long", "int", "real", "double", "bool", "datetime", "timespan", "dynamic", "guid"}

// functionLet translates let name = (params) { body }.
func (t *translator) functionLet(l *kqlparse.Let, f *kqlparse.FuncDecl, comment string) error {
	name := l.Name.Name
	if f.View {
		return t.refuse(l, "a view")
	}
	params := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	// The body reads its params by name; names of the query's lets they shadow are restored after.
	shadowed := map[string]*binding{}
	defer func() {
		for n, b := range shadowed {
			if b == nil {
				delete(t.scope, n)
			} else {
				t.scope[n] = b
			}
		}
	}()
	for _, p := range f.Params {
		switch {
		case p.Tabular:
			return t.refuse(p, "a tabular parameter of a user function")
		case p.Default != nil:
			return t.refuse(p, "a default value of a user function's parameter")
		case !slices.Contains(paramTypes, p.Type):
			return t.refuse(p, "a user function's parameter of type "+p.Type)
		}
		if _, ok := shadowed[p.Name.Name]; !ok {
			shadowed[p.Name.Name] = t.scope[p.Name.Name]
		}
		t.scope[p.Name.Name] = &binding{kind: bindFuncParam, name: p.Name.Name, paramType: p.Type}
		params.Content = append(params.Content, mapping(scalar(p.Name.Name), scalar(p.Type)))
	}
	body := f.Body
	if body == nil || body.Result == nil {
		return t.refuse(l, "a user function without a result")
	}
	lr := &letRows{name: name, decl: l, usedBy: map[string]bool{}}
	lr.key = key(name, commentText(comment))
	t.places[lr.key] = l.Pos
	if !isRows(body.Result, t.scope) {
		if len(body.Lets) > 0 {
			return t.refuse(body.Lets[0], "a let inside a scalar user function")
		}
		text, _, err := t.scalar(body.Result)
		if err != nil {
			return err
		}
		lr.node = mapping(scalar("params"), params, scalar("value"), str(text))
		t.letOrder = append(t.letOrder, lr)
		t.scope[name] = &binding{kind: bindScalarFunc, name: name}
		return nil
	}
	// A let inside the body names rows that the body reads once: they are written where they are
	// read, as a let stands for its expression.
	for _, inner := range body.Lets {
		if _, ok := unparen(inner.Value).(*kqlparse.FuncDecl); ok || !isRows(inner.Value, t.scope) {
			return t.refuse(inner, "a let inside a user function that is not rows")
		}
		if _, ok := shadowed[inner.Name.Name]; !ok {
			shadowed[inner.Name.Name] = t.scope[inner.Name.Name]
		}
		t.scope[inner.Name.Name] = &binding{kind: bindInlineRows, name: inner.Name.Name, rows: inner}
	}
	saved := t.letting
	t.letting = name
	src, err := t.rows(body.Result)
	t.letting = saved
	if err != nil {
		return err
	}
	node := letNode(src, false)
	node.Content = append([]*yaml.Node{scalar("params"), params}, node.Content...)
	lr.node = node
	t.letOrder = append(t.letOrder, lr)
	t.scope[name] = &binding{kind: bindTabularFunc, name: name, let: lr}
	return nil
}

// inlineRows is the rows of a let inside a user function's body, where the body reads it.
func (t *translator) inlineRows(id *kqlparse.Ident, b *binding) (*source, error) {
	if b.read {
		return nil, t.refuse(id, "a let inside a user function read more than once")
	}
	b.read = true
	src, err := t.rows(b.rows.Value)
	if err != nil {
		return nil, err
	}
	if len(src.stages) > 0 {
		first := src.stages[0]
		first.HeadComment = strings.TrimSpace(commentText("let "+b.name+" = (the rows below, read once)") + "\n" + first.HeadComment)
	}
	return src, nil
}

// tableOfParam is table(p), p a string param of the function being translated: the table the
// call names, $p (https://learn.microsoft.com/kusto/query/table-function).
func (t *translator) tableOfParam(c *kqlparse.Call) (*source, error) {
	if len(c.Args) == 1 {
		if id, ok := unparen(c.Args[0]).(*kqlparse.Ident); ok {
			if b := t.scope[id.Name]; b != nil && b.kind == bindFuncParam && b.paramType == "string" {
				return t.fromTables([]string{"$" + id.Name}, c.Pos), nil
			}
		}
	}
	return nil, t.refuse(c, "table() of other than a string parameter of a user function")
}

// functionCall is a call of a tabular function let, written as the rule language reads it in a
// from: or a union's operands: name("text", 12, true, lookback + timeframe). An argument other than
// a string, whole number or bool literal is written as its expression, which the rule evaluates
// over its params before binding it, as KQL evaluates a call's arguments
// (https://learn.microsoft.com/kusto/query/functions/user-defined-functions).
func (t *translator) functionCall(c *kqlparse.Call, b *binding) (*source, error) {
	var args []string
	for _, a := range c.Args {
		if lit, ok := unparen(a).(*kqlparse.Literal); ok {
			switch lit.Kind {
			case kqlparse.LitString:
				if lit.Obfuscated {
					return nil, t.refuse(a, `an obfuscated string (h"...")`)
				}
				args = append(args, strconv.Quote(fmt.Sprint(lit.Value)))
				continue
			case kqlparse.LitInt, kqlparse.LitBool:
				args = append(args, fmt.Sprint(lit.Value))
				continue
			}
		}
		text, _, err := t.scalar(a)
		if err != nil {
			return nil, err
		}
		args = append(args, text)
	}
	if t.letting != "" {
		b.let.usedBy[t.letting] = true
	}
	return &source{from: c.Fn.Name + "(" + strings.Join(args, ", ") + ")", pos: c.Pos}, nil
}

// isCall tells whether a from: names a call rather than a let.
func isCall(from string) bool { return strings.HasSuffix(from, ")") }
