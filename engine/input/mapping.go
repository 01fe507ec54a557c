package input

import (
	"bytes"
	"embed"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"
	"gopkg.in/yaml.v3"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/schema"
)

// Shape is the kind of record a file holds, which decides how its fields become a table's columns.
type Shape string

// The record shapes Entra ID sign-ins are exported in.
const (
	// LogAnalytics rows have the table's columns as fields (NDJSON, JSON array, query API
	// response, portal CSV).
	LogAnalytics Shape = "loganalytics"
	// Diagnostic records are what Azure Monitor diagnostic settings write to a storage account
	// (PT1H.json) or an event hub: time, category, ... and the sign-in in properties.
	Diagnostic Shape = "diagnostic"
	// Graph records are Microsoft Graph beta auditLogs/signIns objects.
	Graph Shape = "graph"
)

//go:embed mappings/*.yaml
var mappingFiles embed.FS

// mapping says how records of one shape become rows of one table: which records belong to the
// table (when) and which field each column is read from. It is read from mappings/*.yaml.
type mapping struct {
	file  string
	shape Shape
	table *schema.Table
	// Records whose field whenPath holds whenValue belong to the table; or, for a mapping with
	// whenHas, the records that lack the shape's whenPath field and have every field of whenHas
	// (Graph's directoryAudits, which share their pages with sign-ins but have no isInteractive).
	whenPath, whenValue string
	whenHas             []string
	columns             map[string]columnSource
}

// columnSource is where a column's value comes from: the first of paths that the record has
// (and is not null), or a constant.
type columnSource struct {
	paths    []string
	constant *string
}

var (
	mappingsOnce   sync.Once
	loadedMappings []*mapping
	mappingsErr    error
)

// loadMappings reads every embedded mapping file, once.
func loadMappings() ([]*mapping, error) {
	mappingsOnce.Do(func() { loadedMappings, mappingsErr = readMappings() })
	return loadedMappings, mappingsErr
}

func readMappings() ([]*mapping, error) {
	entries, err := mappingFiles.ReadDir("mappings")
	if err != nil {
		return nil, err
	}
	var out []*mapping
	for _, e := range entries {
		path := "mappings/" + e.Name()
		data, err := mappingFiles.ReadFile(path)
		if err != nil {
			return nil, err
		}
		m, err := parseMapping(path, data)
		if err != nil {
			return nil, fmt.Errorf("input mapping %s: %w", path, err)
		}
		out = append(out, m)
	}
	return out, nil
}

