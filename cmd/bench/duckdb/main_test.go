package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// DuckDB's V2 must give exactly detect's alerts over the FOCI fixture, whose scenarios are V2's
// edge cases: times with a UTC offset or no fraction, a second login whose IncomingTokenType is
// null or missing, a first login exactly at the lookback's edge, other tenants, failed logins.
// Both anchors: a fixed now, and the newest TimeGenerated.
func TestAgreesWithDetectOverTheFOCIFixture(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	detect := filepath.Join(t.TempDir(), "detect")
	build := exec.Command("go", "build", "-o", detect, "./cmd/detect")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building detect: %v\n%s", err, out)
	}
	fixture := filepath.Join(root, "fixtures", "foci", "signins.ndjson")
	clients := filepath.Join(root, "rules", "foci", "foci-clients.csv")
	for _, now := range []string{"2026-11-20T12:00:00Z", "latest"} {
		t.Run(now, func(t *testing.T) {
			cmd := exec.Command(detect, "run", "-q", "--rule", "rules/foci/v2.yaml", "--now", now, fixture)
			cmd.Dir = root
			alerts, err := cmd.Output()
			if err != nil {
				t.Fatalf("detect run: %v", err)
			}
			if len(alerts) == 0 {
				t.Fatal("detect finds no alerts: the comparison would prove nothing")
			}
			saved := filepath.Join(t.TempDir(), "alerts.ndjson")
			if err := os.WriteFile(saved, alerts, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := run([]string{fixture}, clients, now, 0, "", saved, true); err != nil {
				t.Error(err)
			}
		})
	}
}
