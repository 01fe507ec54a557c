// Package kqlparse parses Kusto Query Language text into a syntax tree: let statements, tabular
// pipelines with their operators, and scalar expressions, every node with its line and column.
// It is a hand-written recursive-descent parser (precedence climbing for expressions), following
// the syntax Microsoft Learn documents at https://learn.microsoft.com/kusto/query/. It parses;
// it does not check names or types.
package kqlparse

import (
	"fmt"
	"strings"
)

// Error is a syntax error at a place in the query text.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Parse parses a whole query: `let` statements separated by `;`, then one tabular expression.
func Parse(src string) (q *Query, err error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok {
				panic(r)
			}
			q, err = nil, e
		}
	}()
	q = p.query(true)
	if p.tok().kind != tokEOF {
		p.fail("expected ; or the end of the query, found %s", p.describe())
	}
	return q, nil
}

// ParseExpr parses one scalar or tabular expression (no let statements).
func ParseExpr(src string) (x Expr, err error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok {
				panic(r)
			}
			x, err = nil, e
		}
	}()
	x = p.pipeExpr()
	if p.tok().kind != tokEOF {
		p.fail("expected the end of the expression, found %s", p.describe())
	}
	return x, nil
}

// parser walks the token slice; errors unwind by panic(*Error) and Parse recovers them, which
// keeps every production free of error plumbing. maxDepth bounds nesting so that hostile input
// cannot exhaust the stack.
type parser struct {
	toks  []token
	i     int
	depth int
}

const maxDepth = 500

func (p *parser) tok() token { return p.toks[p.i] }

