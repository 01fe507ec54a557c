// Package schema holds the column lists of the Log Analytics tables that rules read, as data
// (tables/*.yaml), so that a rule's columns can be checked before it runs and every record can be
// given the table's full column set with the right KQL types.
package schema

import (
	"embed"
	"fmt"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/signin-detect/detect/engine/kql"
)

// Column is one column of a table.
type Column struct {
	Name string
	Type kql.Type
}

// Table is a Log Analytics table: its name and its columns in the reference's order.
type Table struct {
	Name    string
	Columns []Column
	index   map[string]int
}

// Column finds a column by its exact (case-sensitive, as in KQL) name.
func (t *Table) Column(name string) (Column, bool) {
	i, ok := t.index[name]
	if !ok {
		return Column{}, false
	}
	return t.Columns[i], true
}

//go:embed tables/*.yaml
var tableFiles embed.FS

var (
	loadOnce sync.Once
	tables   map[string]*Table
	loadErr  error
)

// Lookup returns the table called name.
func Lookup(name string) (*Table, error) {
	loadOnce.Do(func() { tables, loadErr = loadTables() })
	if loadErr != nil {
		return nil, loadErr
	}
	t, ok := tables[name]
	if !ok {
		return nil, fmt.Errorf("unknown table %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return t, nil
}

// Names lists the known tables, sorted.
func Names() []string {
	loadOnce.Do(func() { tables, loadErr = loadTables() })
	names := make([]string, 0, len(tables))
	for n := range tables {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func loadTables() (map[string]*Table, error) {
	entries, err := tableFiles.ReadDir("tables")
	if err != nil {
		return nil, err
	}
	out := map[string]*Table{}
	for _, e := range entries {
		path := "tables/" + e.Name()
		data, err := tableFiles.ReadFile(path)
		if err != nil {
			return nil, err
		}
		t, err := parseTable(data)
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", path, err)
		}
		out[t.Name] = t
	}
	return out, nil
}

func parseTable(data []byte) (*Table, error) {
	var doc struct {
		Name    string    `yaml:"name"`
		Columns yaml.Node `yaml:"columns"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Columns.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("columns must be a mapping of column name to type")
	}
	t := &Table{Name: doc.Name, index: map[string]int{}}
	for i := 0; i+1 < len(doc.Columns.Content); i += 2 {
		name, typeName := doc.Columns.Content[i].Value, doc.Columns.Content[i+1].Value
		typ, err := kql.ParseType(typeName)
		if err != nil {
			return nil, fmt.Errorf("line %d: column %s: %w", doc.Columns.Content[i].Line, name, err)
		}
		t.index[name] = len(t.Columns)
		t.Columns = append(t.Columns, Column{Name: name, Type: typ})
	}
	return t, nil
}
