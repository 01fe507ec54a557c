package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSoak feeds 200k rows of cmd/gen through --stream in 5-minute out-of-order batches, kills
// the stream (SIGKILL: no last checkpoint) in the middle and restarts it with the same --state and
// --output, and gets exactly the alerts of one batch run over the rows in order, each once.
func TestSoak(t *testing.T) {
	binary := buildDetect(t)
	started := time.Now()
	dir := t.TempDir()
	ordered := generated(t, 200_000, "5h", v2Rule)
	batchFile := writeLines(t, filepath.Join(dir, "ordered.ndjson"), ordered)
	streamFile := writeLines(t, filepath.Join(dir, "batches.ndjson"), inFiveMinuteBatches(ordered, 3))
	ordered = nil
	t.Logf("generated in %s", time.Since(started))

	batch := exec.Command(binary, "run", "--rule", v2Rule, "--now", "latest", batchFile)
	want, err := batch.Output()
	if err != nil {
		t.Fatal(err)
	}
	state, alerts := filepath.Join(dir, "state"), filepath.Join(dir, "alerts.ndjson")
	stream := func() *exec.Cmd {
		cmd := exec.Command(binary, "run", "--rule", v2Rule, "--stream", "--state", state, "--state-every", "100ms", "--output", alerts, streamFile)
		cmd.Stderr = &bytes.Buffer{}
		return cmd
	}
	first := stream()
	streamStart := time.Now()
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it in the middle: once it has written a fifth of the alerts and checkpointed after that
	// (a checkpoint taken before any row was read would leave the restart nothing to skip).
	var fifth time.Time
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if fifth.IsZero() {
			written, _ := os.ReadFile(alerts)
			if 5*bytes.Count(written, []byte{'\n'}) >= bytes.Count(want, []byte{'\n'}) {
				fifth = time.Now()
			}
			continue
		}
		if info, err := os.Stat(state); err == nil && info.ModTime().After(fifth) {
			break
		}
	}
	first.Process.Signal(syscall.SIGKILL)
	err = first.Wait()
	if ws, ok := first.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("the first stream ended before it was killed: %v\n%s", err, first.Stderr)
	}
	killed, _ := os.ReadFile(alerts)
	second := stream()
	if err := second.Run(); err != nil {
		t.Fatalf("%v\n%s", err, second.Stderr)
	}
	t.Logf("streams: %s; killed with %d alerts written; restart: %s", time.Since(streamStart), bytes.Count(killed, []byte{'\n'}), lastLines(second.Stderr.(*bytes.Buffer).String(), 4))
	written, _ := os.ReadFile(alerts)
	got, ids := parseAlerts(t, written), map[string]bool{}
	for _, a := range got {
		id, _ := a["_id"].(string)
		if id == "" || ids[id] {
			t.Fatalf("alert id %q missing or written twice", id)
		}
		ids[id] = true
	}
	wantValues, gotValues := alertValues(parseAlerts(t, want)), alertValues(got)
	if len(wantValues) < 20 || strings.Join(gotValues, "\n") != strings.Join(wantValues, "\n") {
		t.Errorf("stream with a kill: %d alerts, batch in order: %d", len(gotValues), len(wantValues))
	}
	if !strings.Contains(second.Stderr.(*bytes.Buffer).String(), "read before the checkpoint skipped") {
		t.Errorf("the restart skipped nothing:\n%s", second.Stderr)
	}
	t.Logf("soak: %s", time.Since(started))
}

func parseAlerts(t *testing.T, data []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var a map[string]any
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("%v: %q", err, line)
		}
		out = append(out, a)
	}
	return out
}

func lastLines(text string, n int) string {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
