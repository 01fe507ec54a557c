package input

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The scanner cuts values from bufio's buffer a chunk at a time: values, strings and escapes that
// straddle chunks must come out as they do from one large buffer, with the same lines.
func TestScannerAcrossChunkBoundaries(t *testing.T) {
	for _, name := range []string{"la.ndjson", "la-array.json", "la-query.json", "diag-records.json", "graph-pages.json"} {
		data, err := os.ReadFile(filepath.Join("../../fixtures/shapes", name))
		if err != nil {
			t.Fatal(err)
		}
		// Escapes at every position relative to a chunk's end.
		data = append(data, []byte(`"a\\\"b\\\\\"c\\\\"`+"\n")...)
		values := func(size int) (out []string) {
			s := newScanner(bufio.NewReaderSize(bytes.NewReader(data), size), false)
			for {
				raw, err := s.value()
				if err != nil {
					return append(out, err.Error())
				}
				out = append(out, string(raw)+"@"+string(rune('0'+s.line%10)))
			}
		}
		small, large := values(16), values(1<<20)
		if len(small) < 2 || len(small) != len(large) {
			t.Fatalf("%s: %d values through a small buffer, %d through a large one", name, len(small), len(large))
		}
		for i := range small {
			if small[i] != large[i] {
				t.Errorf("%s value %d differs:\n%.200s\n%.200s", name, i, small[i], large[i])
			}
		}
	}
}
