package pipeline

import (
	"strconv"
	"strings"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/record"
)

// writeKey appends v to a key so that two values write the same text exactly when they are the
// same value of the same type: strings case-sensitively, dynamic values by their JSON text, and
// null apart from everything else (including "").
func writeKey(b *strings.Builder, v any) {
	if v == nil {
		b.WriteString("n;")
		return
	}
	s := kql.ToString(v)
	// The type keeps the string "1" apart from the long 1; the length keeps ("a|b", "c") apart
	// from ("a", "b|c").
	b.WriteString(strconv.Itoa(int(kql.TypeOf(v))))
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(len(s)))
	b.WriteByte(':')
	b.WriteString(s)
}

// groupKey encodes values for grouping, where nulls form a group of their own.
func groupKey(values []any) string {
	var b strings.Builder
	for _, v := range values {
		writeKey(&b, v)
	}
	return b.String()
}

// joinKey encodes the key columns of a row for a join; ok is false when one is null, for a null
// key matches nothing.
func joinKey(row record.Row, keys []string) (string, bool) {
	var b strings.Builder
	for _, k := range keys {
		v := row.Get(k)
		if v == nil {
			return "", false
		}
		writeKey(&b, v)
	}
	return b.String(), true
}

// rowKey is a row's join key; ok is false when one of its key columns is null.
type rowKey struct {
	key string
	ok  bool
}

// joinKeys is joinKey of each row, on parts of the rows at once: reading the key columns of rows
// read long ago waits on memory more than it computes.
func (r *runner) joinKeys(rows []record.Row, keys []string) []rowKey {
	out := make([]rowKey, len(rows))
	_ = r.inParts(len(rows), r.parts(len(rows)), func(_ *runner, _, lo, hi int) error {
		for i := lo; i < hi; i++ {
			out[i].key, out[i].ok = joinKey(rows[i], keys)
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
