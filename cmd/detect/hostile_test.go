package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// zerosCompressed is n zero bytes through gzip or zstd at their best compression: the red-team
// pass's bombs were 1 GB of zeros, a 1 MB gzip file and a 33 KB zstd one.
func zerosCompressed(t *testing.T, n int, useZstd bool) []byte {
	var out bytes.Buffer
	var w io.WriteCloser
	if useZstd {
		zw, err := zstd.NewWriter(&out, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
		if err != nil {
			t.Fatal(err)
		}
		w = zw
	} else {
		w, _ = gzip.NewWriterLevel(&out, gzip.BestCompression)
	}
	zeros := make([]byte, 1<<20)
	for ; n > 0; n -= len(zeros) {
		if _, err := w.Write(zeros[:min(n, len(zeros))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// The bombs, a file of a line over the size limit's first part, and /dev/zero beside the fixture:
// each is reported, the fixture's alerts come out unchanged, and the run exits 0 (2 only with
// --strict).
func TestBombsAndDevicesBesideValidInput(t *testing.T) {
	clean := detect(t, "", "run", "--rule", v2Rule, "--now", now, fixture)
	dir := t.TempDir()
	gz, zst := filepath.Join(dir, "zeros.csv.gz"), filepath.Join(dir, "zeros.zst")
	if err := os.WriteFile(gz, zerosCompressed(t, 16<<20, false), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(zst, zerosCompressed(t, 16<<20, true), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"run", "--rule", v2Rule, "--now", now, gz, zst, "/dev/zero", fixture}
	got := detect(t, "", args...)
	for _, want := range []string{
		gz + ": unknown file shape: binary data",
		zst + ": unknown file shape: binary data",
		"/dev/zero: not a regular file: a device, skipped",
		"summary: 3 files, 120 records read, 3 rejected (not a regular file 1, unknown file shape 2)",
	} {
		if !strings.Contains(got.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, got.stderr)
		}
	}
	if got.status != 0 || withoutSources(got.alerts) != withoutSources(clean.alerts) {
		t.Errorf("status %d, %d alerts (clean: %d)", got.status, len(got.alerts), len(clean.alerts))
	}
	if strict := detect(t, "", append([]string{"run", "--strict"}, args[1:]...)...); strict.status != 2 || len(strict.alerts) != len(clean.alerts) {
		t.Errorf("--strict: status %d, %d alerts", strict.status, len(strict.alerts))
	}

	// A bomb that is not binary (line ends): stopped by the ratio.
	var lines bytes.Buffer
	w, _ := gzip.NewWriterLevel(&lines, gzip.BestCompression)
	blank := bytes.Repeat([]byte{'\n'}, 1<<20)
	for range 40 {
		w.Write(blank)
	}
	w.Close()
	blanks := filepath.Join(dir, "blanks.ndjson.gz")
	if err := os.WriteFile(blanks, lines.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got = detect(t, "", "run", "--rule", v2Rule, "--now", now, blanks, fixture)
	if !strings.Contains(got.stderr, blanks+":") || !strings.Contains(got.stderr, ": decompression limit: gzip: ") ||
		got.status != 0 || withoutSources(got.alerts) != withoutSources(clean.alerts) {
		t.Errorf("a bomb of line ends: status %d, %d alerts\n%s", got.status, len(got.alerts), got.stderr)
	}
	if low := detect(t, "", "run", "--rule", v2Rule, "--now", now, "--max-ratio", "0", "--max-decompressed", "1MB", blanks); !strings.Contains(low.stderr, "expands past 1 MB (--max-decompressed)") {
		t.Errorf("--max-decompressed: %s", low.stderr)
	}
}

// One record dated 9999, of an app no rule reads, no longer moves --now latest: it is rejected as
// dated in the future, and the alerts are those of the fixture alone.
func TestAFutureRecordDoesNotMoveNowLatest(t *testing.T) {
	clean := detect(t, "", "run", "--rule", v2Rule, "--now", "latest", fixture)
	future := filepath.Join(t.TempDir(), "future.ndjson")
	row := `{"TimeGenerated":"9999-12-31T23:59:59Z","Type":"AADNonInteractiveUserSignInLogs","AppId":"00000000-0000-0000-0000-000000000000","AppDisplayName":"Nobody reads this"}` + "\n"
	if err := os.WriteFile(future, []byte(row), 0o644); err != nil {
		t.Fatal(err)
	}
	got := detect(t, "", "run", "--rule", v2Rule, "--now", "latest", future, fixture)
	if got.status != 0 || len(clean.alerts) == 0 || withoutSources(got.alerts) != withoutSources(clean.alerts) ||
		!strings.Contains(got.stderr, future+":1: dated in the future: TimeGenerated 9999-12-31T23:59:59.0000000Z is later than now") {
		t.Errorf("status %d, %d alerts (clean: %d)\n%s", got.status, len(got.alerts), len(clean.alerts), got.stderr)
	}
	// A skew that admits it lets it move now, and the lookback then drops every row.
	moved := detect(t, "", "run", "--rule", v2Rule, "--now", "latest", "--future-skew", "100000000h", future, fixture)
	if len(moved.alerts) != 0 {
		t.Errorf("--future-skew: %d alerts", len(moved.alerts))
	}
}

// failingReader fails the test when read: the input must not be read.
type failingReader struct{ t *testing.T }

func (r failingReader) Read([]byte) (int, error) {
	r.t.Error("the input was read before --output was checked")
	return 0, io.EOF
}

// An --output that cannot be written fails before any input is read.
func TestAnUnwritableOutputFailsBeforeReading(t *testing.T) {
	var out, errOut bytes.Buffer
	missing := filepath.Join(t.TempDir(), "no", "such", "folder", "alerts.ndjson")
	status := dispatch([]string{"run", "--rule", v2Rule, "--now", now, "--output", missing, "-"}, failingReader{t}, &out, &errOut)
	if status != 1 || !strings.Contains(errOut.String(), "detect run: open "+filepath.Dir(missing)) {
		t.Errorf("status %d\n%s", status, errOut.String())
	}
}

// A FIFO in an input folder is skipped with a report; it hung the run forever.
func TestAFIFOInAnInputFolderIsSkipped(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "signins.ndjson"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.ndjson"), 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	done := make(chan result, 1)
	go func() { done <- detect(t, "", "run", "--rule", v2Rule, "--now", now, dir) }()
	select {
	case got := <-done:
		clean := detect(t, "", "run", "--rule", v2Rule, "--now", now, fixture)
		if got.status != 0 || withoutSources(got.alerts) != withoutSources(clean.alerts) ||
			!strings.Contains(got.stderr, filepath.Join(dir, "pipe.ndjson")+": not a regular file: a named pipe (FIFO), skipped") {
			t.Errorf("status %d, %d alerts\n%s", got.status, len(got.alerts), got.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the run hangs on a FIFO")
	}
}

// A lookup that points out of its rule pack is refused by run and check, and check does not
// print its content.
func TestALookupOutsideItsPackIsRefused(t *testing.T) {
	dir := t.TempDir()
	pack := filepath.Join(dir, "pack")
	if err := os.Mkdir(pack, 0o755); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "secret.csv")
	if err := os.WriteFile(secret, []byte("password,hunter2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rule := `id: 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d
name: leaks
severity: Low
table: AADNonInteractiveUserSignInLogs
lookups:
  L: {file: ../secret.csv, column: client_id}
stages:
  - where: AppId in L
`
	path := filepath.Join(pack, "leak.yaml")
	if err := os.WriteFile(path, []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	check := detect(t, "", "check", path)
	run := detect(t, "", "run", "--rule", path, "--now", now, fixture)
	for name, got := range map[string]result{"check": check, "run": run} {
		if got.status != 1 || !strings.Contains(got.stdout+got.stderr, path+":6:3: lookup L: "+secret+": outside the rule's folder") ||
			strings.Contains(got.stdout+got.stderr, "hunter2") {
			t.Errorf("%s: status %d\n%s%s", name, got.status, got.stdout, got.stderr)
		}
	}
	// A lookup of /dev/zero crashed check; allowed or not, it is refused, not read.
	zero := filepath.Join(pack, "zero.yaml")
	if err := os.WriteFile(zero, []byte(strings.Replace(rule, "../secret.csv", "/dev/zero", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"check", zero}, {"check", "--allow-outside", "/dev", zero}} {
		if got := detect(t, "", args...); got.status != 1 || !strings.Contains(got.stdout, zero+":6:3: lookup L: /dev/zero: ") {
			t.Errorf("%v: status %d\n%s%s", args, got.status, got.stdout, got.stderr)
		}
	}
	os.Remove(zero)
	allowed := detect(t, "", "check", "--allow-outside", dir, path)
	if allowed.status != 1 || !strings.Contains(allowed.stdout, `has no column "client_id" in its header row (of 2 columns)`) || strings.Contains(allowed.stdout+allowed.stderr, "hunter2") {
		t.Errorf("allowed: status %d\n%s%s", allowed.status, allowed.stdout, allowed.stderr)
	}
}

// buildDetect builds the binary, for what only a process shows: signals and exit statuses.
func buildDetect(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	binary := filepath.Join(t.TempDir(), "detect")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return binary
}

// SIGINT and SIGTERM remove the --output file's temporary file and leave the target as it was;
// a run over its memory ceiling exits 3, a status of its own.
func TestSignalsAndTheMemoryCeilingAsAProcessSeesThem(t *testing.T) {
	binary := buildDetect(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		dir := t.TempDir()
		target := filepath.Join(dir, "alerts.ndjson")
		if err := os.WriteFile(target, []byte("old\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(binary, "run", "--rule", v2Rule, "--now", now, "--output", target, "-")
		stdin, _ := cmd.StdinPipe() // left open: the run waits for input
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if entries, _ := os.ReadDir(dir); len(entries) == 2 || time.Now().After(deadline) {
				break // the temporary file is there: the run is reading
			}
		}
		cmd.Process.Signal(sig)
		err := cmd.Wait()
		stdin.Close()
		var exit *exec.ExitError
		entries, _ := os.ReadDir(dir)
		kept, _ := os.ReadFile(target)
		if !errors.As(err, &exit) || exit.ExitCode() != 128+int(sig) || len(entries) != 1 || string(kept) != "old\n" {
			t.Errorf("%v: %v, files %v, target %q\n%s", sig, err, entries, kept, stderr.String())
		}
	}
	cmd := exec.Command(binary, "run", "--rule", v2Rule, "--now", now, "--max-memory", "1MB", "-")
	stdin, _ := cmd.StdinPipe() // left open: the ceiling is below what the runtime holds from the start
	defer stdin.Close()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitOutOfMemory || !strings.Contains(stderr.String(), "detect: out of memory: the process reached") {
		t.Errorf("--max-memory 1MB: %v\n%s", err, stderr.String())
	}
}
