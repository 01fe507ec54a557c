package rule

import (
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/signin-detect/detect/engine/kql"
)

// document is one rule file as written: a base rule, or a variant's differences from its base.
type document struct {
	file    string
	extends string
	// extendsPos is where extends is written.
	extendsPos Position
	meta       Metadata
	// metaSet records which metadata keys the file sets, so that a variant inherits the rest.
	metaSet map[string]bool
	params  []*Param
	lookups []*Lookup
	lets    []*Let
	stages  []*Stage
	edits   []*edit
}

// An edit is one entry of a variant's stages: a stage that replaces, updates (columns of a
// project, extend or project-rename), goes after or before a named stage of the base, is
// appended (op "append"), or a removal.
type edit struct {
	op     string
	target string
	stage  *Stage
	pos    Position
}

var editOps = []string{"replace", "update", "after", "before", "remove"}

type decoder struct {
	file  string
	lines []string
	errs  *Errors
}

func (d *decoder) pos(n *yaml.Node) Position {
	return Position{File: d.file, Line: n.Line, Column: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.errs.Add(d.pos(n), format, args...)
}

type entry struct{ key, value *yaml.Node }

// mapping returns the entries of a mapping node, reporting keys that are not in known (when known
// is given) and keys written twice.
func (d *decoder) mapping(n *yaml.Node, what string, known ...string) []entry {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s must be a mapping, not %s", what, kindName(n))
		return nil
	}
	seen := map[string]bool{}
	var out []entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			d.errorf(k, "%s: %s is written twice", what, k.Value)
			continue
		}
		seen[k.Value] = true
		if len(known) > 0 && !contains(known, k.Value) {
			d.errorf(k, "%s: unknown key %q (known: %s)", what, k.Value, strings.Join(known, ", "))
			continue
		}
		out = append(out, entry{k, v})
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty"
		}
		return "a single value"
	case yaml.AliasNode:
		return "an alias"
	}
	return "empty"
}

func (d *decoder) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.errorf(n, "%s must be a single value, not %s", what, kindName(n))
		return "", false
	}
	return n.Value, true
}

// nonEmpty is str for a required key, whose value may not be empty.
func (d *decoder) nonEmpty(n *yaml.Node, what string) (string, bool) {
	s, ok := d.str(n, what)
	if ok && strings.TrimSpace(s) == "" {
		d.errorf(n, "%s must not be empty", what)
		return "", false
	}
	return s, ok
}

func (d *decoder) strList(n *yaml.Node, what string) []string {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s must be a list, not %s", what, kindName(n))
		return nil
	}
	var out []string
	for _, item := range n.Content {
		if s, ok := d.str(item, what+" item"); ok {
			out = append(out, s)
		}
	}
	return out
}

var (
	guidPattern      = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	techniquePattern = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
	severities       = []string{"Informational", "Low", "Medium", "High"}
	// tactics are the MITRE ATT&CK tactic names as Sentinel analytics rules write them.
	tactics = []string{"Reconnaissance", "ResourceDevelopment", "InitialAccess", "Execution", "Persistence",
		"PrivilegeEscalation", "DefenseEvasion", "CredentialAccess", "Discovery", "LateralMovement", "Collection",
		"CommandAndControl", "Exfiltration", "Impact", "ImpairProcessControl", "InhibitResponseFunction", "PreAttack"}
	ruleKeys = []string{"id", "name", "description", "severity", "tactics", "relevantTechniques", "queryPeriod",
		"table", "from", "union", "references", "author", "version", "extends", "params", "lookups", "let", "stages", "tests",
		"queryFrequency", "triggerOperator", "triggerThreshold", "entityMappings", "customDetails", "sentinel"}
	triggerOperators = []string{"gt", "lt", "eq", "ne"}
)

