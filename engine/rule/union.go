package rule

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// union reads a union: a list of operands, or {kind, withsource, isfuzzy, of: [operands]}, as
// KQL's union [kind=inner|outer] [withsource=Col] [isfuzzy=true] A, B, ... writes them. An
// operand is a name (a table, a let, or a call such as aadFunc("SigninLogs")), or a
// parenthesised pipeline: {table: T} or {from: L}, with stages.
// https://learn.microsoft.com/kusto/query/union-operator
func (d *decoder) union(n *yaml.Node) *UnionSpec {
	u := &UnionSpec{Kind: "outer", Pos: d.pos(n)}
	operands := n
	if n.Kind == yaml.MappingNode {
		operands = nil
		for _, e := range d.mapping(n, "union", "kind", "withsource", "isfuzzy", "of") {
			switch e.key.Value {
			case "kind":
				if k, ok := d.str(e.value, "union kind"); ok {
					if k != "inner" && k != "outer" {
						d.errorf(e.value, "union kind is inner or outer, not %q", k)
					}
					u.Kind = k
				}
			case "withsource":
				if col, ok := d.str(e.value, "union withsource"); ok {
					if !letName.MatchString(col) {
						d.errorf(e.value, "union withsource %q: a column name is a letter or _ followed by letters, digits or _", col)
					}
					u.WithSource = col
				}
			case "isfuzzy":
				if e.value.Kind != yaml.ScalarNode || e.value.Tag != "!!bool" {
					d.errorf(e.value, "union isfuzzy must be true or false")
				}
				u.IsFuzzy = e.value.Value == "true"
			case "of":
				operands = e.value
			}
		}
		if operands == nil {
			d.errorf(n, "union needs of: the tables, lets, calls or pipelines it unions")
			return u
		}
	}
	if operands.Kind != yaml.SequenceNode {
		d.errorf(operands, "union takes a list of tables, lets, calls or {table|from, stages} pipelines, not %s", kindName(operands))
		return u
	}
	for _, item := range operands.Content {
		op := &UnionOperand{Pos: d.pos(item)}
		switch {
		case item.Kind == yaml.ScalarNode && item.Tag != "!!null":
			op.Name = strings.TrimSpace(item.Value)
		case item.Kind == yaml.MappingNode:
			for _, e := range d.mapping(item, "union operand", "table", "from", "stages") {
				switch e.key.Value {
				case "table":
					op.Tables = d.strList(e.value, "union operand table")
				case "from":
					op.From, _ = d.str(e.value, "union operand from")
				case "stages":
					op.Stages = d.stages(e.value, "union operand stages")
				}
			}
			if (len(op.Tables) == 0) == (op.From == "") {
				d.errorf(item, "a union operand pipeline starts from table (a table, or a list) or from (a let or a call), and not both")
				continue
			}
		default:
			d.errorf(item, "a union operand is a table, let or call name, or {table|from, stages}, not %s", kindName(item))
			continue
		}
		u.Operands = append(u.Operands, op)
	}
	if len(u.Operands) == 0 && len(operands.Content) == 0 {
		d.errorf(operands, "union needs at least one table, let, call or pipeline")
	}
	return u
}

// letParams reads a function let's parameters: [name: type, ...] or {name: type, ...}, as KQL's
// (name:type, ...).
func (d *decoder) letParams(n *yaml.Node, what string) []*LetParam {
	var pairs []entry
	switch n.Kind {
	case yaml.MappingNode:
		pairs = d.mapping(n, what)
	case yaml.SequenceNode:
		for _, item := range n.Content {
			if item.Kind != yaml.MappingNode || len(item.Content) != 2 {
				d.errorf(item, "%s: a parameter is name: type, not %s", what, kindName(item))
				continue
			}
			pairs = append(pairs, entry{item.Content[0], item.Content[1]})
		}
	default:
		d.errorf(n, "%s must be a list of name: type, not %s", what, kindName(n))
	}
	var out []*LetParam
	for _, p := range pairs {
		typ, ok := d.str(p.value, what+" "+p.key.Value)
		if !ok {
			continue
		}
		if !letName.MatchString(p.key.Value) {
			d.errorf(p.key, "%s: %q is not a parameter name", what, p.key.Value)
			continue
		}
		if !contains(scalarTypes, typ) {
			d.errorf(p.value, "%s %s: type %q is not one of %s", what, p.key.Value, typ, strings.Join(scalarTypes, ", "))
			continue
		}
		out = append(out, &LetParam{Name: p.key.Value, Type: typ, Pos: d.pos(p.key)})
	}
	return out
}

// scalarTypes are the KQL types a function parameter or a parse column may have.
var scalarTypes = []string{"string", "long", "int", "real", "double", "bool", "datetime", "timespan", "dynamic", "guid"}

// ParseCall reads a call of a function let as written in a from or a union operand:
// name("text", 'text', 12, true, lookback + 1d). ok is false when text is no call. An argument
// that is no literal is an Expression, evaluated over the rule's params when the call is planned:
// KQL evaluates a call's arguments, then binds them to the function's parameters
// (https://learn.microsoft.com/kusto/query/functions/user-defined-functions).
func ParseCall(text string) (name string, args []any, ok bool) {
	text = strings.TrimSpace(text)
	open := strings.IndexByte(text, '(')
	if open <= 0 || !strings.HasSuffix(text, ")") || !letName.MatchString(strings.TrimSpace(text[:open])) {
		return "", nil, false
	}
	name = strings.TrimSpace(text[:open])
	rest := strings.TrimSpace(text[open+1 : len(text)-1])
	for rest != "" {
		end, balanced := argumentEnd(rest)
		if !balanced {
			return "", nil, false
		}
		word := strings.TrimSpace(rest[:end])
		var arg any = Expression(word)
		if s, n, err := readStringLiteral(word); err == nil && n == len(word) {
			arg = s
		} else if v, err := literalValue(word); err == nil {
			arg = v
		}
		if word == "" {
			return "", nil, false
		}
		args = append(args, arg)
		rest = strings.TrimSpace(rest[end:])
		if rest != "" {
			rest = strings.TrimSpace(rest[1:])
			if rest == "" {
				return "", nil, false
			}
		}
	}
	return name, args, true
}

// Expression is an argument of a call of a function let that is no literal: an expression over
// the rule's params, such as lookback + timeframe.
type Expression string

// argumentEnd is where the argument text starts with ends: at its first comma outside brackets and
// string literals, else at its end. balanced is false when a bracket or string is left open.
func argumentEnd(text string) (end int, balanced bool) {
	depth := 0
	for i := 0; i < len(text); i++ {
		switch c := text[i]; c {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
			if depth < 0 {
				return 0, false
			}
		case '"', '\'', '@':
			if c == '@' && (i+1 == len(text) || (text[i+1] != '"' && text[i+1] != '\'')) {
				continue
			}
			_, n, err := readStringLiteral(text[i:])
			if err != nil {
				return 0, false
			}
			i += n - 1
		case ',':
			if depth == 0 {
				return i, true
			}
		}
	}
	return len(text), depth == 0
}
