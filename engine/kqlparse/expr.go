package kqlparse

import "strings"

// Scalar expressions by precedence climbing, lowest first, as Microsoft's grammar for KQL
// (github.com/microsoft/Kusto-Query-Language, grammar/Kql.g4) orders them:
//
//	or
//	and
//	== != <>, in !in in~ !in~ has_any has_all (a list), between !between   (one, not chained)
//	< <= > >=                                                             (one, not chained)
//	+ -
//	* / %
//	=~ !~ and the string operators: has, contains, startswith, matches regex, like, ...
//	unary - +
//	postfix: X.Name, X[i], X.[i], call
//
// The string operators bind tighter than arithmetic: `a + b has c` is `a + (b has c)`.
// https://learn.microsoft.com/kusto/query/logical-operators
// https://learn.microsoft.com/kusto/query/datatypes-string-operators
// https://learn.microsoft.com/kusto/query/numerical-operators

// stringOperators are the word operators at the equality level.
var stringOperators = map[string]bool{}

func init() {
	for _, w := range []string{"has", "hasprefix", "hassuffix", "contains", "startswith", "endswith"} {
		for _, v := range []string{w, w + "_cs"} {
			stringOperators[v] = true
			stringOperators["!"+v] = true
		}
	}
	for _, w := range []string{"containscs", "notcontains", "notcontainscs", "like", "notlike", "likecs", "notlikecs"} {
		stringOperators[w] = true
	}
}

// listOperators take a parenthesised list on their right.
var listOperators = map[string]bool{
	"in": true, "!in": true, "in~": true, "!in~": true, "has_any": true, "has_all": true,
}

// expr reads a scalar expression (which may be a tabular one in argument position; see
// pipeExpr).
func (p *parser) expr() Expr {
	p.enter()
	defer p.leave()
	return p.or()
}

func (p *parser) or() Expr {
	x := p.and()
	for p.isWord("or") {
		t := p.advance()
		x = &Binary{Pos: t.pos, Op: "or", X: x, Y: p.and()}
	}
	return x
}

func (p *parser) and() Expr {
	x := p.equality()
	for p.isWord("and") {
		t := p.advance()
		x = &Binary{Pos: t.pos, Op: "and", X: x, Y: p.equality()}
	}
	return x
}

func (p *parser) equality() Expr {
	x := p.relational()
	t := p.tok()
	switch {
	case t.kind == tokPunct && (t.text == "==" || t.text == "!=" || t.text == "<>"):
		p.advance()
		return &Binary{Pos: t.pos, Op: t.text, X: x, Y: p.relational()}
	case t.kind == tokIdent && listOperators[t.value]:
		p.advance()
		return &In{Pos: t.pos, Op: t.value, X: x, Values: p.list(t.value)}
	case t.kind == tokIdent && (t.value == "between" || t.value == "!between"):
		p.advance()
		b := &Between{Pos: t.pos, Not: t.value != "between", X: x}
		p.expectPunct("(", "after "+t.value)
		b.Low = p.expr()
		p.expectPunct("..", "between the bounds of "+t.value)
		b.High = p.expr()
		p.expectPunct(")", "to close "+t.value)
		return b
	}
	return x
}

// list reads `(a, b, ...)` after in/has_any: each element a scalar or a tabular expression.
func (p *parser) list(op string) []Expr {
	p.expectPunct("(", "after "+op)
	var out []Expr
	for {
		out = append(out, p.pipeExpr())
		if !p.acceptPunct(",") {
			break
		}
	}
	p.expectPunct(")", "to close the list of "+op)
	return out
}

func (p *parser) relational() Expr {
	x := p.additive()
	t := p.tok()
	if t.kind != tokPunct || !(t.text == "<" || t.text == "<=" || t.text == ">" || t.text == ">=") {
		return x
	}
	p.advance()
	return &Binary{Pos: t.pos, Op: t.text, X: x, Y: p.additive()}
}