// decodeDocument reads one rule file's YAML.
func decodeDocument(file string, data []byte, errs *Errors) *document {
	d := &decoder{file: file, lines: strings.Split(string(data), "\n"), errs: errs}
	doc := &document{file: file, metaSet: map[string]bool{}}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		errs.Add(yamlErrorPos(file, err), "YAML: %s", yamlErrorText(err))
		return nil
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		errs.Add(Position{File: file, Line: 1, Column: 1}, "the file is empty: a rule needs at least id, name, table and stages")
		return nil
	}
	top := root.Content[0]
	entries := d.mapping(top, "rule", ruleKeys...)
	var stagesNode *yaml.Node
	for _, e := range entries {
		key, v := e.key.Value, e.value
		doc.metaSet[key] = true
		switch key {
		case "id":
			if s, ok := d.str(v, "id"); ok {
				if !guidPattern.MatchString(s) {
					d.errorf(v, "id must be a GUID such as 8d7b3c5e-4f1a-4b2c-9d3e-1f2a3b4c5d6e, got %q", s)
				}
				doc.meta.ID = s
			}
		case "name":
			doc.meta.Name, _ = d.nonEmpty(v, "name")
		case "description":
			doc.meta.Description, _ = d.str(v, "description")
		case "severity":
			if s, ok := d.str(v, "severity"); ok {
				if !contains(severities, s) {
					d.errorf(v, "severity must be one of %s, got %q", strings.Join(severities, ", "), s)
				}
				doc.meta.Severity = s
			}
		case "tactics":
			for i, t := range d.strList(v, "tactics") {
				if !contains(tactics, t) {
					d.errorf(itemNode(v, i), "unknown tactic %q (Sentinel writes MITRE tactics as %s)", t, strings.Join(tactics, ", "))
				}
				doc.meta.Tactics = append(doc.meta.Tactics, t)
			}
		case "relevantTechniques":
			for i, t := range d.strList(v, "relevantTechniques") {
				if !techniquePattern.MatchString(t) {
					d.errorf(itemNode(v, i), "relevantTechniques: %q is not a MITRE technique id such as T1606 or T1078.004", t)
				}
				doc.meta.RelevantTechniques = append(doc.meta.RelevantTechniques, t)
			}
		case "queryPeriod":
			if s, ok := d.str(v, "queryPeriod"); ok {
				p, err := kql.ParseTimespan(s)
				if err != nil {
					d.errorf(v, "queryPeriod: %v", err)
				}
				doc.meta.QueryPeriod = p
			}
		case "queryFrequency":
			if s, ok := d.str(v, "queryFrequency"); ok {
				p, err := kql.ParseTimespan(s)
				if err != nil {
					d.errorf(v, "queryFrequency: %v", err)
				}
				doc.meta.QueryFrequency = p
			}
		case "triggerOperator":
			if s, ok := d.str(v, "triggerOperator"); ok {
				if !contains(triggerOperators, s) {
					d.errorf(v, "triggerOperator must be one of %s, got %q", strings.Join(triggerOperators, ", "), s)
				}
				doc.meta.TriggerOperator = s
			}
		case "triggerThreshold":
			if s, ok := d.str(v, "triggerThreshold"); ok {
				n, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					d.errorf(v, "triggerThreshold must be a whole number, got %q", s)
				}
				doc.meta.TriggerThreshold = n
			}
		case "entityMappings":
			doc.meta.EntityMappings = d.entityMappings(v)
		case "customDetails":
			for _, e := range d.mapping(v, "customDetails") {
				if col, ok := d.str(e.value, "customDetails "+e.key.Value); ok {
					doc.meta.CustomDetails = append(doc.meta.CustomDetails, CustomDetail{Name: e.key.Value, Column: col})
				}
			}
		case "sentinel":
			// The rest of an imported Sentinel file, carried for the reader: detect does not use it.
		case "table":
			// One table, or a list of them read as their union; none may be empty.
			if v.Kind == yaml.SequenceNode {
				for _, item := range v.Content {
					if t, ok := d.nonEmpty(item, "table"); ok {
						doc.meta.Tables = append(doc.meta.Tables, t)
					}
				}
			} else if t, ok := d.nonEmpty(v, "table"); ok {
				doc.meta.Tables = []string{t}
			}
			if len(doc.meta.Tables) > 0 {
				doc.meta.Table = doc.meta.Tables[0]
			}
		case "from":
			doc.meta.From, _ = d.nonEmpty(v, "from")
			doc.meta.FromPos = d.pos(v)
		case "union":
			doc.meta.Union = d.union(v)
		case "references":
			doc.meta.References = d.strList(v, "references")
		case "author":
			doc.meta.Author, _ = d.str(v, "author")
		case "version":
			doc.meta.Version, _ = d.str(v, "version")
		case "extends":
			doc.extends, _ = d.str(v, "extends")
			doc.extendsPos = d.pos(v)
		case "params":
			doc.params = d.params(v)
		case "lookups":
			doc.lookups = d.lookups(v)
		case "let":
			doc.lets = d.lets(v)
		case "stages":
			stagesNode = v
		case "tests":
			// Test cases are read by package ruletest.
		}
	}
	if stagesNode != nil {
		if doc.extends == "" {
			doc.stages = d.stages(stagesNode, "stages")
		} else {
			doc.edits = d.edits(stagesNode)
		}
	}
	required := []string{"id", "name", "severity", "stages"}
	if doc.extends != "" {
		required = []string{"id", "name"}
	}
	for _, key := range required {
		if !doc.metaSet[key] {
			d.errorf(top, "missing required key %q", key)
		}
	}
	// The rows start from a table (or several), a let or call (from), or a union.
	starts := 0
	for _, key := range []string{"table", "from", "union"} {
		if doc.metaSet[key] {
			starts++
		}
	}
	switch {
	case starts == 0 && doc.extends == "":
		d.errorf(top, "missing required key \"table\" (or from: a let or call, or union: its operands)")
	case starts > 1:
		d.errorf(top, "a rule starts from one of table, from and union, not several")
	}
	return doc
}

