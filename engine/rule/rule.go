// Package rule reads detection rule files: YAML documents with Sentinel-style metadata, params,
// lookups and an ordered list of stages whose predicates and values are expressions. It keeps the
// place of everything it reads, reports every problem in a file at once with its file:line:col,
// and resolves variants (a rule that names a base and states only what differs).
//
// The rule language is documented in the README; what the stages do is package pipeline's job.
package rule

import (
	"time"

	"github.com/signin-detect/detect/engine/kql"
)

// Rule is a loaded rule with its variant chain resolved.
type Rule struct {
	File string
	Meta Metadata
	// Base is the file of the rule this one extends, "" for a rule that stands alone.
	Base    string
	Params  []*Param
	Lookups []*Lookup
	// Lets are named results (KQL's let ... = materialize(...) and toscalar()), in the order
	// written: each may start from the ones before it.
	Lets   []*Let
	Stages []*Stage
}

// Metadata follows the conventions of Microsoft Sentinel analytics rules.
type Metadata struct {
	ID                 string
	Name               string
	Description        string
	Severity           string
	Tactics            []string
	RelevantTechniques []string
	QueryPeriod        time.Duration
	// Table is the table the rule reads; when it reads the union of several, Tables lists them all
	// and Table is the first.
	Table  string
	Tables []string
	// From names where the rule's rows start when they are not a table's: a let, or a call of a
	// function let (aadFunc("SigninLogs")). Union starts them from a union instead.
	From       string
	FromPos    Position
	Union      *UnionSpec
	References []string
	Author     string
	Version    string
	// QueryFrequency is how often Sentinel runs the rule (0 when not set): kept for hunting over
	// whole exports.
	QueryFrequency time.Duration
	// TriggerOperator (gt, lt, eq, ne) and TriggerThreshold: Sentinel makes alerts only when the
	// number of result rows passes the threshold ("" when not set: every result row alerts).
	TriggerOperator  string
	TriggerThreshold int64
	// EntityMappings say which result columns identify which entities (account, IP, host...).
	EntityMappings []EntityMapping
	// CustomDetails map an alert detail's name to the result column that fills it, in order.
	CustomDetails []CustomDetail
}

// EntityMapping is one entity of an alert: its type and the columns that hold its identifiers.
// https://learn.microsoft.com/azure/sentinel/map-data-fields-to-entities
type EntityMapping struct {
	EntityType    string
	FieldMappings []FieldMapping
	Pos           Position
}

// FieldMapping names the column that holds one identifier of an entity.
type FieldMapping struct {
	Identifier string
	ColumnName string
	Pos        Position
}

// CustomDetail is one customDetails entry: an alert detail and its column.
type CustomDetail struct {
	Name, Column string
}

// Passes tells whether a result of n rows passes the rule's trigger: Sentinel makes alerts only
// then (https://learn.microsoft.com/azure/sentinel/detect-threats-custom, "Alert threshold").
func (m Metadata) Passes(n int64) bool {
	switch m.TriggerOperator {
	case "gt":
		return n > m.TriggerThreshold
	case "lt":
		return n < m.TriggerThreshold
	case "eq":
		return n == m.TriggerThreshold
	case "ne":
		return n != m.TriggerThreshold
	}
	return true
}

// Param is a named tunable: its value is a constant in every expression of the rule. Its type is
// that of its default (a whole number, a real, a string, a bool, or a list of strings) and every
// override must keep it.
type Param struct {
	Name  string
	Value any
	Pos   Position
}

// Lookup is the rule's externaldata(): a named list loaded from one Column of a CSV file (the
// header row names the columns and is not part of the list), or, with Columns, a table of typed
// columns read from a CSV, TSV or JSON file (see ReadTable), which stages read as rows by name as
// they read a let.
type Lookup struct {
	Name   string
	File   string // resolved against the rule file that declared it
	Column string
	// URL is where the list or table is published (an imported externaldata()): detect import
	// --fetch downloads it into File; a run never reads it.
	URL string
	Pos Position
	// Table is set for a table of several typed columns.
	Table *ExternalTable
}

