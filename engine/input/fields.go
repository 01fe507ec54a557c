package input

import (
	"bytes"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"
)

// field is one field of a JSON object: its key (as written, quotes off) and its value's text.
type field struct{ key, value []byte }

// fields appends to out the fields of obj, the text of a JSON object that gjson.Valid has found
// valid, without parsing or unescaping any value: a record's columns are cut out in one pass that
// costs little more than finding its quotes, and only the values a rule reads are decoded.
func fields(obj []byte, out []field) []field {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return out
	}
	i = skipSpace(obj, i+1)
	for i < len(obj) && obj[i] == '"' {
		end := skipString(obj, i)
		key := obj[i+1 : end-1]
		i = skipSpace(obj, end)
		i = skipSpace(obj, i+1) // the colon
		start := i
		i = skipValue(obj, i)
		out = append(out, field{key: key, value: obj[start:i]})
		i = skipSpace(obj, i)
		if i < len(obj) && obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
	return out
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// skipString returns the index after the string that starts (with its quote) at i.
func skipString(b []byte, i int) int {
	i++
	for {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return len(b)
		}
		i += q
		// A quote after an odd number of backslashes is escaped.
		backslashes := 0
		for j := i - 1; j >= 0 && b[j] == '\\'; j-- {
			backslashes++
		}
		i++
		if backslashes%2 == 0 {
			return i
		}
	}
}

// skipValue returns the index after the value that starts at i.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && !isSpace(b[i]) {
		i++
	}
	return i
}

// text is b as a string without a copy, for reading only while b is.
func text(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// fieldsRow reads the wanted columns from a record's fields: as row, with one pass over the record,
// interning its strings in the worker's table. With a filter, a record that fails it has no row but
// the values of the filter's columns (see filteredValues).
func (c *converter) fieldsRow(fs []field, w *worker) (values map[string]any, dropped []any, err error) {
	hits := w.hits[:0]
	for range c.columns {
		hits = append(hits, found{})
	}
	w.hits = hits
	keys := w.keys[c]
	if keys == nil {
		keys = &[]knownKey{}
		w.keys[c] = keys
	}
	walkFields(fs, c.root, hits, keys)
	if c.filter == nil {
		values, err = c.values(hits, w.strs)
		return values, nil, err
	}
	test := w.tests[c]
	if test == nil {
		test = c.filter.NewTest()
		w.tests[c] = test
	}
	return c.filteredValues(hits, w.strs, test, w.few, w.scratch)
}

// knownKey is the key a record had at some position of its fields, and where it leads. The records
// of an export list their fields in one order, so a field's key is found by comparing it with the
// one the record before had there, not by hashing it.
type knownKey struct {
	key  string
	node *pathNode
}

// walkFields is walk over fields cut out by fields, keeping each value's text: a value is parsed
// only when its column is converted. keys, when not nil, holds the keys met at each position.
func walkFields(fs []field, n *pathNode, hits []found, keys *[]knownKey) {
	for i, f := range fs {
		var next *pathNode
		switch {
		case keys != nil && i < len(*keys) && (*keys)[i].key == text(f.key):
			next = (*keys)[i].node
		default:
			next = n.children[text(f.key)]
			if keys != nil && i <= len(*keys) {
				known := knownKey{key: string(f.key), node: next}
				if i == len(*keys) {
					*keys = append(*keys, known)
				} else {
					(*keys)[i] = known
				}
			}
		}
		if next == nil || len(f.value) == 0 {
			continue
		}
		if f.value[0] == 'n' { // null
			continue
		}
		for _, end := range next.ends {
			if h := &hits[end.column]; !h.ok || end.rank < h.rank {
				*h = found{raw: f.value, rank: end.rank, ok: true}
			}
		}
		if next.children != nil && f.value[0] == '{' {
			walkFields(fields(f.value, nil), next, hits, nil)
		}
	}
}

// tableOf is router.table over a record's fields, for a router that tests a top-level field.
func (r *router) tableOf(fs []field) (string, bool) {
	if strings.Contains(r.path, ".") {
		return "", false
	}
	for _, f := range fs {
		if text(f.key) != r.path {
			continue
		}
		v := gjson.Parse(text(f.value))
		if v.Type == gjson.Null || v.String() == "" {
			return "", true
		}
		if t, ok := r.tables[v.String()]; ok {
			return t, true
		}
		return strings.Clone(v.String()), true
	}
	return "", true
}