func (p *parser) additive() Expr {
	x := p.multiplicative()
	for p.isPunct("+") || p.isPunct("-") {
		t := p.advance()
		x = &Binary{Pos: t.pos, Op: t.text, X: x, Y: p.multiplicative()}
	}
	return x
}

func (p *parser) multiplicative() Expr {
	x := p.stringOp()
	for p.isPunct("*") || p.isPunct("/") || p.isPunct("%") {
		// `*` with nothing usable after it is a star argument's end, e.g. arg_max(T, *).
		if p.isPunct("*") && (p.peek(1).kind == tokPunct && (p.peek(1).text == ")" || p.peek(1).text == ",")) {
			return x
		}
		t := p.advance()
		x = &Binary{Pos: t.pos, Op: t.text, X: x, Y: p.stringOp()}
	}
	return x
}

func (p *parser) stringOp() Expr {
	x := p.unary()
	for {
		t := p.tok()
		switch {
		case t.kind == tokPunct && (t.text == "=~" || t.text == "!~"):
			p.advance()
			x = &Binary{Pos: t.pos, Op: t.text, X: x, Y: p.unary()}
		case t.kind == tokIdent && stringOperators[t.value]:
			p.advance()
			x = &Binary{Pos: t.pos, Op: t.value, X: x, Y: p.unary()}
		case t.kind == tokIdent && t.value == "matches" && p.peek(1).kind == tokIdent && p.peek(1).value == "regex":
			p.i += 2
			x = &Binary{Pos: t.pos, Op: "matches regex", X: x, Y: p.unary()}
		default:
			return x
		}
	}
}

func (p *parser) unary() Expr {
	if p.isPunct("-") || p.isPunct("+") {
		t := p.advance()
		p.enter()
		defer p.leave()
		return &Unary{Pos: t.pos, Op: t.text, X: p.unary()}
	}
	return p.postfix(p.primary())
}

// postfix reads .Name, ["key"] and [i] after an operand.
func (p *parser) postfix(x Expr) Expr {
	for {
		switch {
		case p.isPunct(".") && p.peek(1).kind == tokPunct && p.peek(1).text == "[" && !(p.peek(2).kind == tokString && p.peek(3).text == "]"):
			// X.[0] is X[0].
			p.advance()
			p.advance()
			idx := p.expr()
			p.expectPunct("]", "to close the index")
			x = &Index{Pos: x.Position(), X: x, Index: idx}
		case p.isPunct("."):
			p.advance()
			x = &Member{Pos: x.Position(), X: x, Name: p.ident("a property name after .")}
		case p.isPunct("["):
			p.advance()
			idx := p.expr()
			p.expectPunct("]", "to close the index")
			x = &Index{Pos: x.Position(), X: x, Index: idx}
		default:
			return x
		}
	}
}

