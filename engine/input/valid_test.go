package input

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// Strings of quotes, runs of backslashes, escapes of every kind and control characters, at every
// offset of an eight- and a 32-byte step, long enough to be read a step at a time: cutRecord
// accepts a record exactly when gjson.Valid does, and cuts its fields where fields() does. The
// escapes of a sign-in's JSON-in-a-string columns are found by arithmetic on a step's masks
// (valid_wide.go, built with GOEXPERIMENT=simd): a run of backslashes across two steps, or an
// escape the arithmetic misses, fails this.
func TestCutRecordAgreesWithGjsonOnEscapes(t *testing.T) {
	pieces := []string{`a`, `bcdefgh`, `\"`, `\\`, `\\\"`, `\\\\`, `\\\\\"`, `\n`, `\/`, `\u00e9`, `\u00`, `\x`, `"`, `\`, "\x01", "\t", ` `, `{\"k\":\"v\"}`}
	rng := rand.New(rand.NewPCG(15, 2026))
	var text strings.Builder
	for n := range 200000 {
		text.Reset()
		text.WriteString(`{"Id":"x","DeviceDetail":"`)
		text.WriteString(strings.Repeat("p", n%40)) // every offset in a step
		for range rng.IntN(24) {
			text.WriteString(pieces[rng.IntN(len(pieces))])
		}
		if rng.IntN(4) > 0 {
			text.WriteString(`","Tail":"` + strings.Repeat("q", rng.IntN(40)) + `"}`)
		}
		record := []byte(text.String())
		var keys []string
		got, ok := cutRecord(record, nil, &keys)
		if want := gjson.ValidBytes(record); ok != want {
			t.Fatalf("cutRecord %v, gjson.Valid %v: %q", ok, want, record)
		}
		if ok {
			if want := fields(record, nil); len(got) != len(want) || got[1] != want[1] {
				t.Fatalf("fields %v, want %v: %q", got, want, record)
			}
		}
	}
}
