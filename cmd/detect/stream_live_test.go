package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/signin-detect/detect/engine/pipeline"
	"github.com/signin-detect/detect/engine/session"
)

// pairsRule pairs two sign-ins of one session within half an hour: a short lookback, so that a
// stream forgets rows all along its input.
const pairsRule = `id: 3e9f6a2b-8c1d-4e7f-a5b3-9d2c1e0f8a7b
name: two sign-ins of one session within half an hour
severity: Low
queryPeriod: 30m
table: AADNonInteractiveUserSignInLogs
stages:
  - name: recent
    where: TimeGenerated > ago("30m")
  - name: session-pairs
    join:
      kind: inner
      on: [SessionId, UserPrincipalName]
      right:
        stages:
          - project-rename: {LaterTime: TimeGenerated, LaterApp: AppDisplayName}
  - where: LaterTime > TimeGenerated and LaterTime - TimeGenerated < totimespan("30m")
  - project: [UserPrincipalName, TimeGenerated, AppDisplayName, LaterTime, LaterApp]
`

// generated writes n rows of cmd/gen over span (in TimeGenerated order), keeping of each only the
// columns the rules read (gen's rows are 4 KB of columns no rule reads), and returns the lines.
func generated(t *testing.T, n int, span string, rules ...string) []string {
	t.Helper()
	rs, err := session.Load(rules, nil, session.Tuning{})
	if err != nil {
		t.Fatal(err)
	}
	plans, err := rs.Compile(pipeline.Options{})
	if err != nil {
		t.Fatal(err)
	}
	keep := map[string]bool{"TimeGenerated": true}
	for _, p := range plans {
		for _, c := range p.Inputs[0].Columns {
			keep[c] = true
		}
	}
	var columns []string
	for c := range keep {
		columns = append(columns, c)
	}
	cmd := exec.Command("go", "run", "../gen", "-n", strconv.Itoa(n), "-span", span, "-columns", strings.Join(columns, ","))
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	scanner := bufio.NewScanner(stdout)
	scanner.Buffer(nil, 1<<20)
	for scanner.Scan() {
		lines = append(lines, scanner.Text())
	}
	if err := cmd.Wait(); err != nil || len(lines) != n {
		t.Fatalf("gen: %v, %d rows", err, len(lines))
	}
	return lines
}

func fiveMinutes(line string) time.Time {
	at, _ := time.Parse(time.RFC3339Nano, gjson.Get(line, "TimeGenerated").Str)
	return at.Truncate(5 * time.Minute)
}

// inFiveMinuteBatches delivers ordered rows as Event Hubs and diagnostic settings do: in batches
// of five minutes each, shuffled within the batch.
func inFiveMinuteBatches(lines []string, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 0))
	var out, batch []string
	var window time.Time
	for _, line := range lines {
		if w := fiveMinutes(line); !w.Equal(window) {
			r.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
			out, batch, window = append(out, batch...), nil, w
		}
		batch = append(batch, line)
	}
	r.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
	return append(out, batch...)
}

