package kqlparse

import (
	"strconv"
	"strings"
	"unicode"
)

// Pos is a place in the query text: Line and Col are 1-based (Col counts characters), Offset is
// the byte offset.
type Pos struct {
	Offset int
	Line   int
	Col    int
}

// Position returns p; every node embeds a Pos, so every node has Position().
func (p Pos) Position() Pos { return p }

func (p Pos) String() string { return strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col) }

// Node is any piece of the syntax tree.
type Node interface{ Position() Pos }

// Expr is a scalar or tabular expression. Tabular and scalar expressions share one interface
// because KQL mixes them freely (materialize(T | ...), x in (T | project c), a let's value); a
// translator tells them apart by type.
type Expr interface {
	Node
	exprNode()
}

// Operator is one tabular operator after a pipe.
type Operator interface {
	Node
	// Name is the operator as written, lower-cased: "where", "filter", "order", "mv-expand"...
	Name() string
}

// Query is a whole query or a function body: its let statements, in order, then the
// expression whose rows (or value) it returns. Result is never nil for a whole query; a function
// body may have lets only (Microsoft's grammar allows it).
type Query struct {
	Pos
	Lets   []*Let
	Result Expr
}

// Let is `let Name = Value;`. Value is any Expr: a scalar, a tabular expression, a call of
// materialize() or toscalar(), or a *FuncDecl. End is just past the value (before the `;`), so
// src[Offset:End.Offset] is the statement as written.
// https://learn.microsoft.com/kusto/query/let-statement
type Let struct {
	Pos
	Name  *Ident
	Value Expr
	End   Pos
}

// FuncDecl is a user function `(a:string, n:int = 5) { body }` (View for `view () {...}`).
type FuncDecl struct {
	Pos
	View   bool
	Params []*Param
	Body   *Query
}

// Param is one parameter of a user function. A tabular parameter has Type "" and Schema set
// (`T:(TimeGenerated:datetime)`; `T:(*)` is Schema = [{Name: "*"}]).
type Param struct {
	Pos
	Name    *Ident
	Type    string
	Tabular bool
	Schema  []*ColumnDecl
	Default Expr
}

// ColumnDecl is `Name:type` in datatable, externaldata, tabular parameters and parse patterns.
type ColumnDecl struct {
	Pos
	Name *Ident
	Type string
}

// ---- Scalar expressions ----

// Ident is a name: a column, a let, a table, `$left`/`$right`, or `*`. Bracketed names
// (['a b']) keep their inner text as Name.
type Ident struct {
	Pos
	Name string
}

// LitKind says what kind of literal a Literal is.
type LitKind int

// Literal kinds: KQL's scalar types.
// https://learn.microsoft.com/kusto/query/scalar-data-types/
const (
	LitNull LitKind = iota // typed null: Type names the type (datetime(null), int(null)...)
	LitBool
	LitInt // long and int literals; Type says which when written as int(5)/long(5)
	LitReal
	LitDecimal
	LitString
	LitDatetime
	LitTimespan
	LitGuid
	LitDynamic
)

// Literal is a constant. Value holds it decoded: int64, float64, bool, string (also the text of a
// decimal or guid), time.Time, time.Duration, or for dynamic: nil, bool, int64, float64, string,
// []any and map[string]any. Text is the literal as written.
type Literal struct {
	Pos
	Kind  LitKind
	Type  string // the KQL type name: long, real, string, datetime, timespan, dynamic...
	Value any
	Text  string
	// Obfuscated is true for h"..." strings.
	Obfuscated bool
	// Placeholder names a Sentinel hunting-query parameter written in place of the value, as in
	// timespan('{{StartTimeISO}}'): the portal substitutes it before running; Value is nil.
	Placeholder string
}

// Binary is X Op Y for arithmetic (+ - * / %), comparison (== != < <= > >= =~ !~), logic (and,
// or) and the string operators (has, !has, contains, startswith_cs, matches regex...). Op is
// lower-cased, "matches regex" with one space.
type Binary struct {
	Pos
	Op   string
	X, Y Expr
}

// Unary is -X or +X. (not() is a function call in KQL.)
type Unary struct {
	Pos
	Op string
	X  Expr
}

// In is X in (list), for in, !in, in~, !in~, has_any, has_all. A list element may be a tabular
// expression (x in (T | project c)) or a let holding a dynamic array.
type In struct {
	Pos
	Op     string
	X      Expr
	Values []Expr
}

// Between is X between (Low .. High) and !between.
type Between struct {
	Pos
	Not       bool
	X         Expr
	Low, High Expr
}

// Call is Fn(Args...). Arguments may be *NamedArg, a *Ident named "*", or tabular expressions.
type Call struct {
	Pos
	Fn   *Ident
	Args []Expr
}