// entityMappings reads Sentinel's entityMappings: a list of {entityType, fieldMappings: [{identifier, columnName}]}.
func (d *decoder) entityMappings(n *yaml.Node) []EntityMapping {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "entityMappings must be a list, not %s", kindName(n))
		return nil
	}
	var out []EntityMapping
	for _, item := range n.Content {
		e := EntityMapping{Pos: d.pos(item)}
		for _, f := range d.mapping(item, "entity mapping", "entityType", "fieldMappings") {
			if f.key.Value == "entityType" {
				e.EntityType, _ = d.nonEmpty(f.value, "entityType")
				continue
			}
			if f.value.Kind != yaml.SequenceNode {
				d.errorf(f.value, "fieldMappings must be a list, not %s", kindName(f.value))
				continue
			}
			for _, fm := range f.value.Content {
				m := FieldMapping{Pos: d.pos(fm)}
				for _, g := range d.mapping(fm, "field mapping", "identifier", "columnName") {
					if g.key.Value == "identifier" {
						m.Identifier, _ = d.nonEmpty(g.value, "identifier")
					} else {
						m.ColumnName, _ = d.nonEmpty(g.value, "columnName")
					}
				}
				if fm.Kind == yaml.MappingNode && (m.Identifier == "" || m.ColumnName == "") {
					d.errorf(fm, "a field mapping needs identifier and columnName")
					continue
				}
				e.FieldMappings = append(e.FieldMappings, m)
			}
		}
		if item.Kind == yaml.MappingNode && e.EntityType == "" {
			d.errorf(item, "an entity mapping needs entityType")
			continue
		}
		out = append(out, e)
	}
	return out
}

