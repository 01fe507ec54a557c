// Package rule reads detection rule files: YAML documents with Sentinel-style metadata, params,
// lookups and an ordered list of stages whose predicates and values are expressions. It keeps the
// place of everything it reads, reports every problem in a file at once with its file:line:col,
// and resolves variants (a rule that names a base and states only what differs).
//
// The rule language is documented in the README; what the stages do is package pipeline's job.
package rule

import "time"

// Rule is a loaded rule with its variant chain resolved.
type Rule struct {
	File string
	Meta Metadata
	// Base is the file of the rule this one extends, "" for a rule that stands alone.
	Base    string
	Params  []*Param
	Lookups []*Lookup
	Stages  []*Stage
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
	Table              string
	References         []string
	Author             string
	Version            string
}

// Param is a named tunable: its value is a constant in every expression of the rule. Its type is
// that of its default (a whole number, a real, a string, a bool, or a list of strings) and every
// override must keep it.
type Param struct {
	Name  string
	Value any
	Pos   Position
}

// Lookup is a named list loaded from one column of a CSV file (the header row names the columns
// and is not part of the list): the rule's externaldata().
type Lookup struct {
	Name   string
	File   string // resolved against the rule file that declared it
	Column string
	Pos    Position
}

// Stage kinds.
const (
	Where         = "where"
	Extend        = "extend"
	Project       = "project"
	ProjectRename = "project-rename"
	Join          = "join"
)

// StageKinds lists the stage kinds in the order the README documents them.
var StageKinds = []string{Where, Extend, Join, Project, ProjectRename}

// Stage is one step of a rule's pipeline. Exactly one of its kind's fields is set.
type Stage struct {
	Name string // optional; variants and explain refer to stages by it
	Kind string
	Pos  Position

	Where   *Expr         // where: the rows for which it is true pass
	Columns []*Assignment // extend, project: in order
	Renames []*Rename     // project-rename
	Join    *JoinSpec
}

// Label names the stage for messages: its name, or its kind and place.
func (s *Stage) Label() string {
	if s.Name != "" {
		return s.Name
	}
	return s.Kind + " at " + s.Pos.String()
}

// Assignment gives a column its value. In a project, a bare column name is an Assignment whose
// Expr is that name.
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

// JoinSpec joins the rows so far (the left side) with a right side made from the same input: the
// rows as they were after the stage named From (or the rule's input when From is empty), through
// the right side's own stages.
type JoinSpec struct {
	Kind  string
	On    []*Key
	From  string
	Right []*Stage
}

// Key is one join key: the column compared on each side.
type Key struct {
	Column string
	Pos    Position
}
