package kqlparse

// The tabular operators, one type each. Word is the operator as written (lower-cased), so that
// aliases (filter/where, order/sort, limit/take, mvexpand/mv-expand) stay visible.
// https://learn.microsoft.com/kusto/query/tabular-expression-statements

// Where keeps the rows where Predicate is true (also `filter`).
type Where struct {
	Pos
	Word      string
	Params    []*OpParam
	Predicate Expr
}

// Extend adds or replaces columns.
type Extend struct {
	Pos
	Columns []*Assignment
}

// Project keeps, renames and computes columns.
type Project struct {
	Pos
	Columns []*Assignment
}

// ProjectAway removes columns (names may hold * wildcards).
type ProjectAway struct {
	Pos
	Columns []*Ident
}

// ProjectKeep keeps the named columns (wildcards allowed), in table order.
type ProjectKeep struct {
	Pos
	Columns []*Ident
}

// ProjectRename renames columns: each Assignment is New = Old (Value an *Ident).
type ProjectRename struct {
	Pos
	Columns []*Assignment
}

// ProjectReorder moves the named columns first; each key's Expr is an *Ident (a name or a
// wildcard pattern) and its Order "", asc, desc, granny-asc or granny-desc.
type ProjectReorder struct {
	Pos
	Columns []*SortKey
}

// Summarize groups by By and computes Aggregates.
// https://learn.microsoft.com/kusto/query/summarize-operator
type Summarize struct {
	Pos
	Params     []*OpParam
	Aggregates []*Assignment
	By         []*Assignment
}

// Join joins the input with Right on On (each key an *Ident, or `$left.A == $right.B`, or an
// `and` of those).
// https://learn.microsoft.com/kusto/query/join-operator
type Join struct {
	Pos
	Params []*OpParam
	Right  Expr
	On     []Expr
}

// Lookup extends the input with columns of Right (a dimension table) matched on On.
// https://learn.microsoft.com/kusto/query/lookup-operator
type Lookup struct {
	Pos
	Params []*OpParam
	Right  Expr
	On     []Expr
}

// MvExpandColumn is one column of mv-expand/mv-apply: `[Name =] Expr [to typeof(T)]`.
type MvExpandColumn struct {
	Pos
	Column *Assignment
	ToType string
}

// MvExpand expands dynamic arrays or bags into rows (also `mvexpand`).
// https://learn.microsoft.com/kusto/query/mv-expand-operator
type MvExpand struct {
	Pos
	Word      string
	Params    []*OpParam // bagexpansion=..., with_itemindex=...
	Columns   []*MvExpandColumn
	ItemIndex *Ident
	Limit     Expr
}

// MvApply applies Subquery to each row's expanded arrays.
// https://learn.microsoft.com/kusto/query/mv-apply-operator
type MvApply struct {
	Pos
	Params    []*OpParam
	ItemIndex *Ident
	Columns   []*MvExpandColumn
	Limit     Expr
	ID        Expr
	Subquery  []Operator
}

// MakeSeriesAggregate is one aggregate of make-series with its default= value.
type MakeSeriesAggregate struct {
	Pos
	Column  *Assignment
	Default Expr
}

// MakeSeries builds series along On. Either From/To/Step (each optional but Step) or InRange
// (the `in range(start, stop, step)` form, Start/Stop/Step set from it).
// https://learn.microsoft.com/kusto/query/make-series-operator
type MakeSeries struct {
	Pos
	Params     []*OpParam
	Aggregates []*MakeSeriesAggregate
	On         Expr
	From, To   Expr
	Step       Expr
	InRange    bool
	By         []*Assignment
}

// Sort orders rows (also `order`).
type Sort struct {
	Pos
	Word   string
	Params []*OpParam
	By     []*SortKey
}

// Top returns the first Count rows by By.
type Top struct {
	Pos
	Params []*OpParam
	Count  Expr
	By     []*SortKey
}

// Take returns up to Count rows (also `limit`).
type Take struct {
	Pos
	Word   string
	Params []*OpParam
	Count  Expr
}

// Distinct keeps distinct combinations of Columns (an *Ident "*" for distinct *).
type Distinct struct {
	Pos
	Params  []*OpParam
	Columns []Expr
}

// Count returns the number of rows, in a column named Count or As.
type Count struct {
	Pos
	As *Ident
}

// Serialize marks the rows as ordered, optionally adding columns.
type Serialize struct {
	Pos
	Columns []*Assignment
}

// ParsePart is one element of a parse pattern: a string literal, `*`, or a column with an
// optional type.
type ParsePart struct {
	Pos
	Literal *Literal
	Star    bool
	Column  *ColumnDecl
}

// ParseOp is parse and parse-where: it extracts columns from Source by Pattern (parse-where drops rows that do not match).
// https://learn.microsoft.com/kusto/query/parse-operator
type ParseOp struct {
	Pos
	Word    string // parse or parse-where
	Params  []*OpParam
	Source  Expr
	Pattern []*ParsePart
}

// Evaluate runs a plugin: Plugin is its call.
type Evaluate struct {
	Pos
	Params []*OpParam
	Plugin *Call
}

// Invoke calls a tabular function with the input as its first argument.
type Invoke struct {
	Pos
	Call *Call
}

// As names the rows so far.
type As struct {
	Pos
	Params []*OpParam
	Alias  *Ident
}

// Getschema returns the input's schema.
type Getschema struct{ Pos }

// Render is kept from the query but changes no rows.
type Render struct {
	Pos
	Visualization *Ident
	With          []*OpParam
}

// Sample returns Count random rows.
type Sample struct {
	Pos
	Count Expr
}

func (*Where) Name() string          { return "where" }
func (*Extend) Name() string         { return "extend" }
func (*Project) Name() string        { return "project" }
func (*ProjectAway) Name() string    { return "project-away" }
func (*ProjectKeep) Name() string    { return "project-keep" }
func (*ProjectRename) Name() string  { return "project-rename" }
func (*ProjectReorder) Name() string { return "project-reorder" }
func (*Summarize) Name() string      { return "summarize" }
func (*Join) Name() string           { return "join" }
func (*Lookup) Name() string         { return "lookup" }
func (*Union) Name() string          { return "union" }
func (*MvExpand) Name() string       { return "mv-expand" }
func (*MvApply) Name() string        { return "mv-apply" }
func (*MakeSeries) Name() string     { return "make-series" }
func (*Sort) Name() string           { return "sort" }
func (*Top) Name() string            { return "top" }
func (*Take) Name() string           { return "take" }
func (*Distinct) Name() string       { return "distinct" }
func (*Count) Name() string          { return "count" }
func (*Serialize) Name() string      { return "serialize" }
func (p *ParseOp) Name() string      { return p.Word }
func (*Evaluate) Name() string       { return "evaluate" }
func (*Invoke) Name() string         { return "invoke" }
func (*As) Name() string             { return "as" }
func (*Getschema) Name() string      { return "getschema" }
func (*Render) Name() string         { return "render" }
func (*Sample) Name() string         { return "sample" }