func itemNode(list *yaml.Node, i int) *yaml.Node {
	if list.Kind == yaml.SequenceNode && i < len(list.Content) {
		return list.Content[i]
	}
	return list
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

func yamlErrorPos(file string, err error) Position {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		// yaml.v3 numbers the lines of its parser's errors ("did not find expected ...") from 0,
		// and those of its scanner's from 1.
		if strings.Contains(err.Error(), ": did not find expected") {
			line++
		}
		return Position{File: file, Line: line, Column: 1}
	}
	return Position{File: file, Line: 1, Column: 1}
}

func yamlErrorText(err error) string {
	return yamlLine.ReplaceAllString(strings.TrimPrefix(err.Error(), "yaml: "), "")
}

func (d *decoder) params(n *yaml.Node) []*Param {
	var out []*Param
	for _, e := range d.mapping(n, "params") {
		// A param whose value is wrong keeps its name, so that its uses raise no second error.
		value, _ := d.paramValue(e.value, "param "+e.key.Value)
		out = append(out, &Param{Name: e.key.Value, Value: value, Pos: d.pos(e.key)})
	}
	return out
}

// paramValue reads a param's value: a whole number (int64), a real (float64), a bool, a string,
// or a list of those.
func (d *decoder) paramValue(n *yaml.Node, what string) (any, bool) {
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!int":
			i, err := strconv.ParseInt(n.Value, 0, 64)
			if err != nil {
				d.errorf(n, "%s: %q is not a whole number", what, n.Value)
				return nil, false
			}
			return i, true
		case "!!float":
			f, err := strconv.ParseFloat(n.Value, 64)
			if err != nil {
				d.errorf(n, "%s: %q is not a number", what, n.Value)
				return nil, false
			}
			return f, true
		case "!!bool":
			return n.Value == "true" || n.Value == "True" || n.Value == "TRUE", true
		case "!!null":
			d.errorf(n, "%s has no value", what)
			return nil, false
		}
		return n.Value, true
	case yaml.SequenceNode:
		items := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode {
				d.errorf(item, "%s: a list param holds single values, not %s", what, kindName(item))
				return nil, false
			}
			v, ok := d.paramValue(item, what)
			if !ok {
				return nil, false
			}
			items = append(items, v)
		}
		return items, true
	}
	d.errorf(n, "%s must be a single value or a list, not %s", what, kindName(n))
	return nil, false
}

// lookups reads the lookups mapping: name -> {file, column} (a list) or {file, columns, format,
// ignoreFirstRecord, url} (a table, KQL's externaldata).
func (d *decoder) lookups(n *yaml.Node) []*Lookup {
	var out []*Lookup
	for _, e := range d.mapping(n, "lookups") {
		l := &Lookup{Name: e.key.Value, Pos: d.pos(e.key)}
		what := "lookup " + l.Name
		var table ExternalTable
		var tableKeys *yaml.Node
		for _, f := range d.mapping(e.value, what, "file", "column", "columns", "format", "ignoreFirstRecord", "url") {
			switch f.key.Value {
			case "file":
				l.File, _ = d.str(f.value, what+" file")
			case "column":
				l.Column, _ = d.str(f.value, what+" column")
			case "columns":
				table.Columns = d.tableColumns(f.value, what)
				l.Table = &table
			case "format":
				if s, ok := d.str(f.value, what+" format"); ok {
					if !contains(ExternalFormats, s) {
						d.errorf(f.value, "%s format %q is not supported (supported: %s)", what, s, strings.Join(ExternalFormats, ", "))
					}
					table.Format = s
				}
				tableKeys = f.key
			case "ignoreFirstRecord":
				if f.value.Kind != yaml.ScalarNode || f.value.Tag != "!!bool" {
					d.errorf(f.value, "%s ignoreFirstRecord must be true or false", what)
				}
				table.IgnoreFirstRecord = strings.EqualFold(f.value.Value, "true")
				tableKeys = f.key
			case "url":
				l.URL, _ = d.str(f.value, what+" url")
			}
		}
		if e.value.Kind != yaml.MappingNode {
			continue
		}
		switch {
		case l.File == "" || (l.Column == "") == (l.Table == nil):
			d.errorf(e.value, "lookup %s needs file (a path relative to the rule file) and either column (a CSV header name: a list) or columns (Name: type, ...: a table)", l.Name)
			continue
		case l.Table == nil && tableKeys != nil:
			d.errorf(tableKeys, "%s: %s is for a table (columns: ...); a list (column: ...) is read from a CSV file with a header", what, tableKeys.Value)
		case l.Table != nil && table.Format == "":
			table.Format = ExternalFormats[0] // KQL's default, where the file's extension says nothing
		}
		out = append(out, l)
	}
	return out
}

