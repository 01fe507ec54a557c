package pipeline

import (
	"strconv"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/record"
)

// appendKey appends v to a key so that two values write the same text exactly when they are the
// same value of the same type: strings case-sensitively, dynamic values by their JSON text, and
// null apart from everything else (including "").
func appendKey(b []byte, v any) []byte {
	if v == nil {
		return append(b, "n;"...)
	}
	s := kql.ToString(v)
	// The type keeps the string "1" apart from the long 1; the length keeps ("a|b", "c") apart
	// from ("a", "b|c").
	b = strconv.AppendInt(b, int64(kql.TypeOf(v)), 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

// groupKey encodes values for grouping, where nulls form a group of their own.
func groupKey(values []any) string {
	var b []byte
	for _, v := range values {
		b = appendKey(b, v)
	}
	return string(b)
}

// joinKey encodes the key columns of a row for a join; ok is false when one is null, for a null
// key matches nothing.
func joinKey(row record.Row, keys []string) (string, bool) {
	b, ok := appendJoinKey(nil, row, keys, nil)
	return string(b), ok
}

// appendJoinKey appends joinKey's text to b. byColumns, when set, reads keys: code that keys
// every row of a run looks the columns up by slot.
func appendJoinKey(b []byte, row record.Row, keys []string, byColumns *record.Columns) ([]byte, bool) {
	for i, k := range keys {
		var v any
		if byColumns != nil {
			v = byColumns.Get(row, i)
		} else {
			v = row.Get(k)
		}
		if v == nil {
			return b, false
		}
		b = appendKey(b, v)
	}
	return b, true
}

// rowKey is a row's join key; ok is false when one of its key columns is null.
type rowKey struct {
	key string
	ok  bool
}

// joinKeys is joinKey of each row, on parts of the rows at once: reading the key columns of rows
// read long ago waits on memory more than it computes. With index, only the rows whose key it
// holds get theirs; the others get none (ok false), as a null key, which matches nothing either:
// most rows of a selective join find no partner, and the text of their keys is then never made a
// string.
func (r *runner) joinKeys(rows []record.Row, keys []string, index map[string][]int) []rowKey {
	out := make([]rowKey, len(rows))
	_ = r.inParts(len(rows), r.parts(len(rows)), func(_ *runner, _, lo, hi int) error {
		var b []byte
		byColumns := record.NewColumns(keys...)
		for i := lo; i < hi; i++ {
			var ok bool
			if b, ok = appendJoinKey(b[:0], rows[i], keys, byColumns); !ok {
				continue
			}
			if index == nil || index[string(b)] != nil {
				out[i] = rowKey{key: string(b), ok: true}
			}
		}
		return nil
	})
	return out
}

// sourceSet gathers the input records a result row was made from, each once, in the order met.
type sourceSet struct {
	list []record.Source
	seen map[record.Source]bool
}

func (s *sourceSet) add(sources []record.Source) {
	if s.seen == nil {
		s.seen = map[record.Source]bool{}
	}
	for _, src := range sources {
		if !s.seen[src] {
			s.seen[src] = true
			s.list = append(s.list, src)
		}
	}
}