func writeLines(t *testing.T, path string, lines []string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// alertValues are the alerts as their values alone, sorted: the same rows read from other lines
// (or files) give the same alert values.
func alertValues(alerts []map[string]any) []string {
	var out []string
	for _, a := range alerts {
		delete(a, "_sources")
		delete(a, "_id")
		line, _ := json.Marshal(a)
		out = append(out, string(line))
	}
	sort.Strings(out)
	return out
}

// Event Hubs delivers 5-minute batches, not time order: a stream lost 17 of 27 alerts, with no
// counter. Within --max-lateness it gives the alerts of the same rows in order; a row later than
// that is rejected as late, and counted; a row dated 9999 does not move the stream's clock.
func TestAnOutOfOrderStreamGivesTheAlertsOfTheRowsInOrder(t *testing.T) {
	dir := t.TempDir()
	rule := writeLines(t, filepath.Join(dir, "pairs.yaml"), []string{pairsRule})
	ordered := generated(t, 6000, "2h", rule)
	shuffled := inFiveMinuteBatches(ordered, 1)
	future := strings.Replace(shuffled[0], gjson.Get(shuffled[0], "TimeGenerated").Str, "9999-01-01T00:00:00Z", 1)
	inOrder := detect(t, "", "run", "--rule", rule, "--stream", writeLines(t, filepath.Join(dir, "ordered.ndjson"), ordered))
	if inOrder.status != 0 || len(inOrder.alerts) < 1000 {
		t.Fatalf("in order: status %d, %d alerts\n%s", inOrder.status, len(inOrder.alerts), inOrder.stderr)
	}
	outOfOrder := writeLines(t, filepath.Join(dir, "batches.ndjson"), append([]string{future}, shuffled...))
	got := detect(t, "", "run", "--rule", rule, "--stream", outOfOrder)
	if strings.Join(alertValues(got.alerts), "\n") != strings.Join(alertValues(inOrder.alerts), "\n") || !strings.Contains(got.stderr, "1 rejected (dated in the future 1)") {
		t.Errorf("out of order: %d alerts, in order %d\n%s", len(got.alerts), len(inOrder.alerts), got.stderr)
	}
	unordered := detect(t, "", "run", "--rule", rule, "--stream", "--max-lateness", "0", outOfOrder)
	if len(unordered.alerts) >= len(inOrder.alerts) {
		t.Errorf("without reordering: %d alerts, in order %d: the test does not show the loss", len(unordered.alerts), len(inOrder.alerts))
	}
	tight := detect(t, "", "run", "--rule", rule, "--stream", "--max-lateness", "1m", outOfOrder)
	if !strings.Contains(tight.stderr, ": late: TimeGenerated ") || !strings.Contains(tight.stderr, "rows late (more than --max-lateness 1m0s behind newer rows)") ||
		!strings.Contains(tight.stderr, "(dated in the future 1, late ") {
		t.Errorf("--max-lateness 1m:\n%s", tight.stderr)
	}
}

// A restart lost every pair that straddled it. With --state, a stream resumed over the same files
// and more gives the alerts of one uninterrupted stream, each written once, with the same ids.
func TestAStreamResumedFromItsStateLosesNothing(t *testing.T) {
	dir := t.TempDir()
	rule := writeLines(t, filepath.Join(dir, "pairs.yaml"), []string{pairsRule})
	ordered := generated(t, 3000, "1h", rule)
	lines := inFiveMinuteBatches(ordered, 2)
	// The input ends between two batches: a stream that reached the end of its input passes its
	// reorder buffer on, and the next run's rows older than those are late (a stream stopped by a
	// signal or killed keeps it: see TestSoak).
	split := 1700
	for fiveMinutes(ordered[split]).Equal(fiveMinutes(ordered[split-1])) {
		split++
	}
	first := writeLines(t, filepath.Join(dir, "first.ndjson"), lines[:split])
	second := writeLines(t, filepath.Join(dir, "second.ndjson"), lines[split:])
	whole := detect(t, "", "run", "--rule", rule, "--stream", first, second)
	state, alerts := filepath.Join(dir, "state"), filepath.Join(dir, "alerts.ndjson")
	before := detect(t, "", "run", "--rule", rule, "--stream", "--state", state, "--output", alerts, first)
	after := detect(t, "", "run", "--rule", rule, "--stream", "--state", state, "--output", alerts, first, second)
	if before.status != 0 || after.status != 0 || !strings.Contains(after.stderr, fmt.Sprintf("%d read before the checkpoint skipped", split)) {
		t.Fatalf("status %d, %d\n%s%s", before.status, after.status, before.stderr, after.stderr)
	}
	written, _ := os.ReadFile(alerts)
	got := strings.Split(strings.TrimSpace(string(written)), "\n")
	want := strings.Split(strings.TrimSpace(whole.stdout), "\n")
	sort.Strings(got)
	sort.Strings(want)
	straddling := 0
	for _, line := range want {
		if strings.Contains(line, "first.ndjson:") && strings.Contains(line, "second.ndjson:") {
			straddling++
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || straddling == 0 {
		t.Errorf("resumed: %d alerts, uninterrupted %d (%d straddling the restart)", len(got), len(want), straddling)
	}
}

// A stream on a pipe saw no row until 2 MB had arrived and kept its alerts in a buffer; --output
// never published; Ctrl-C lost the pending alerts. Now each alert is out (on standard output, or
// appended to --output) while the pipe is still open, and SIGINT ends the stream with its summary.
func TestAStreamAlertsAsLinesArrive(t *testing.T) {
	binary := buildDetect(t)
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, target := range []string{"", filepath.Join(dir, "alerts.ndjson")} {
		args := []string{"run", "--rule", v2Rule, "--stream", "-"}
		if target != "" {
			args = append(args, "--output", target)
		}
		cmd := exec.Command(binary, args...)
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		stdin.Write(data) // 480 KB, and the pipe stays open
		first := make(chan string, 1)
		go func() {
			if target == "" {
				line, _ := bufio.NewReader(stdout).ReadString('\n')
				first <- line
				return
			}
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				if got, _ := os.ReadFile(target); bytes.IndexByte(got, '\n') > 0 {
					first <- string(got[:bytes.IndexByte(got, '\n')+1])
					return
				}
			}
			first <- ""
		}()
		select {
		case line := <-first:
			if !strings.Contains(line, `"_rule":{"id":"4fda9303`) {
				t.Errorf("%q: first alert %q\n%s", target, line, stderr.String())
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%q: no alert 10 s after the rows arrived", target)
		}
		cmd.Process.Signal(syscall.SIGINT)
		err := cmd.Wait()
		stdin.Close()
		if err != nil || !strings.Contains(stderr.String(), "interrupt: stopped reading") || !strings.Contains(stderr.String(), "summary: 1 files, ") {
			t.Errorf("%q: %v\n%s", target, err, stderr.String())
		}
	}
	written, _ := os.ReadFile(filepath.Join(dir, "alerts.ndjson"))
	if lines := strings.Split(strings.TrimSpace(string(written)), "\n"); len(lines) < 5 || !json.Valid([]byte(lines[len(lines)-1])) {
		t.Errorf("--output holds %d alerts", len(lines))
	}
}