// tableColumns reads an external table's columns: a mapping of Name: type, in order.
func (d *decoder) tableColumns(n *yaml.Node, what string) []TableColumn {
	var out []TableColumn
	for _, e := range d.mapping(n, what+" columns") {
		if s, ok := d.str(e.value, what+" column "+e.key.Value); ok {
			t, err := kql.ParseType(s)
			if err != nil {
				d.errorf(e.value, "%s column %s: %v (string, long, int, real, bool, datetime, timespan, guid or dynamic)", what, e.key.Value, err)
			}
			out = append(out, TableColumn{Name: e.key.Value, Type: t})
		}
	}
	if n.Kind == yaml.MappingNode && len(out) == 0 {
		d.errorf(n, "%s columns names at least one column (Name: type)", what)
	}
	return out
}

var stageKeys = append([]string{"name"}, StageKinds...)

func (d *decoder) stages(n *yaml.Node, what string) []*Stage {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s must be a list of stages, not %s", what, kindName(n))
		return nil
	}
	var out []*Stage
	for _, item := range n.Content {
		s := d.stage(item, stageKeys)
		if s == nil {
			continue
		}
		if s.Kind == "" {
			d.errorf(item, "a stage needs one of %s", strings.Join(StageKinds, ", "))
			continue
		}
		out = append(out, s)
	}
	return out
}

// stage reads one stage block: a mapping with an optional name and exactly one stage kind.
// It returns nil when the block has a key that is no stage kind, reported here.
func (d *decoder) stage(n *yaml.Node, keys []string) *Stage {
	if n.Kind == yaml.MappingNode {
		unknown := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; !contains(keys, k.Value) {
				d.errorf(k, "unknown stage kind %q (a stage is one of %s, with an optional name)", k.Value, strings.Join(StageKinds, ", "))
				unknown = true
			}
		}
		if unknown {
			return nil
		}
	}
	var entries []entry
	for _, e := range d.mapping(n, "stage") {
		if contains(keys, e.key.Value) {
			entries = append(entries, e)
		}
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	s := &Stage{Pos: d.pos(n)}
	for _, e := range entries {
		key := e.key.Value
		if key == "name" {
			s.Name, _ = d.str(e.value, "stage name")
			continue
		}
		if !contains(StageKinds, key) {
			continue // an edit op, read by edits
		}
		if s.Kind != "" {
			d.errorf(e.key, "a stage has one kind; this one has both %s and %s (split it into two stages)", s.Kind, key)
			continue
		}
		s.Kind = key
		stageDecoders[key](d, e.value, s)
	}
	return s
}

// projection reads a project's list: a bare column name keeps that column; Name: expression
// makes a column.
func (d *decoder) projection(n *yaml.Node) []*Assignment {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "project must be a list of columns (Name, or NewName: expression), not %s", kindName(n))
		return nil
	}
	var out []*Assignment
	for _, item := range n.Content {
		switch {
		case item.Kind == yaml.ScalarNode && item.Tag != "!!null":
			out = append(out, &Assignment{Column: item.Value, Expr: newExpr(d.file, item, d.lines), Pos: d.pos(item)})
		case item.Kind == yaml.MappingNode && len(item.Content) == 2:
			k, v := item.Content[0], item.Content[1]
			if _, ok := d.str(v, "project "+k.Value); ok {
				out = append(out, &Assignment{Column: k.Value, Expr: newExpr(d.file, v, d.lines), Pos: d.pos(k)})
			}
		default:
			d.errorf(item, "a project item is a column name or one NewName: expression, not %s", kindName(item))
		}
	}
	return out
}

