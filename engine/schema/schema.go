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
	// File is the schema file of a table a user added (AddDir); "" for the shipped tables.
	File  string
	index map[string]int
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
	// mu guards tables, which AddDir adds to.
	mu      sync.RWMutex
	tables  map[string]*Table
	loadErr error
)

func load() {
	loadOnce.Do(func() { tables, loadErr = loadTables() })
}

// Lookup returns the table called name.
func Lookup(name string) (*Table, error) {
	load()
	if loadErr != nil {
		return nil, loadErr
	}
	mu.RLock()
	t, ok := tables[name]
	mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown table %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return t, nil
}

// Names lists the known tables, sorted.
func Names() []string {
	load()
	mu.RLock()
	defer mu.RUnlock()
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
		t, problems := parseTable(path, data)
		if len(problems) > 0 {
			return nil, fmt.Errorf("schema %w", problems[0])
		}
		t.File = ""
		out[t.Name] = t
	}
	return out, nil
}