func parseMapping(file string, data []byte) (*mapping, error) {
	var doc struct {
		Shape    string    `yaml:"shape"`
		Table    string    `yaml:"table"`
		When     yaml.Node `yaml:"when"`
		WhenHas  []string  `yaml:"when-has"`
		Identity bool      `yaml:"identity"`
		Columns  yaml.Node `yaml:"columns"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	m := &mapping{file: file, shape: Shape(doc.Shape), columns: map[string]columnSource{}}
	switch m.shape {
	case LogAnalytics, Diagnostic, Graph:
	default:
		return nil, fmt.Errorf("shape %q: want loganalytics, diagnostic or graph", doc.Shape)
	}
	table, err := schema.Lookup(doc.Table)
	if err != nil {
		return nil, err
	}
	m.table = table
	switch {
	case len(doc.WhenHas) > 0 && doc.When.Kind == 0:
		for _, f := range doc.WhenHas {
			if !validPath(f) {
				return nil, fmt.Errorf("when-has: %q is not a field path", f)
			}
		}
		m.whenHas = doc.WhenHas
	case doc.When.Kind != yaml.MappingNode || len(doc.When.Content) != 2 || len(doc.WhenHas) > 0:
		return nil, fmt.Errorf("line %d: when must be one field: value (or, instead, when-has a list of fields)", doc.When.Line)
	default:
		m.whenPath, m.whenValue = doc.When.Content[0].Value, doc.When.Content[1].Value
		if !validPath(m.whenPath) {
			return nil, fmt.Errorf("line %d: when: %q is not a field path", doc.When.Line, m.whenPath)
		}
	}
	if doc.Identity {
		for _, col := range table.Columns {
			m.columns[col.Name] = columnSource{paths: []string{col.Name}}
		}
		return m, nil
	}
	if doc.Columns.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("columns must map column names to fields (or set identity: true)")
	}
	for i := 0; i+1 < len(doc.Columns.Content); i += 2 {
		name, value := doc.Columns.Content[i], doc.Columns.Content[i+1]
		if _, ok := table.Column(name.Value); !ok {
			return nil, fmt.Errorf("line %d: %s has no column %s", name.Line, table.Name, name.Value)
		}
		src, err := parseColumnSource(value)
		if err != nil {
			return nil, fmt.Errorf("line %d: column %s: %w", value.Line, name.Value, err)
		}
		m.columns[name.Value] = src
	}
	return m, nil
}

// logAnalyticsMapping reads a table that has no mapping file of its own (one a user added with a
// schema file) from Log Analytics rows, as the shipped tables' loganalytics-*.yaml do: each column
// is the field of its name, and the Type column names a row's table.
func logAnalyticsMapping(t *schema.Table) *mapping {
	m := &mapping{file: t.File, shape: LogAnalytics, table: t, whenPath: "Type", whenValue: t.Name, columns: map[string]columnSource{}}
	for _, col := range t.Columns {
		m.columns[col.Name] = columnSource{paths: []string{col.Name}}
	}
	return m
}

// parseColumnSource reads "field.path", [first.path, fallback.path] or {const: text}.
func parseColumnSource(n *yaml.Node) (columnSource, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		if validPath(n.Value) {
			return columnSource{paths: []string{n.Value}}, nil
		}
	case yaml.SequenceNode:
		var src columnSource
		for _, p := range n.Content {
			if p.Kind != yaml.ScalarNode || !validPath(p.Value) {
				return src, fmt.Errorf("a list of fields holds only field paths (names of letters, digits and _ joined by dots)")
			}
			src.paths = append(src.paths, p.Value)
		}
		if len(src.paths) > 0 {
			return src, nil
		}
	case yaml.MappingNode:
		if len(n.Content) == 2 && n.Content[0].Value == "const" && n.Content[1].Kind == yaml.ScalarNode {
			text := n.Content[1].Value
			return columnSource{constant: &text}, nil
		}
	}
	return columnSource{}, fmt.Errorf("want a field path (names of letters, digits and _ joined by dots), a list of them (the first present is used) or {const: text}")
}

// validPath tells whether p is a dotted path of plain field names, which reads the same as a
// gjson path.
func validPath(p string) bool {
	for _, step := range strings.Split(p, ".") {
		if step == "" {
			return false
		}
		for _, c := range step {
			if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				return false
			}
		}
	}
	return true
}

// converter turns records of one shape into rows of one table, reading only the wanted columns,
// in one pass over each record.
type converter struct {
	mapping *mapping
	columns []schema.Column
	sources []columnSource
	root    *pathNode
	// filter, when set, picks the records whose rows are made and tells which targets they reach
	// (see reach.go); checked indexes the columns whose values can fail to convert, and
	// reportedTime the column whose time a dropped record reports (-1: none).
	filter       *compiledFilter
	checked      []int
	reportedTime int
	// early marks the columns read of a record the filter may drop: the filter's, the checked
	// ones and the reported time (the others are found only in the records it keeps).
	early []bool
	// layout is the layout of the rows made: the columns, in order.
	layout *record.Layout
	// notAfter, when set, is the latest TimeGenerated (column timeSlot, -1 for none) a record may
	// have (see Limits.Now); followSkew, when set, makes it the current time plus followSkew as
	// each record is read. A time up to followSure (the time the limits were set, plus
	// followSkew) is within it whenever it is read, without reading the clock.
	notAfter   time.Time
	followSkew time.Duration
	followSure time.Time
	timeSlot   int
}

// pathNode is a step of the field paths a converter reads: the columns whose path ends here (with
// the path's rank among the column's alternatives) and the steps below.
type pathNode struct {
	ends     []pathEnd
	children map[string]*pathNode
}

type pathEnd struct{ column, rank int }

func newConverter(m *mapping, want []string, filter *Filter) *converter {
	c := &converter{mapping: m, root: &pathNode{}, reportedTime: -1, timeSlot: -1}
	var names []string
	for _, col := range m.table.Columns {
		if want != nil && !containsString(want, col.Name) {
			continue
		}
		src := m.columns[col.Name]
		i := len(c.columns)
		c.columns = append(c.columns, col)
		c.sources = append(c.sources, src)
		for rank, path := range src.paths {
			n := c.root
			for _, step := range strings.Split(path, ".") {
				if n.children == nil {
					n.children = map[string]*pathNode{}
				}
				next := n.children[step]
				if next == nil {
					next = &pathNode{}
					n.children[step] = next
				}
				n = next
			}
			n.ends = append(n.ends, pathEnd{column: i, rank: rank})
		}
		names = append(names, col.Name)
		if filter != nil && filter.Time == col.Name && col.Type == kql.Datetime {
			c.reportedTime = i
		}
		if col.Name == timeColumn {
			c.timeSlot = i
		}
		if col.Type != kql.String && col.Type != kql.Guid && col.Type != kql.Dynamic {
			c.checked = append(c.checked, i)
		}
	}
	c.early = make([]bool, len(c.columns))
	if filter != nil {
		c.filter = compileFilter(filter, c.columns)
		for _, i := range c.filter.columns {
			c.early[i] = true
		}
		for _, i := range c.checked {
			c.early[i] = true
		}
		if c.reportedTime >= 0 {
			c.early[c.reportedTime] = true
		}
	} else {
		for i := range c.early {
			c.early[i] = true
		}
	}
	c.layout = record.NewLayout(names...)
	return c
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// found is a field value found for a column, as its JSON text, and the rank of the path it was
// found at.
type found struct {
	raw  []byte
	rank int
	ok   bool
}

func (f found) result() gjson.Result { return gjson.Parse(text(f.raw)) }

// row reads the wanted columns of obj, valid JSON text of an object, cut into its fields (in f's
// room for them) as a line's record is (fieldsRow), so that no value a rule does not read is
// decoded. A column the
// record lacks gets its type's zero value.
func (c *converter) row(obj []byte, f *fileReader) ([]any, error) {
	hits := make([]found, len(c.columns))
	f.fields = fields(obj, f.fields[:0])
	walkFields(obj, f.fields, c.root, hits)
	return c.values(hits, nil)
}

// values converts the values found for each column to the column's type: the slots of a row of
// c.layout.
func (c *converter) values(hits []found, strs *interner) ([]any, error) {
	slots := make([]any, len(c.columns))
	for i := range c.columns {
		v, err := c.slot(i, hits, strs)
		if err != nil {
			return nil, err
		}
		slots[i] = v
	}
	return slots, nil
}

// value converts the value found for column i into values.
func (c *converter) value(i int, hits []found, strs *interner, values map[string]any) error {
	v, err := c.slot(i, hits, strs)
	if err == nil {
		values[c.columns[i].Name] = v
	}
	return err
}

// slot converts the value found for column i.
func (c *converter) slot(i int, hits []found, strs *interner) (any, error) {
	col := c.columns[i]
	if k := c.sources[i].constant; k != nil {
		return *k, nil
	}
	if !hits[i].ok {
		return col.Type.Zero(), nil
	}
	switch raw := hits[i].raw; {
	case (col.Type == kql.String || col.Type == kql.Guid) && len(raw) >= 2 && raw[0] == '"':
		return strs.quotedValue(c, i, raw), nil
	case col.Type == kql.Datetime:
		t, dated, err := c.datetime(i, hits)
		if err != nil || !dated {
			return nil, err
		}
		return t, nil
	}
	v, err := convert(hits[i].result(), col.Type, col.Name, strs)
	if err != nil {
		return nil, c.columnError(i, hits, err)
	}
	return v, nil
}

// datetime is slot for a datetime column, without boxing the time; dated is false for a null.
func (c *converter) datetime(i int, hits []found) (t time.Time, dated bool, err error) {
	if c.sources[i].constant != nil || !hits[i].ok { // a constant is text, never a time
		return time.Time{}, false, nil
	}
	// Most are an export's datetime, a JSON string of it with nothing to unescape.
	raw := hits[i].raw
	if len(raw) >= 2 && raw[0] == '"' {
		t, dated = kql.ParseExportDatetime(text(raw[1 : len(raw)-1]))
	}
	if !dated {
		v := hits[i].result()
		if v.Type == gjson.Null {
			return time.Time{}, false, nil
		}
		if t, err = datetimeOf(v); err != nil {
			return time.Time{}, false, c.columnError(i, hits, err)
		}
	}
	if i == c.timeSlot && ((!c.notAfter.IsZero() && t.After(c.notAfter)) || (c.followSkew > 0 && t.After(c.followSure) && t.After(time.Now().Add(c.followSkew)))) {
		return time.Time{}, false, &futureError{t}
	}
	return t, true, nil
}

// columnError is err, met converting column i, naming the column (and the field it was read from).
func (c *converter) columnError(i int, hits []found, err error) error {
	col := c.columns[i]
	if path := c.sources[i].paths[hits[i].rank]; path != col.Name {
		return fmt.Errorf("%s (from %s): %w", col.Name, path, err)
	}
	return fmt.Errorf("%s: %w", col.Name, err)
}

// router tells the table of a record of one shape from the field all the shape's mappings test,
// or, for a record that lacks it, from the fields it has.
type router struct {
	path   string
	tables map[string]string // field value -> table
	has    []*mapping        // the mappings with whenHas, in file order
}

func newRouter(mappings []*mapping) (*router, error) {
	r := &router{tables: map[string]string{}}
	for _, m := range mappings {
		if m.whenHas != nil {
			r.has = append(r.has, m)
			continue
		}
		if r.path == "" {
			r.path = m.whenPath
		}
		if m.whenPath != r.path {
			return nil, fmt.Errorf("%s: the %s mappings must all test one field, not %s and %s", m.file, m.shape, r.path, m.whenPath)
		}
		if other, ok := r.tables[m.whenValue]; ok {
			return nil, fmt.Errorf("%s: %s %s is both %s and %s", m.file, r.path, m.whenValue, other, m.table.Name)
		}
		r.tables[m.whenValue] = m.table.Name
	}
	return r, nil
}

// table returns the table of obj: a known table's name, the field's own value when it names no
// table this shape maps (such as a category no mapping reads), the table of the first when-has
// mapping whose fields a record without the field has, or "" when none tells.
func (r *router) table(obj gjson.Result) string {
	v := obj.Get(r.path)
	if r.path == "" || v.Type == gjson.Null || v.String() == "" {
		return r.tableByFields(obj)
	}
	if t, ok := r.tables[v.String()]; ok {
		return t
	}
	return strings.Clone(v.String()) // the record's text is read in place, and read again later
}

// tableByFields is the table of the first when-has mapping whose fields obj has (not null), or "".
func (r *router) tableByFields(obj gjson.Result) string {
	for _, m := range r.has {
		all := true
		for _, f := range m.whenHas {
			if v := obj.Get(f); v.Type == gjson.Null {
				all = false
				break
			}
		}
		if all {
			return m.table.Name
		}
	}
	return ""
}

// fields names what the router reads, for messages.
func (r *router) fields() string {
	names := []string{}
	if r.path != "" {
		names = append(names, r.path)
	}
	for _, m := range r.has {
		names = append(names, strings.Join(m.whenHas, " and "))
	}
	return strings.Join(names, " or ")
}
