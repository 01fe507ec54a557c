package pipeline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/input"
	"github.com/signin-detect/detect/engine/record"
)

// holdingSink keeps the rows a read gives, as a batch run does until its rules run.
type holdingSink struct{ rows map[string][]record.Row }

func (h *holdingSink) Row(table string, row record.Row) { h.rows[table] = append(h.rows[table], row) }
func (h *holdingSink) Other(string)                     {}
func (h *holdingSink) Reject(input.Rejection)           {}
func (h *holdingSink) Filtered(string, time.Time, bool) {}

// heldSignins is NDJSON of n non-interactive sign-ins made from the Log Analytics records of
// fixtures/shapes/la.ndjson, in sessions of five (a first login, then refresh logins) with their
// own ids, users and times, as an export has them.
func heldSignins(tb testing.TB, n int) []byte {
	f, err := os.Open("../../fixtures/shapes/la.ndjson")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var templates []map[string]any
	lines := bufio.NewScanner(f)
	lines.Buffer(nil, 1<<20)
	for lines.Scan() {
		var rec map[string]any
		if json.Unmarshal(lines.Bytes(), &rec) == nil && rec["Type"] == "AADNonInteractiveUserSignInLogs" {
			templates = append(templates, rec)
		}
	}
	if len(templates) == 0 {
		tb.Fatal("no non-interactive sign-in in fixtures/shapes/la.ndjson")
	}
	start := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	for i := range n {
		rec := templates[i%len(templates)]
		session := i / 5
		rec["SessionId"] = fmt.Sprintf("%08x-6cc4-4be8-803c-1ca67d424021", session)
		rec["CorrelationId"] = fmt.Sprintf("%08x-86a8-4e56-8e20-360303ceb77c", i)
		rec["Id"] = fmt.Sprintf("%08x-2490-4e77-8a6f-72683e16789c", i)
		rec["UserPrincipalName"] = fmt.Sprintf("user%d@contoso.example", session%500)
		rec["TimeGenerated"] = start.Add(time.Duration(i) * 100 * time.Millisecond).Format("2006-01-02T15:04:05.000Z")
		rec["IncomingTokenType"] = "refreshToken"
		if i%5 == 0 {
			rec["IncomingTokenType"] = "none"
		}
		line, err := json.Marshal(rec)
		if err != nil {
			tb.Fatal(err)
		}
		out.Write(append(line, '\n'))
	}
	return out.Bytes()
}

// liveHeap is the heap in use after collections (the second frees what pools kept through the
// first).
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkHeldRowBytes reports the memory a held row costs: bytes/row of the rows a read keeps of
// 50,000 sign-ins (the columns the rule reads), of the pairs a FOCI-shaped self-join makes
// (sessions of five: four pairs each), and of the groups a summarize makes (one per session). A
// stage's figure is the heap its output adds, over its output rows; its "alone" figure, the heap
// its output keeps once the rows read are let go (what a value shared with a row read keeps of
// it), over its output rows. That one shows most plainly on a projection of two columns.
func BenchmarkHeldRowBytes(b *testing.B) {
	const n = 50000
	data := heldSignins(b, n)
	cases := []struct{ name, body string }{
		{"join", `stages:
  - where: IncomingTokenType == "none"
  - join:
      kind: inner
      on: [SessionId, UserPrincipalName]
      right:
        stages:
          - where: IncomingTokenType != "none"
          - project-rename:
              SecondAppDisplayName: AppDisplayName
              SecondTimeGenerated: TimeGenerated
  - extend:
      Gap: SecondTimeGenerated - TimeGenerated
  - project: [TimeGenerated, SessionId, UserPrincipalName, AppDisplayName, SecondAppDisplayName, Gap, IPAddress, AuthenticationProcessingDetails]
`},
		{"project", `stages:
  - project: [TimeGenerated, SessionId]
`},
		{"summarize", `stages:
  - summarize:
      by: [SessionId, UserPrincipalName]
      aggregates:
        - First: min(TimeGenerated)
        - Apps: make_set(AppDisplayName)
        - SignIns: count()
        - arg_max(TimeGenerated, AppDisplayName, IPAddress, AuthenticationProcessingDetails)
`},
	}
	for _, c := range cases {
		p, err := compileRuleB(b, c.body)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			var readBytes, heldBytes, aloneBytes float64
			for b.Loop() {
				var want []input.Want
				for _, in := range p.Inputs {
					want = append(want, input.Want{Table: in.Table, Columns: in.Columns})
				}
				r, err := input.NewReader(want, input.FormatAuto)
				if err != nil {
					b.Fatal(err)
				}
				before := liveHeap()
				sink := &holdingSink{rows: map[string][]record.Row{}}
				r.Read("signins.ndjson", bytes.NewReader(data), sink)
				read := sink.rows["AADNonInteractiveUserSignInLogs"]
				afterRead := liveHeap()
				out, _, err := p.Run(sink.rows)
				if err != nil || len(read) != n || len(out) == 0 {
					b.Fatal(len(read), len(out), err)
				}
				held := liveHeap()
				readBytes = float64(int64(afterRead)-int64(before)) / float64(len(read))
				heldBytes = float64(int64(held)-int64(afterRead)) / float64(len(out))
				runtime.KeepAlive(sink)
				sink, read = nil, nil
				aloneBytes = float64(int64(liveHeap())-int64(before)) / float64(len(out))
				runtime.KeepAlive(out)
			}
			b.ReportMetric(readBytes, "read-bytes/row")
			b.ReportMetric(heldBytes, c.name+"-bytes/row")
			b.ReportMetric(aloneBytes, c.name+"-alone-bytes/row")
		})
	}
}