// primary reads an operand: a literal, a name, a call, a parenthesised expression or query,
// datatable, externaldata, or `*`.
func (p *parser) primary() Expr {
	t := p.tok()
	switch t.kind {
	case tokNumber:
		p.advance()
		return p.numberLiteral(t)
	case tokTimespan:
		p.advance()
		d, err := parseTimespanUnit(t.text)
		if err != nil {
			p.failAt(t.pos, "%v", err)
		}
		return &Literal{Pos: t.pos, Kind: LitTimespan, Type: "timespan", Value: d, Text: t.text}
	case tokString:
		return p.stringLiteral()
	case tokTyped:
		p.advance()
		return p.typedLiteral(t)
	case tokPunct:
		switch t.text {
		case "(":
			p.advance()
			p.enter()
			x := p.pipeExpr()
			p.leave()
			p.expectPunct(")", "to close the parenthesis opened at "+t.pos.String())
			return &Paren{Pos: t.pos, X: x}
		case "[":
			if p.peek(1).kind == tokString && p.peek(2).kind == tokPunct && p.peek(2).text == "]" {
				return p.ident("a name")
			}
		case "*":
			p.advance()
			return &Ident{Pos: t.pos, Name: "*"}
		}
	case tokIdent:
		if strings.HasPrefix(t.value, "!") {
			break
		}
		next := p.peek(1)
		call := next.kind == tokPunct && next.text == "("
		switch t.value {
		case "true", "false", "True", "False", "TRUE", "FALSE":
			// The six spellings Microsoft's lexer reads as bools (grammar/KqlTokens.g4).
			p.advance()
			return &Literal{Pos: t.pos, Kind: LitBool, Type: "bool", Value: strings.EqualFold(t.value, "true"), Text: t.value}
		case "dynamic":
			if call {
				return p.dynamicLiteral()
			}
		case "typeof":
			if call {
				return p.typeOf()
			}
		case "datatable":
			if call {
				return p.datatable()
			}
		case "externaldata":
			if call {
				return p.externalData()
			}
		}
		p.advance()
		id := &Ident{Pos: t.pos, Name: t.value}
		if !call {
			return id
		}
		return p.call(id)
	case tokEOF:
		p.fail("expected an expression, found the end of the query")
	}
	p.fail("expected an expression, found %s", p.describe())
	return nil
}

// call reads the arguments of fn( ... ). int(5), real(null), bool(true) and the like are typed
// literals and come back as a *Literal.
func (p *parser) call(fn *Ident) Expr {
	p.expectPunct("(", "after "+fn.Name)
	c := &Call{Pos: fn.Pos, Fn: fn}
	p.enter()
	for !p.isPunct(")") {
		if len(c.Args) > 0 {
			p.expectPunct(",", "between the arguments of "+fn.Name)
		}
		at := p.tok()
		if at.kind == tokIdent && p.peek(1).kind == tokPunct && p.peek(1).text == "=" {
			p.i += 2
			c.Args = append(c.Args, &NamedArg{Pos: at.pos, Name: &Ident{Pos: at.pos, Name: at.value}, Value: p.expr()})
		} else {
			c.Args = append(c.Args, p.pipeExpr())
		}
		if !p.isPunct(",") {
			break
		}
	}
	p.leave()
	p.expectPunct(")", "to close the arguments of "+fn.Name)
	if lit := p.scalarTypedLiteral(c); lit != nil {
		return lit
	}
	return c
}

// typeOf reads typeof(type) or typeof(Col:type, ...).
func (p *parser) typeOf() Expr {
	t := p.advance()
	if p.peek(1).kind == tokPunct && p.peek(1).text == ":" || p.peek(1).kind == tokPunct && p.peek(1).text == "*" {
		return &TypeOf{Pos: t.pos, Columns: p.schema()}
	}
	p.expectPunct("(", "after typeof")
	ty := p.typeName()
	p.expectPunct(")", "to close typeof")
	return &TypeOf{Pos: t.pos, Type: ty}
}

func (p *parser) datatable() Expr {
	t := p.advance()
	d := &Datatable{Pos: t.pos, Columns: p.schema()}
	p.expectPunct("[", "to open datatable's values")
	for !p.isPunct("]") {
		d.Values = append(d.Values, p.expr())
		if !p.acceptPunct(",") {
			break
		}
	}
	p.expectPunct("]", "to close datatable's values")
	return d
}

func (p *parser) externalData() Expr {
	t := p.advance()
	e := &ExternalData{Pos: t.pos, Columns: p.schema()}
	p.expectPunct("[", "to open externaldata's URLs")
	for !p.isPunct("]") {
		e.URLs = append(e.URLs, p.expr())
		if !p.acceptPunct(",") {
			break
		}
	}
	p.expectPunct("]", "to close externaldata's URLs")
	if p.acceptWord("with") {
		e.With = p.propertyList("externaldata with")
	}
	return e
}
