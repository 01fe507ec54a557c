package pipeline

import (
	"slices"
	"strings"
	"unicode"

	"github.com/signin-detect/detect/engine/rule"
)

// planProjectReorder puts the columns the names and wildcards match first, in the order written
// (a wildcard's columns in the input's order, or by name with asc or desc, or with granny-asc or
// granny-desc by name with the numbers in names compared as numbers: a20 before a100), and the
// other columns after them in their order; no column is dropped or renamed.
// https://learn.microsoft.com/kusto/query/project-reorder-operator
func planProjectReorder(c *compiler, s *rule.Stage, f, _ flow) (operator, flow) {
	var out []Column
	placed := map[string]bool{}
	c.matchPatterns(s, f.cols) // reports the names that are no column
	for _, p := range s.Patterns {
		var matched []Column
		for _, col := range f.cols {
			if !placed[col.Name] && matchesPattern(p.Pattern, col.Name) {
				matched = append(matched, col)
			}
		}
		switch p.Order {
		case "asc", "desc":
			slices.SortStableFunc(matched, func(a, b Column) int { return strings.Compare(a.Name, b.Name) })
		case "granny-asc", "granny-desc":
			slices.SortStableFunc(matched, func(a, b Column) int { return grannyCompare(a.Name, b.Name) })
		}
		if strings.HasSuffix(p.Order, "desc") {
			slices.Reverse(matched)
		}
		for _, col := range matched {
			placed[col.Name] = true
			out = append(out, col)
		}
	}
	for _, col := range f.cols {
		if !placed[col.Name] {
			out = append(out, col)
		}
	}
	f.cols = out
	return &pickStage{cols: out}, f
}

// grannyCompare compares names as text, with the runs of digits in them compared as numbers.
func grannyCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := len(na) - len(nb); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && unicode.IsDigit(rune(s[n])) {
		n++
	}
	return n
}