func (d *decoder) join(n *yaml.Node) *JoinSpec {
	return d.joinSpec(n, "join", JoinKindNames(), JoinKinds[0].Name)
}

// joinSpec reads a join or lookup block (called what): kind (one of kinds; def when left out), on
// and right.
func (d *decoder) joinSpec(n *yaml.Node, what string, kinds []string, def string) *JoinSpec {
	j := &JoinSpec{}
	entries := d.mapping(n, what, "kind", "on", "right")
	if entries == nil {
		// Its mistakes are reported; an empty join lets the rule be planned for its others.
		return &JoinSpec{Kind: JoinKinds[0].Name}
	}
	for _, e := range entries {
		switch e.key.Value {
		case "kind":
			if k, ok := d.str(e.value, what+" kind"); ok {
				if !contains(kinds, k) {
					d.errorf(e.value, "%s kind %q is not supported (supported: %s)", what, k, strings.Join(kinds, ", "))
				}
				j.Kind = k
			}
		case "on":
			j.On = d.joinKeys(e.value)
		case "right":
			for _, r := range d.mapping(e.value, what+" right", "from", "table", "stages") {
				switch r.key.Value {
				case "from":
					j.From, _ = d.str(r.value, what+" right from")
				case "table":
					j.Tables = d.strList(r.value, what+" right table")
				case "stages":
					j.Right = d.stages(r.value, what+" right stages")
				}
			}
			if j.From != "" && len(j.Tables) > 0 {
				d.errorf(e.value, "%s right reads from a let or stage, or from a table; not both", what)
			}
		}
	}
	if j.Kind == "" {
		j.Kind = def
	}
	if len(j.On) == 0 {
		d.errorf(n, "%s needs on: the key columns", what)
	}
	return j
}

// edits reads a variant's stages: each entry is a stage with replace, after or before naming a
// stage of the base, a remove naming one, or a stage to append.
func (d *decoder) edits(n *yaml.Node) []*edit {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "stages must be a list, not %s", kindName(n))
		return nil
	}
	var out []*edit
	for _, item := range n.Content {
		ed := &edit{op: "append", pos: d.pos(item)}
		if item.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(item.Content); i += 2 {
				k := item.Content[i]
				if !contains(editOps, k.Value) {
					continue
				}
				if ed.op != "append" {
					d.errorf(k, "a variant's stage entry takes one of %s; this one has %s and %s", strings.Join(editOps, ", "), ed.op, k.Value)
					continue
				}
				ed.op = k.Value
				ed.target, _ = d.str(item.Content[i+1], k.Value)
			}
		}
		ed.stage = d.stage(item, append(append([]string{}, stageKeys...), editOps...))
		if ed.stage == nil {
			continue
		}
		switch {
		case ed.op == "remove" && ed.stage.Kind != "":
			d.errorf(item, "remove takes only the name of the stage to remove, not a %s", ed.stage.Kind)
		case ed.op != "remove" && ed.stage.Kind == "":
			d.errorf(item, "a stage needs one of %s", strings.Join(StageKinds, ", "))
		}
		if (ed.op == "replace" || ed.op == "update") && ed.stage.Name == "" {
			ed.stage.Name = ed.target // a replacement keeps the name it replaces
		}
		out = append(out, ed)
	}
	return out
}

// ValidTactic tells whether s is a MITRE tactic as Sentinel writes it, which a rule's tactics
// must be.
func ValidTactic(s string) bool { return contains(tactics, s) }

// ValidTechnique tells whether s is a MITRE technique id (T1606, T1078.004), which a rule's
// relevantTechniques must be.
func ValidTechnique(s string) bool { return techniquePattern.MatchString(s) }