// NamedArg is name = value inside a call's arguments (plugins and a few functions take them).
type NamedArg struct {
	Pos
	Name  *Ident
	Value Expr
}

// Member is X.Name (dynamic property, $left.Col, T.Col).
type Member struct {
	Pos
	X    Expr
	Name *Ident
}

// Index is X[Index]: a["b"], a[0], a[-1].
type Index struct {
	Pos
	X     Expr
	Index Expr
}

// Paren is (X); kept so a translator can print what was written.
type Paren struct {
	Pos
	X Expr
}

// TypeOf is typeof(type) or typeof(Col:type, ...) (tabular schema).
type TypeOf struct {
	Pos
	Type    string
	Columns []*ColumnDecl
}

// ---- Tabular expressions ----

// Pipeline is Source | Ops[0] | Ops[1] ... Pipes[i] is where the `|` before Ops[i] stands
// and End is just past the pipeline's last token: OperatorText uses them to give each
// operator's text, which a translator quotes above the stage it writes.
type Pipeline struct {
	Pos
	Source Expr
	Ops    []Operator
	Pipes  []Pos
	End    Pos
}

// OperatorText returns the text of Ops[i] in src (the text the pipeline was parsed from), from
// its name up to the next `|` or the pipeline's end, without the comments and white space that
// trail it.
func (pl *Pipeline) OperatorText(src string, i int) string {
	end := pl.End.Offset
	if i+1 < len(pl.Pipes) {
		end = pl.Pipes[i+1].Offset
	}
	text := src[pl.Ops[i].Position().Offset:end]
	for {
		text = strings.TrimRightFunc(text, unicode.IsSpace)
		last := text[strings.LastIndexByte(text, '\n')+1:]
		// A trailing line that is only a comment belongs to no operator.
		if !strings.HasPrefix(strings.TrimSpace(last), "//") || !strings.Contains(text, "\n") {
			return text
		}
		text = text[:len(text)-len(last)]
	}
}

// OpParam is a name=value option of an operator: kind=inner, hint.strategy=shuffle,
// withsource=T, isfuzzy=true, with_itemindex=i, bagexpansion=array, flags=i.
type OpParam struct {
	Pos
	Name  string
	Value Expr
}

// Union merges tables. As a source: `union T1, T2`; as an operator: `T | union T2`.
// https://learn.microsoft.com/kusto/query/union-operator
type Union struct {
	Pos
	Params []*OpParam
	Tables []Expr
}

// Datatable is datatable(cols)[values]: Values in row-major order.
type Datatable struct {
	Pos
	Columns []*ColumnDecl
	Values  []Expr
}

// ExternalData is externaldata(cols)[urls] with (props).
// https://learn.microsoft.com/kusto/query/externaldata-operator
type ExternalData struct {
	Pos
	Columns []*ColumnDecl
	URLs    []Expr
	With    []*OpParam
}

// Range is `range Column from Start to Stop step Step`.
type Range struct {
	Pos
	Column            *Ident
	Start, Stop, Step Expr
}

// Print is `print a = 1, b`.
type Print struct {
	Pos
	Columns []*Assignment
}

// EvaluateSource is `evaluate plugin(...)` at the start of a query.
type EvaluateSource struct {
	Pos
	Evaluate *Evaluate
}

// Assignment is one column of extend/project/summarize...: `Name = Value`, `(A, B) = Value`
// (Names has several), or a bare Value (Names empty: KQL names it).
type Assignment struct {
	Pos
	Names []*Ident
	Value Expr
}

// SortKey is one key of sort/order by and top: Expr [asc|desc] [nulls first|last]. Order and
// Nulls are "" when not written (KQL's defaults: desc, and nulls last for desc, first for asc).
type SortKey struct {
	Pos
	Expr  Expr
	Order string
	Nulls string
}

func (*Ident) exprNode()          {}
func (*Literal) exprNode()        {}
func (*Binary) exprNode()         {}
func (*Unary) exprNode()          {}
func (*In) exprNode()             {}
func (*Between) exprNode()        {}
func (*Call) exprNode()           {}
func (*NamedArg) exprNode()       {}
func (*Member) exprNode()         {}
func (*Index) exprNode()          {}
func (*Paren) exprNode()          {}
func (*TypeOf) exprNode()         {}
func (*Pipeline) exprNode()       {}
func (*Union) exprNode()          {}
func (*Datatable) exprNode()      {}
func (*ExternalData) exprNode()   {}
func (*Range) exprNode()          {}
func (*Print) exprNode()          {}
func (*EvaluateSource) exprNode() {}
func (*FuncDecl) exprNode()       {}
