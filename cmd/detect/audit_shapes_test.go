package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

const auditRules = "../../rules/audit/"

// The alerts each AuditLogs rule raises on fixtures/audit, worked out by hand in
// fixtures/audit/README.md.
var auditAlerts = map[string]int{
	"privileged-role-outside-pim.yaml": 2, "conditional-access-policy-deleted.yaml": 2, "conditional-access-policy-disabled.yaml": 1,
}

// One set of audit events in every shape (Log Analytics NDJSON, array, query response and portal
// CSV; diagnostic settings blobs and Event Hubs batches; Graph directoryAudits pages v1.0 and
// beta, and an array), plain, gzip and zstd, gives every AuditLogs rule the same alerts. A Graph
// directoryAudit lacks the columns diagnostic settings fill from their envelope, so those are
// compared in the other shapes only.
func TestEveryAuditShapeGivesTheSameAlerts(t *testing.T) {
	run := func(file string) result {
		return detect(t, "", "run", "--rule", auditRules, "--now", shapesNow, file)
	}
	comparable := func(r result, graph bool) string {
		for _, a := range r.alerts {
			if graph {
				for _, c := range auditColumnsGraphLacks {
					delete(a, c)
				}
			}
		}
		return withoutSources(r.alerts)
	}
	ref := run(filepath.Join(auditDir, "la.ndjson"))
	if ref.status != 0 || !strings.Contains(ref.stderr, "summary: 1 files, 18 records read, 0 rejected, 5 alerts") {
		t.Fatalf("la.ndjson: status %d\n%s", ref.status, ref.stderr)
	}
	counts := map[string]int{}
	for _, a := range ref.alerts {
		counts[filepath.Base(a["_rule"].(map[string]any)["file"].(string))]++
	}
	for name, want := range auditAlerts {
		if counts[name] != want {
			t.Errorf("%s raised %d alerts, want %d", name, counts[name], want)
		}
	}
	// The columns the Graph shapes lack are there in the reference, so leaving them out of the
	// comparison hides nothing else.
	for _, c := range auditColumnsGraphLacks {
		if v, _ := json.Marshal(ref.alerts[len(ref.alerts)-1][c]); string(v) == `""` || string(v) == "null" {
			t.Errorf("the reference alerts lack %s", c)
		}
	}
	want := map[bool]string{false: comparable(run(filepath.Join(auditDir, "la.ndjson")), false), true: comparable(run(filepath.Join(auditDir, "la.ndjson")), true)}
	names := sortedNames(renderAudit())
	if len(names) != 30 {
		t.Fatalf("%d audit shape files, want 10 shapes, plain, gzip and zstd", len(names))
	}
	for _, name := range names {
		got := run(filepath.Join(auditDir, name))
		if got.status != 0 || !strings.Contains(got.stderr, "summary: 1 files, 18 records read, 0 rejected, 5 alerts") {
			t.Errorf("%s: status %d\n%s", name, got.status, got.stderr)
			continue
		}
		graph := strings.HasPrefix(name, "graph-")
		if c := comparable(got, graph); c != want[graph] {
			t.Errorf("%s gives other alerts than la.ndjson:\n%s\nwant:\n%s", name, c, want[graph])
		}
	}
}