func (p *parser) peek(k int) token {
	if p.i+k < 0 {
		return p.toks[0]
	}
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) advance() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) fail(format string, args ...any) {
	panic(&Error{Pos: p.tok().pos, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) failAt(pos Pos, format string, args ...any) {
	panic(&Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) describe() string {
	t := p.tok()
	switch t.kind {
	case tokEOF:
		return "the end of the query"
	case tokString:
		return "string " + t.text
	}
	return fmt.Sprintf("%q", t.text)
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.fail("the query nests deeper than %d levels", maxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

// isPunct reports whether the current token is the punctuation s.
func (p *parser) isPunct(s string) bool {
	t := p.tok()
	return t.kind == tokPunct && t.text == s
}

// isWord reports whether the current token is the identifier w (keywords are case-sensitive in
// KQL: `where`, not `Where`).
func (p *parser) isWord(w string) bool {
	t := p.tok()
	return t.kind == tokIdent && t.value == w
}

func (p *parser) acceptPunct(s string) bool {
	if p.isPunct(s) {
		p.advance()
		return true
	}
	return false
}

func (p *parser) acceptWord(w string) bool {
	if p.isWord(w) {
		p.advance()
		return true
	}
	return false
}

func (p *parser) expectPunct(s string, context string) token {
	if !p.isPunct(s) {
		p.fail("expected %q %s, found %s", s, context, p.describe())
	}
	return p.advance()
}

func (p *parser) expectWord(w string, context string) token {
	if !p.isWord(w) {
		p.fail("expected %q %s, found %s", w, context, p.describe())
	}
	return p.advance()
}

// ident reads a name: a plain identifier or a bracketed ['name'] / ["name"].
func (p *parser) ident(what string) *Ident {
	t := p.tok()
	if t.kind == tokIdent && !strings.HasPrefix(t.value, "!") {
		p.advance()
		return &Ident{Pos: t.pos, Name: t.value}
	}
	if t.kind == tokPunct && t.text == "[" && p.peek(1).kind == tokString && p.peek(2).kind == tokPunct && p.peek(2).text == "]" {
		p.i += 3
		return &Ident{Pos: t.pos, Name: p.peek(-2).value}
	}
	p.fail("expected %s, found %s", what, p.describe())
	return nil
}

// adjacent reports whether token k ends exactly where token k+1 starts (no space between), which
// tells `project-away` from `project - away`.
func (p *parser) adjacent(k int) bool { return p.peek(k).end == p.peek(k+1).pos.Offset }

// operatorWord reads an operator name after a pipe, joining hyphenated words (mv-expand,
// project-away, parse-where, make-series).
func (p *parser) operatorWord() (string, Pos) {
	t := p.tok()
	if t.kind != tokIdent {
		p.fail("expected a tabular operator after |, found %s", p.describe())
	}
	p.advance()
	word := t.value
	for p.isPunct("-") && p.adjacent(-1) && p.peek(1).kind == tokIdent && p.adjacent(0) {
		p.advance()
		word += "-" + p.advance().value
	}
	return word, t.pos
}

// ---- Statements ----

// query reads `let ...;`* then the result expression. top says whether this is the whole text
// (a function body ends at `}` instead).
func (p *parser) query(top bool) *Query {
	q := &Query{Pos: p.tok().pos}
	for {
		for p.acceptPunct(";") {
		}
		if p.isWord("let") {
			q.Lets = append(q.Lets, p.let())
			if !p.acceptPunct(";") && !(p.tok().kind == tokEOF || p.isPunct("}")) {
				p.fail("expected ; after the let statement, found %s", p.describe())
			}
			continue
		}
		if p.isWord("set") && p.peek(1).kind == tokIdent {
			p.fail("set statements are not supported")
		}
		break
	}
	if p.tok().kind == tokEOF || !top && p.isPunct("}") {
		if len(q.Lets) == 0 || top {
			p.fail("expected a query expression, found %s", p.describe())
		}
		return q
	}
	q.Result = p.pipeExpr()
	for p.acceptPunct(";") {
	}
	return q
}

func (p *parser) let() *Let {
	start := p.advance().pos
	name := p.ident("a name after let")
	p.expectPunct("=", "after let "+name.Name)
	l := &Let{Pos: start, Name: name}
	if p.isFuncDecl() {
		l.Value = p.funcDecl()
	} else {
		l.Value = p.pipeExpr()
	}
	l.End = p.peek(-1).endPos
	return l
}

// isFuncDecl looks ahead for `(` `)` `{`, `(` name `:`, or `view (`: a function, not a
// parenthesised expression.
func (p *parser) isFuncDecl() bool {
	if p.isWord("view") && p.peek(1).kind == tokPunct && p.peek(1).text == "(" {
		return true
	}
	if !p.isPunct("(") {
		return false
	}
	n1, n2 := p.peek(1), p.peek(2)
	if n1.kind == tokPunct && n1.text == ")" {
		return p.peek(2).kind == tokPunct && p.peek(2).text == "{"
	}
	return n1.kind == tokIdent && n2.kind == tokPunct && n2.text == ":"
}

func (p *parser) funcDecl() *FuncDecl {
	f := &FuncDecl{Pos: p.tok().pos}
	if p.acceptWord("view") {
		f.View = true
	}
	p.expectPunct("(", "to open the parameters")
	for !p.isPunct(")") {
		prm := &Param{Pos: p.tok().pos, Name: p.ident("a parameter name")}
		p.expectPunct(":", "and a type after parameter "+prm.Name.Name)
		if p.isPunct("(") {
			prm.Tabular = true
			prm.Schema = p.schema()
		} else {
			prm.Type = p.typeName()
		}
		if p.acceptPunct("=") {
			prm.Default = p.expr()
		}
		f.Params = append(f.Params, prm)
		if !p.acceptPunct(",") {
			break
		}
	}
	p.expectPunct(")", "to close the parameters")
	p.expectPunct("{", "to open the function body")
	p.enter()
	f.Body = p.query(false)
	p.leave()
	p.expectPunct("}", "to close the function body")
	return f
}

// typeName reads a scalar type name: string, int, long, real, double, bool, boolean, datetime,
// date, timespan, time, dynamic, guid, uniqueid, decimal.
// https://learn.microsoft.com/kusto/query/scalar-data-types/
func (p *parser) typeName() string {
	t := p.tok()
	if t.kind != tokIdent || !scalarTypes[t.value] {
		p.fail("expected a type (string, long, int, real, bool, datetime, timespan, dynamic, guid, decimal), found %s", p.describe())
	}
	p.advance()
	return t.value
}

var scalarTypes = map[string]bool{
	"string": true, "int": true, "long": true, "real": true, "double": true, "bool": true,
	"boolean": true, "datetime": true, "date": true, "timespan": true, "time": true,
	"dynamic": true, "guid": true, "uniqueid": true, "decimal": true,
}

// schema reads `(Name:type, ...)` or `(*)`.
func (p *parser) schema() []*ColumnDecl {
	p.expectPunct("(", "to open the columns")
	var cols []*ColumnDecl
	for !p.isPunct(")") {
		if p.isPunct("*") {
			t := p.advance()
			cols = append(cols, &ColumnDecl{Pos: t.pos, Name: &Ident{Pos: t.pos, Name: "*"}})
		} else {
			c := &ColumnDecl{Pos: p.tok().pos, Name: p.ident("a column name")}
			p.expectPunct(":", "and a type after column "+c.Name.Name)
			c.Type = p.typeName()
			cols = append(cols, c)
		}
		if !p.acceptPunct(",") {
			break
		}
	}
	p.expectPunct(")", "to close the columns")
	return cols
}

// ---- Tabular expressions ----

// pipeExpr reads an expression followed by any number of `| operator`.
func (p *parser) pipeExpr() Expr {
	p.enter()
	defer p.leave()
	start := p.tok().pos
	src := p.source()
	if !p.isPunct("|") {
		return src
	}
	pl := &Pipeline{Pos: start, Source: src}
	for p.isPunct("|") {
		pl.Pipes = append(pl.Pipes, p.advance().pos)
		pl.Ops = append(pl.Ops, p.operator())
	}
	pl.End = p.peek(-1).endPos
	return pl
}

// source reads what a pipeline starts with: union, datatable, externaldata, range, print,
// evaluate, or any expression (a table, a let, table("T"), a call, a parenthesised query).
func (p *parser) source() Expr {
	t := p.tok()
	if t.kind == tokIdent {
		next := p.peek(1)
		switch t.value {
		case "union":
			if !(next.kind == tokPunct && (next.text == "|" || next.text == ";" || next.text == ".")) {
				p.advance()
				return p.union(t.pos)
			}
		case "range":
			if next.kind == tokIdent {
				return p.rangeSource()
			}
		case "print":
			if !(next.kind == tokPunct && (next.text == "|" || next.text == ";")) && next.kind != tokEOF {
				p.advance()
				return &Print{Pos: t.pos, Columns: p.assignments("print")}
			}
		case "evaluate":
			if next.kind == tokIdent {
				p.advance()
				return &EvaluateSource{Pos: t.pos, Evaluate: p.evaluate(t.pos)}
			}
		}
	}
	return p.expr()
}

func (p *parser) rangeSource() Expr {
	r := &Range{Pos: p.advance().pos}
	r.Column = p.ident("the column name of range")
	p.expectWord("from", "in range")
	r.Start = p.expr()
	p.expectWord("to", "in range")
	r.Stop = p.expr()
	p.expectWord("step", "in range")
	r.Step = p.expr()
	return r
}

// params reads operator options name=value while the current token is one of the names (or a
// hint.* name).
func (p *parser) params(names ...string) []*OpParam {
	var out []*OpParam
	for {
		t := p.tok()
		if t.kind != tokIdent {
			return out
		}
		name := t.value
		k := 1
		for p.peek(k).kind == tokPunct && p.peek(k).text == "." && p.peek(k+1).kind == tokIdent {
			name += "." + p.peek(k+1).value
			k += 2
		}
		known := strings.HasPrefix(name, "hint.")
		for _, n := range names {
			known = known || n == name
		}
		if !known || !(p.peek(k).kind == tokPunct && p.peek(k).text == "=") {
			return out
		}
		p.i += k + 1
		out = append(out, &OpParam{Pos: t.pos, Name: name, Value: p.paramValue(name)})
	}
}

// paramValue reads an option's value: a word (inner, shuffle, array), a literal, or a name.
func (p *parser) paramValue(name string) Expr {
	t := p.tok()
	switch t.kind {
	case tokIdent:
		if strings.EqualFold(t.value, "true") || strings.EqualFold(t.value, "false") {
			return p.primary()
		}
		p.advance()
		return &Ident{Pos: t.pos, Name: t.value}
	case tokString, tokNumber, tokTimespan:
		return p.primary()
	}
	p.fail("expected a value for %s=, found %s", name, p.describe())
	return nil
}

func (p *parser) union(start Pos) *Union {
	u := &Union{Pos: start, Params: p.params("kind", "withsource", "isfuzzy")}
	for {
		u.Tables = append(u.Tables, p.unionOperand())
		if !p.acceptPunct(",") {
			break
		}
	}
	return u
}

// unionOperand reads a table, a let name, a call (table("T"), f("x")), a wildcard name
// (SigninLogs*), or a parenthesised query.
func (p *parser) unionOperand() Expr {
	if p.isPunct("(") {
		return p.postfix(p.primary())
	}
	x := p.postfix(p.primary())
	// Wildcard table names: Signin* (the * joins the name it touches).
	if id, ok := x.(*Ident); ok && p.isPunct("*") && p.adjacent(-1) {
		p.advance()
		id.Name += "*"
	}
	return x
}

// operator reads one tabular operator after `|`.
func (p *parser) operator() Operator {
	word, start := p.operatorWord()
	switch word {
	case "where", "filter":
		op := &Where{Pos: start, Word: word, Params: p.params()}
		op.Predicate = p.expr()
		return op
	case "extend":
		return &Extend{Pos: start, Columns: p.assignments(word)}
	case "project":
		return &Project{Pos: start, Columns: p.assignments(word)}
	case "project-away":
		return &ProjectAway{Pos: start, Columns: p.columnPatterns(word)}
	case "project-keep":
		return &ProjectKeep{Pos: start, Columns: p.columnPatterns(word)}
	case "project-rename":
		op := &ProjectRename{Pos: start}
		for {
			a := &Assignment{Pos: p.tok().pos, Names: []*Ident{p.ident("a new column name")}}
			p.expectPunct("=", "in project-rename (New = Old)")
			a.Value = p.ident("the column to rename")
			op.Columns = append(op.Columns, a)
			if !p.acceptPunct(",") {
				return op
			}
		}
	case "project-reorder":
		op := &ProjectReorder{Pos: start}
		for {
			col := p.columnPattern(word)
			k := &SortKey{Pos: col.Pos, Expr: col}
			if p.isWord("asc") || p.isWord("desc") {
				k.Order = p.advance().value
			} else if p.isWord("granny") && p.peek(1).text == "-" && p.adjacent(0) && p.adjacent(1) &&
				(p.peek(2).value == "asc" || p.peek(2).value == "desc") {
				p.i += 3
				k.Order = "granny-" + p.peek(-1).value
			}
			op.Columns = append(op.Columns, k)
			if !p.acceptPunct(",") {
				return op
			}
		}
	case "summarize":
		return p.summarize(start)
	case "join":
		op := &Join{Pos: start, Params: p.params("kind")}
		op.Right = p.rightSide("join")
		op.On = p.onClause("join")
		return op
	case "lookup":
		op := &Lookup{Pos: start, Params: p.params("kind")}
		op.Right = p.rightSide("lookup")
		op.On = p.onClause("lookup")
		return op
	case "union":
		return p.union(start)
	case "mv-expand", "mvexpand":
		op := &MvExpand{Pos: start, Word: word, Params: p.params("bagexpansion", "with_itemindex", "kind")}
		for _, prm := range op.Params {
			if prm.Name == "with_itemindex" {
				op.ItemIndex = identOf(prm.Value)
			}
		}
		op.Columns = p.mvColumns(word)
		if p.acceptWord("limit") {
			op.Limit = p.expr()
		}
		return op
	case "mv-apply":
		return p.mvApply(start)
	case "make-series":
		return p.makeSeries(start)
	case "sort", "order":
		op := &Sort{Pos: start, Word: word, Params: p.params()}
		p.expectWord("by", "after "+word)
		op.By = p.sortKeys()
		return op
	case "top":
		op := &Top{Pos: start, Params: p.params()}
		op.Count = p.expr()
		p.expectWord("by", "after top's count")
		op.By = p.sortKeys()
		return op
	case "take", "limit":
		op := &Take{Pos: start, Word: word, Params: p.params()}
		op.Count = p.expr()
		return op
	case "sample":
		return &Sample{Pos: start, Count: p.expr()}
	case "distinct":
		op := &Distinct{Pos: start, Params: p.params()}
		for {
			if p.isPunct("*") {
				t := p.advance()
				op.Columns = append(op.Columns, &Ident{Pos: t.pos, Name: "*"})
			} else {
				op.Columns = append(op.Columns, p.expr())
			}
			if !p.acceptPunct(",") {
				return op
			}
		}
	case "count":
		op := &Count{Pos: start}
		if p.acceptWord("as") {
			op.As = p.ident("a column name after count as")
		}
		return op
	case "serialize":
		op := &Serialize{Pos: start}
		if len(p.params()) > 0 {
			p.failAt(start, "serialize takes no hints")
		}
		if !p.atOperatorEnd() {
			op.Columns = p.assignments(word)
		}
		return op
	case "parse", "parse-where":
		return p.parseOp(start, word)
	case "evaluate":
		return p.evaluate(start)
	case "invoke":
		x := p.postfix(p.primary())
		c, ok := x.(*Call)
		if !ok {
			p.failAt(x.Position(), "expected a function call after invoke")
		}
		return &Invoke{Pos: start, Call: c}
	case "as":
		op := &As{Pos: start, Params: p.params("hint.materialized")}
		op.Alias = p.ident("a name after as")
		return op
	case "getschema":
		return &Getschema{Pos: start}
	case "render":
		op := &Render{Pos: start, Visualization: p.ident("a visualization after render")}
		if p.acceptWord("with") {
			op.With = p.propertyList("render with")
		}
		return op
	}
	p.failAt(start, "unknown or unsupported tabular operator %q", word)
	return nil
}

// atOperatorEnd reports whether the operator's text ends here.
func (p *parser) atOperatorEnd() bool {
	return p.tok().kind == tokEOF || p.isPunct("|") || p.isPunct(")") || p.isPunct(";") || p.isPunct("}")
}

func identOf(x Expr) *Ident {
	id, _ := x.(*Ident)
	return id
}

// propertyList reads `(name=value, ...)`.
func (p *parser) propertyList(what string) []*OpParam {
	p.expectPunct("(", "after "+what)
	var out []*OpParam
	for !p.isPunct(")") {
		t := p.tok()
		name := p.ident("a property name").Name
		p.expectPunct("=", "after property "+name)
		out = append(out, &OpParam{Pos: t.pos, Name: name, Value: p.expr()})
		if !p.acceptPunct(",") {
			break
		}
	}
	p.expectPunct(")", "to close "+what)
	return out
}

// columnPatterns reads a list of column names, each possibly with * wildcards (Col*, *Id).
func (p *parser) columnPatterns(op string) []*Ident {
	var out []*Ident
	for {
		out = append(out, p.columnPattern(op))
		if !p.acceptPunct(",") {
			return out
		}
	}
}

func (p *parser) columnPattern(op string) *Ident {
	start := p.tok().pos
	name := ""
	for {
		switch {
		case p.isPunct("*"):
			name += "*"
			p.advance()
		case p.tok().kind == tokIdent && !strings.HasPrefix(p.tok().value, "!"):
			name += p.advance().value
		case p.isPunct("[") && name == "":
			name = p.ident("a column name").Name
			return &Ident{Pos: start, Name: name}
		default:
			p.fail("expected a column name in %s, found %s", op, p.describe())
		}
		// A pattern continues only while its pieces touch (Col*, *Id*, A*B).
		if !p.adjacent(-1) || !(p.isPunct("*") || p.tok().kind == tokIdent && strings.HasSuffix(name, "*")) {
			return &Ident{Pos: start, Name: name}
		}
	}
}

// assignments reads `[Name =] expr, ...` and `(A, B) = expr` for extend, project, print...
func (p *parser) assignments(op string) []*Assignment {
	var out []*Assignment
	for {
		out = append(out, p.assignment())
		if !p.acceptPunct(",") {
			return out
		}
		// A trailing comma before `by` is accepted in summarize's aggregate list.
		if op == "summarize" && p.isWord("by") {
			return out
		}
	}
}

func (p *parser) assignment() *Assignment {
	start := p.tok().pos
	// (A, B, C) = f(...)
	if p.isPunct("(") {
		save := p.i
		p.advance()
		var names []*Ident
		for p.tok().kind == tokIdent || p.isPunct("[") {
			if p.isPunct("[") && !(p.peek(1).kind == tokString) {
				break
			}
			names = append(names, p.ident("a column name"))
			if !p.acceptPunct(",") {
				break
			}
		}
		if len(names) > 0 && p.acceptPunct(")") && p.isPunct("=") {
			p.advance()
			return &Assignment{Pos: start, Names: names, Value: p.expr()}
		}
		p.i = save
	}
	if (p.tok().kind == tokIdent || p.isPunct("[")) && !strings.HasPrefix(p.tok().value, "!") {
		save := p.i
		if p.tok().kind == tokIdent || p.peek(1).kind == tokString && p.peek(2).kind == tokPunct && p.peek(2).text == "]" {
			name := p.ident("a column name")
			if p.acceptPunct("=") {
				return &Assignment{Pos: start, Names: []*Ident{name}, Value: p.expr()}
			}
		}
		p.i = save
	}
	return &Assignment{Pos: start, Value: p.expr()}
}

func (p *parser) summarize(start Pos) *Summarize {
	op := &Summarize{Pos: start, Params: p.params()}
	if !p.isWord("by") && !p.atOperatorEnd() {
		op.Aggregates = p.assignments("summarize")
	}
	if p.acceptWord("by") {
		op.By = p.assignments("summarize by")
	}
	if op.Aggregates == nil && op.By == nil {
		p.fail("expected aggregates or by after summarize, found %s", p.describe())
	}
	return op
}

// rightSide reads a join's or lookup's right side: (query) or a table/let name.
func (p *parser) rightSide(op string) Expr {
	if p.isPunct("(") {
		return p.primary()
	}
	if p.tok().kind == tokIdent {
		return p.postfix(p.primary())
	}
	p.fail("expected the right side of %s: (query) or a table, found %s", op, p.describe())
	return nil
}

func (p *parser) onClause(op string) []Expr {
	p.expectWord("on", "after the right side of "+op)
	var keys []Expr
	for {
		keys = append(keys, p.expr())
		if !p.acceptPunct(",") {
			return keys
		}
	}
}

// mvColumns reads mv-expand's and mv-apply's columns: [Name =] expr [to typeof(type)].
func (p *parser) mvColumns(op string) []*MvExpandColumn {
	var out []*MvExpandColumn
	for {
		c := &MvExpandColumn{Pos: p.tok().pos, Column: p.assignment()}
		if p.acceptWord("to") {
			p.expectWord("typeof", "after to in "+op)
			p.expectPunct("(", "after typeof")
			c.ToType = p.typeName()
			p.expectPunct(")", "to close typeof")
		}
		out = append(out, c)
		if !p.acceptPunct(",") {
			return out
		}
	}
}

func (p *parser) mvApply(start Pos) *MvApply {
	op := &MvApply{Pos: start, Params: p.params("with_itemindex")}
	for _, prm := range op.Params {
		if prm.Name == "with_itemindex" {
			op.ItemIndex = identOf(prm.Value)
		}
	}
	op.Columns = p.mvColumns("mv-apply")
	if p.acceptWord("limit") {
		op.Limit = p.expr()
	}
	if p.isWord("id") && p.peek(1).kind == tokPunct && p.peek(1).text == "=" {
		p.i += 2
		op.ID = p.expr()
	}
	p.expectWord("on", "before mv-apply's subquery")
	p.expectPunct("(", "to open mv-apply's subquery")
	p.enter()
	for {
		op.Subquery = append(op.Subquery, p.operator())
		if !p.acceptPunct("|") {
			break
		}
	}
	p.leave()
	p.expectPunct(")", "to close mv-apply's subquery")
	return op
}

func (p *parser) makeSeries(start Pos) *MakeSeries {
	op := &MakeSeries{Pos: start, Params: p.params("kind")}
	for {
		a := &MakeSeriesAggregate{Pos: p.tok().pos, Column: p.assignment()}
		if p.isWord("default") && p.peek(1).kind == tokPunct && p.peek(1).text == "=" {
			p.i += 2
			a.Default = p.expr()
		}
		op.Aggregates = append(op.Aggregates, a)
		if !p.acceptPunct(",") {
			break
		}
	}
	p.expectWord("on", "after make-series' aggregates")
	// The axis stops before `in range(...)`, which would otherwise read as the in operator.
	op.On = p.relational()
	if p.acceptWord("in") {
		op.InRange = true
		rt := p.tok()
		c, ok := p.postfix(p.primary()).(*Call)
		if !ok || c.Fn.Name != "range" || len(c.Args) != 3 {
			p.failAt(rt.pos, "expected range(start, stop, step) after make-series ... in")
		}
		op.From, op.To, op.Step = c.Args[0], c.Args[1], c.Args[2]
	} else {
		if p.acceptWord("from") {
			op.From = p.expr()
		}
		if p.acceptWord("to") {
			op.To = p.expr()
		}
		p.expectWord("step", "in make-series (on Axis [from start] [to end] step s)")
		op.Step = p.expr()
	}
	if p.acceptWord("by") {
		op.By = p.assignments("make-series by")
	}
	return op
}

func (p *parser) sortKeys() []*SortKey {
	var out []*SortKey
	for {
		k := &SortKey{Pos: p.tok().pos, Expr: p.expr()}
		if p.isWord("asc") || p.isWord("desc") {
			k.Order = p.advance().value
		}
		if p.acceptWord("nulls") {
			if !p.isWord("first") && !p.isWord("last") {
				p.fail("expected first or last after nulls, found %s", p.describe())
			}
			k.Nulls = p.advance().value
		}
		out = append(out, k)
		if !p.acceptPunct(",") {
			return out
		}
	}
}

// parseOp reads parse and parse-where: [kind=regex|simple|relaxed [flags=...]] Expr with Pattern.
func (p *parser) parseOp(start Pos, word string) *ParseOp {
	op := &ParseOp{Pos: start, Word: word, Params: p.params("kind", "flags")}
	op.Source = p.expr()
	p.expectWord("with", "after "+word+"'s source")
	for !p.atOperatorEnd() {
		t := p.tok()
		switch {
		case t.kind == tokString:
			lit := p.primary().(*Literal)
			op.Pattern = append(op.Pattern, &ParsePart{Pos: t.pos, Literal: lit})
		case p.isPunct("*"):
			p.advance()
			op.Pattern = append(op.Pattern, &ParsePart{Pos: t.pos, Star: true})
		case t.kind == tokIdent || p.isPunct("["):
			c := &ColumnDecl{Pos: t.pos, Name: p.ident("a column name")}
			if p.acceptPunct(":") {
				c.Type = p.typeName()
			}
			op.Pattern = append(op.Pattern, &ParsePart{Pos: t.pos, Column: c})
		default:
			p.fail("expected a string, * or a column in %s's pattern, found %s", word, p.describe())
		}
	}
	if len(op.Pattern) == 0 {
		p.fail("expected a pattern after with")
	}
	return op
}

func (p *parser) evaluate(start Pos) *Evaluate {
	op := &Evaluate{Pos: start, Params: p.params()}
	t := p.tok()
	c, ok := p.postfix(p.primary()).(*Call)
	if !ok {
		p.failAt(t.pos, "expected a plugin call after evaluate")
	}
	op.Plugin = c
	return op
}