// ExternalTable is how a table lookup's file is read: KQL's externaldata(Columns) [URL]
// with (format=Format, ignoreFirstRecord=IgnoreFirstRecord).
// https://learn.microsoft.com/kusto/query/externaldata-operator
type ExternalTable struct {
	Columns []TableColumn
	// Format is csv, tsv, json or multijson.
	Format            string
	IgnoreFirstRecord bool
}

// TableColumn is a column of an external table: its name and KQL type.
type TableColumn struct {
	Name string
	Type kql.Type
}

// Stage kinds.
const (
	Where          = "where"
	Extend         = "extend"
	Project        = "project"
	ProjectRename  = "project-rename"
	Join           = "join"
	Summarize      = "summarize"
	MvExpand       = "mv-expand"
	Distinct       = "distinct"
	UnionStage     = "union"
	ProjectAway    = "project-away"
	ProjectKeep    = "project-keep"
	ProjectReorder = "project-reorder"
	Parse          = "parse"
	ParseWhere     = "parse-where"
	Sort           = "sort"
	Top            = "top"
	Take           = "take"
	MakeSeries     = "make-series"
	Serialize      = "serialize"
	MvApply        = "mv-apply"
	LookupStage    = "lookup"
	IPv4Lookup     = "ipv4-lookup"
)

// StageKinds lists the stage kinds, in the order messages list them; stageDecoders reads each.
var StageKinds = []string{Where, Extend, Join, Project, ProjectRename, Summarize, MvExpand, Distinct,
	UnionStage, ProjectAway, ProjectKeep, ProjectReorder, Parse, ParseWhere,
	Sort, Top, Take, MakeSeries, Serialize, MvApply, LookupStage, IPv4Lookup}

// Stage is one step of a rule's pipeline. Exactly one of its kind's fields is set.
type Stage struct {
	Name string // optional; variants and explain refer to stages by it
	Kind string
	Pos  Position

	Where *Expr // where: the rows for which it is true pass
	// Columns are an extend's or project's columns, an mv-expand's arrays (Name: expression, or a
	// bare column), or a distinct's columns (a single "*" for all), in order.
	Columns   []*Assignment
	Renames   []*Rename // project-rename
	Join      *JoinSpec // join, lookup
	Summarize *SummarizeSpec
	Union     *UnionSpec // union: the rows so far, then each operand's
	// Patterns are a project-away's, project-keep's or project-reorder's columns: names, or
	// wildcards such as lu_* (a project-reorder's may end in asc, desc, granny-asc or granny-desc).
	Patterns []*ColumnPattern
	Parse    *ParseSpec // parse and parse-where
	IPv4     *IPv4LookupSpec
	// Sort is a sort's keys, or a top's one key.
	Sort []*SortKey
	// Count is how many rows a take or a top keeps.
	Count int64
	// MakeSeries is a make-series' aggregates, axis, range and group keys.
	MakeSeries *MakeSeriesSpec
	// Apply is an mv-apply's arrays to expand (as mv-expand's Columns) and its subquery.
	Apply *ApplySpec
}

// ApplySpec is KQL's mv-apply: each row's arrays (Expand, written as mv-expand's items) expanded
// into a subtable of their own, which the subquery (On) runs over.
type ApplySpec struct {
	Expand []*Assignment
	On     []*Stage
}

// SortKey is one key of a sort or top: an expression, its direction and where its nulls go
// (KQL's defaults: desc; nulls first when asc, last when desc).
type SortKey struct {
	Expr       *Expr
	Desc       bool
	NullsFirst bool
	Pos        Position
}

// MakeSeriesSpec is KQL's make-series: each aggregate (with the value of a bin no row falls in,
// Defaults[i], nil for 0) over the bins of On from From to To (each nil when not given) in steps
// of Step, for each group of By.
type MakeSeriesSpec struct {
	Aggregates []*Assignment
	Defaults   []*Expr
	On         *Expr
	From, To   *Expr
	Step       *Expr
	// In is KQL's alternative `in range(start, stop, step)`, instead of from, to and step.
	In *Expr
	By []*Assignment
}

// Label names the stage for messages: its name, or its kind and place.
func (s *Stage) Label() string {
	if s.Name != "" {
		return s.Name
	}
	return s.Kind + " at " + s.Pos.String()
}

