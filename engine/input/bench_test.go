package input

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/schema"
)

// countingSink counts what a Read gives, keeping nothing.
type countingSink struct{ rows, other, rejected, filtered int }

func (c *countingSink) Row(string, record.Row)           { c.rows++ }
func (c *countingSink) Other(string)                     { c.other++ }
func (c *countingSink) Reject(Rejection)                 { c.rejected++ }
func (c *countingSink) Filtered(string, time.Time, bool) { c.filtered++ }

// BenchmarkRead reads each shape of fixtures/shapes, repeated to about 4 MB, keeping the columns
// the V2 rule reads: b.SetBytes makes the MB/s the input's (compressed, for .gz and .zst).
func BenchmarkRead(b *testing.B) {
	v2Columns := []string{"TimeGenerated", "HomeTenantId", "ResourceTenantId", "AppId", "IncomingTokenType", "SessionId",
		"UserPrincipalName", "AppDisplayName", "AuthenticationProcessingDetails", "ResultType", "ResultDescription", "Identity",
		"Location", "ClientAppUsed", "DeviceDetail", "IPAddress", "LocationDetails", "UserAgent", "ResourceIdentity"}
	var want []Want
	for _, name := range []string{nonInteractive, interactive} {
		table, err := schema.Lookup(name)
		if err != nil {
			b.Fatal(err)
		}
		want = append(want, Want{Table: table, Columns: v2Columns})
	}
	r, err := NewReader(want, FormatAuto)
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"la.ndjson", "la-array.json", "la-portal.csv", "diag-PT1H.json", "diag-eventhubs.json", "graph-pages.json", "la.ndjson.gz", "la.ndjson.zst"} {
		one, err := os.ReadFile(filepath.Join("../../fixtures/shapes", name))
		if err != nil {
			b.Fatal(err)
		}
		// gzip members, zstd frames, NDJSON lines and JSON documents may follow one another; a CSV
		// file repeats its rows under one header.
		body := one
		if name == "la-portal.csv" {
			body = one[bytes.IndexByte(one, '\n')+1:]
		}
		data := append([]byte(nil), one...)
		for len(data) < 4<<20 && (len(one) > 10<<10 || len(data) < 400<<10) {
			data = append(data, body...)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			var sink countingSink
			for i := 0; i < b.N; i++ {
				sink = countingSink{}
				r.Read(name, bytes.NewReader(data), &sink)
			}
			if sink.rejected > 0 || sink.rows == 0 {
				b.Fatalf("%d rows, %d rejected", sink.rows, sink.rejected)
			}
		})
	}
}

// BenchmarkValidate validates the records of fixtures/shapes/la.ndjson (one core): gjson.Valid, the
// floor `make bench` measures against, and cutRecord, which also cuts the fields out.
func BenchmarkValidate(b *testing.B) {
	data, err := os.ReadFile("../../fixtures/shapes/la.ndjson")
	if err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte{'\n'})
	b.Run("gjson.Valid", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for i := 0; i < b.N; i++ {
			for _, line := range lines {
				if !gjson.ValidBytes(line) {
					b.Fatal("invalid")
				}
			}
		}
	})
	b.Run("cutRecord", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		var out []field
		var keys []string
		for i := 0; i < b.N; i++ {
			for _, line := range lines {
				var ok bool
				if out, ok = cutRecord(line, out[:0], &keys); !ok {
					b.Fatal("invalid")
				}
			}
		}
	})
}
