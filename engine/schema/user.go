package schema

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/signin-detect/detect/engine/kql"
)

// Problem is a mistake in a schema file, at its place.
type Problem struct {
	File         string
	Line, Column int
	Msg          string
}

func (p *Problem) Error() string {
	if p.Line == 0 {
		return p.File + ": " + p.Msg
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Column, p.Msg)
}

// tableName is what a table's name may be: KQL's plain identifiers, which is what rules write in
// table:.
var tableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// AddDir reads every schema file (*.yaml, *.yml) in dir, in the format of the shipped
// tables/*.yaml (name: and columns: of name: type), and adds their tables to the known ones, so
// that rules can read them without the binary being rebuilt. A folder that does not exist adds
// nothing; every mistake is returned, each at its place, and a file with any adds no table. A
// table may not take the name of a shipped table or of one another file added; the same file
// added again replaces its table.
func AddDir(dir string) []*Problem {
	load()
	if loadErr != nil {
		return []*Problem{{File: dir, Msg: loadErr.Error()}}
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return []*Problem{{File: dir, Msg: unwrap(err).Error()}}
	}
	var problems []*Problem
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !(strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
			continue
		}
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		if err != nil {
			problems = append(problems, &Problem{File: path, Msg: unwrap(err).Error()})
			continue
		}
		t, ps := parseTable(path, data)
		if len(ps) == 0 {
			ps = register(t)
		}
		problems = append(problems, ps...)
	}
	sort.SliceStable(problems, func(i, j int) bool {
		a, b := problems[i], problems[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
	})
	return problems
}

func register(t *Table) []*Problem {
	mu.Lock()
	defer mu.Unlock()
	if old, ok := tables[t.Name]; ok && old.File != t.File {
		where := "a table shipped with detect"
		if old.File != "" {
			where = "defined in " + old.File
		}
		return []*Problem{{File: t.File, Line: 1, Column: 1, Msg: fmt.Sprintf("table %s is already known (%s)", t.Name, where)}}
	}
	tables[t.Name] = t
	return nil
}

func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// yamlLine finds the line yaml.v3 names in its syntax errors ("yaml: line 3: ...").
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseTable reads a schema file: a mapping with name (the table's name) and columns (a mapping
// of each column's name to its KQL type, in the table's order). It returns every problem found.
func parseTable(file string, data []byte) (*Table, []*Problem) {
	var problems []*Problem
	add := func(n *yaml.Node, format string, args ...any) {
		p := &Problem{File: file, Msg: fmt.Sprintf(format, args...)}
		if n != nil {
			p.Line, p.Column = n.Line, n.Column
		}
		problems = append(problems, p)
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		p := &Problem{File: file, Line: 1, Column: 1, Msg: err.Error()}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			fmt.Sscan(m[1], &p.Line)
			p.Msg = m[2]
		}
		return nil, []*Problem{p}
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		add(&yaml.Node{Line: 1, Column: 1}, "a table schema is a mapping with name and columns")
		return nil, problems
	}
	root := doc.Content[0]
	t := &Table{File: file, index: map[string]int{}}
	var nameNode, columns *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, value := root.Content[i], root.Content[i+1]
		switch key.Value {
		case "name":
			nameNode = value
		case "columns":
			columns = value
		default:
			add(key, "unknown key %s (a table schema has name and columns)", key.Value)
		}
	}
	switch {
	case nameNode == nil:
		add(root, "missing name: the table's name, as rules write it in table:")
	case nameNode.Kind != yaml.ScalarNode:
		add(nameNode, "name must be one table name, as rules write it in table:")
	case !tableName.MatchString(nameNode.Value):
		add(nameNode, "name %q: want a table name of letters, digits and _, not starting with a digit", nameNode.Value)
	default:
		t.Name = nameNode.Value
	}
	if columns == nil || columns.Kind != yaml.MappingNode || len(columns.Content) == 0 {
		at := root
		if columns != nil {
			at = columns
		}
		add(at, "columns must map each column's name to its KQL type (string, datetime, long, int, real, bool, timespan, guid or dynamic)")
		return t, problems
	}
	for i := 0; i+1 < len(columns.Content); i += 2 {
		name, typ := columns.Content[i], columns.Content[i+1]
		if !tableName.MatchString(name.Value) {
			add(name, "column %q: want a name of letters, digits and _, not starting with a digit", name.Value)
			continue
		}
		if _, dup := t.index[name.Value]; dup {
			add(name, "column %s is listed twice", name.Value)
			continue
		}
		kt, err := kql.ParseType(typ.Value)
		if err != nil || typ.Kind != yaml.ScalarNode {
			add(typ, "column %s: unknown KQL type %q (want string, datetime, long, int, real, bool, timespan, guid or dynamic)", name.Value, typ.Value)
			continue
		}
		t.index[name.Value] = len(t.Columns)
		t.Columns = append(t.Columns, Column{Name: name.Value, Type: kt})
	}
	return t, problems
}