// Assignment gives a column its value. In a project, a bare column name is an Assignment whose
// Expr is that name; in the other stages an item written without a name has an empty Column.
type Assignment struct {
	Column string
	Expr   *Expr
	Pos    Position
}

// Rename is New = Old in a project-rename.
type Rename struct {
	New, Old string
	Pos      Position
}

// JoinSpec joins the rows so far (the left side) with a right side: the rows of Tables (their
// union), or the rows named From (a let, or the rows as they were after the stage of that name),
// or else the rows the pipeline it is in started from, through the right side's own stages.
type JoinSpec struct {
	Kind   string // the name of one of JoinKinds
	On     []*Key
	From   string
	Tables []string
	Right  []*Stage
}

// IPv4LookupSpec is KQL's evaluate ipv4_lookup(From, IP, Range, Keys..., ReturnUnmatched): each
// row's IPv4 address (column IP) matched against the IPv4 ranges (column Range) of the rows of the
// lookup table or let named From whose Keys (columns of both) are equal to the row's.
type IPv4LookupSpec struct {
	From            string
	IP, Range       string
	Keys            []string
	ReturnUnmatched bool
}

// Key is one join key: the column compared on the left side and the one on the right, the same
// unless written {left: A, right: B} or $left.A == $right.B.
type Key struct {
	Column string // the left side's column
	Right  string
	Pos    Position
}

// SummarizeSpec groups rows by the By columns and computes the Aggregates over each group. An
// aggregate is an aggregation call such as count(), make_set(SessionId) or
// arg_min(TimeGenerated, *); its Column is empty when KQL's default name applies.
type SummarizeSpec struct {
	Aggregates []*Assignment
	By         []*Assignment
}

// Let is a named result: the rows of Tables (their union) or of the let named From, through
// Stages. Rules, joins and later lets read it by name; it is computed once (KQL's materialize).
// A Scalar let (KQL's toscalar) is the value in the first column of its first row, or null, and is
// read by name in expressions.
type Let struct {
	Name string
	Pos  Position
	// Params make the let a function (KQL's let f = (t:string) {...}): it is planned for each
	// call, its params constants of the call's values, and $param in its table names the table.
	Params []*LetParam
	Tables []string
	Union  *UnionSpec // let X = union ...
	// Value makes a let with params a scalar function (let f = (ua:string) { expression };),
	// called by name in expressions.
	Value  *Expr
	From   string
	Scalar bool
	Stages []*Stage
}

// LetParam is a parameter of a function let: its name and KQL type.
type LetParam struct {
	Name, Type string
	Pos        Position
}

// UnionSpec is KQL's union: the rows of each operand, one after another, with the columns merged
// as Kind says ("outer", KQL's default, or "inner"); WithSource names a column telling each row's
// operand; IsFuzzy leaves out operands naming tables that do not exist.
type UnionSpec struct {
	Kind       string
	WithSource string
	IsFuzzy    bool
	Operands   []*UnionOperand
	Pos        Position
}

// UnionOperand is one operand of a union: Name (a table, a let, or a call of a function let such
// as aadFunc("SigninLogs")), or a parenthesised pipeline: the rows of Tables or From through
// Stages.
type UnionOperand struct {
	Name   string
	Tables []string
	From   string
	Stages []*Stage
	Pos    Position
}

// ColumnPattern is a column name or a wildcard pattern (* matches any run of characters), and for
// project-reorder the order of the columns a wildcard matches.
type ColumnPattern struct {
	Pattern string
	Order   string // "", asc, desc, granny-asc or granny-desc
	Pos     Position
}

// ParseSpec is a parse or parse-where: Source (an expression, read as text) matched against
// Pattern as Kind says (simple or regex, with Flags for regex).
type ParseSpec struct {
	Kind    string
	Flags   string
	Source  *Expr
	Pattern []ParseItem
}

// ParseItem is one element of a parse pattern: a string constant (Text), a column to extract
// (Column, of Type, string when not written), or * (Star: any text, skipped).
type ParseItem struct {
	Text   string
	Column string
	Type   string
	Star   bool
	Pos    Position
}
