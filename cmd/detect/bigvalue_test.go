package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The peak RSS of a run over a huge record beside the fixture's: a value of hugeValue bytes costs
// about its size once, not two to seven times (issue 12: at most about twice the 256 MB cap). The
// measures, at 250 MB values, are in the README's Limits.
const hugeValue = 160 << 20

// peakRSS runs the binary with args and returns its alerts and standard error, and its peak
// resident memory. It starts the binary from a small process of its own (this test binary again,
// as TestPeakRSSHelper): Linux carries a process's peak over exec, so a child started from this
// process would count this process's peak as its own.
func peakRSS(t *testing.T, binary string, args ...string) (alerts []map[string]any, stderr string, peak int64) {
	t.Helper()
	dir := t.TempDir()
	argv, _ := json.Marshal(append([]string{binary}, args...))
	helper := exec.Command(os.Args[0], "-test.run=^TestPeakRSSHelper$")
	helper.Env = append(os.Environ(), "DETECT_PEAK_RSS_ARGS="+string(argv), "DETECT_PEAK_RSS_DIR="+dir)
	if out, err := helper.CombinedOutput(); err != nil {
		t.Fatalf("the helper process: %v\n%s", err, out)
	}
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	for _, line := range strings.Split(strings.TrimSpace(read("stdout")), "\n") {
		var alert map[string]any
		if err := json.Unmarshal([]byte(line), &alert); err != nil {
			t.Fatalf("alert line is not JSON: %v\n%.200s", err, line)
		}
		alerts = append(alerts, alert)
	}
	kb, err := strconv.ParseInt(read("maxrss"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return alerts, read("stderr"), kb << 10
}

// TestPeakRSSHelper is the small process peakRSS starts the binary from; alone, it does nothing.
func TestPeakRSSHelper(t *testing.T) {
	var argv []string
	dir := os.Getenv("DETECT_PEAK_RSS_DIR")
	if json.Unmarshal([]byte(os.Getenv("DETECT_PEAK_RSS_ARGS")), &argv) != nil || dir == "" {
		return
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	_ = cmd.Run()
	maxrss := strconv.FormatInt(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss, 10)
	for name, data := range map[string][]byte{"stdout": stdout.Bytes(), "stderr": stderr.Bytes(), "maxrss": []byte(maxrss)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Exit(0)
}

// hugeRecord is a record's JSON text with the string fields named set to text (JSON string
// bodies) of the given sizes, and its session and id changed so that it pairs with no other.
func hugeRecord(t *testing.T, record map[string]any, compact bool, fields map[string]int, body func(size int) []byte) []byte {
	t.Helper()
	r := map[string]any{}
	for k, v := range record {
		r[k] = v
	}
	for _, k := range []string{"SessionId", "sessionId"} {
		if _, ok := r[k]; ok {
			r[k] = "ffffffff-0000-4000-8000-000000000000"
		}
	}
	for name := range fields {
		r[name] = "@" + name + "@"
	}
	var text []byte
	if compact {
		text, _ = json.Marshal(r)
	} else {
		text, _ = json.MarshalIndent(r, "    ", "  ")
	}
	for name, size := range fields {
		text = bytes.Replace(text, []byte("@"+name+"@"), body(size), 1)
	}
	return text
}

func plainBody(size int) []byte { return bytes.Repeat([]byte{'u'}, size) }

// escapedBody is text as AuthenticationProcessingDetails holds it: JSON in a string, every quote
// escaped.
func escapedBody(size int) []byte {
	unit := []byte(`{\"key\":\"Oauth Scope Info\",\"value\":\"[\\\"User.Read\\\"]\"},`)
	return bytes.Repeat(unit, size/len(unit))
}

// fixtureLines are the FOCI fixture's records.
func fixtureLines(t *testing.T) []string {
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// withHugeLine writes the fixture's records with a huge one among them.
func withHugeLine(t *testing.T, fields map[string]int, body func(int) []byte) string {
	lines := fixtureLines(t)
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "huge.ndjson")
	var out bytes.Buffer
	out.WriteString(strings.Join(lines[:60], "\n") + "\n")
	out.Write(hugeRecord(t, first, true, fields, body))
	out.WriteString("\n" + strings.Join(lines[60:], "\n") + "\n")
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkPeak runs V2 over input and over clean, the same records without the huge one: the alerts
// are the same, and the run over input peaks at most limit times hugeValue over the clean run.
func checkPeak(t *testing.T, binary, input, clean string, limit float64) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("peak RSS is measured on Linux")
	}
	got, stderr, peak := peakRSS(t, binary, "run", "--rule", v2Rule, "--now", "latest", input)
	want, _, base := peakRSS(t, binary, "run", "--rule", v2Rule, "--now", "latest", clean)
	if withoutSources(got) != withoutSources(want) || len(want) == 0 || strings.Contains(stderr, "rejected (") {
		t.Errorf("%d alerts, want the %d of the records alone\n%s", len(got), len(want), stderr)
	}
	over := float64(peak-base) / hugeValue
	t.Logf("peak RSS %d MB over %d MB of the records alone: %.2f times the huge value", peak>>20, base>>20, over)
	if over > limit {
		t.Errorf("peak RSS %d MB, %.2f times the value of %d MB over the %d MB of the records alone; want at most %.2f", peak>>20, over, hugeValue>>20, base>>20, limit)
	}
}

// A huge value in a column no rule reads: its line is gathered in chunks released as they are
// joined (a line in chunks then joined whole peaked at twice its size).
func TestAHugeUnreadValueCostsItsSizeOnce(t *testing.T) {
	binary := buildDetect(t)
	checkPeak(t, binary, withHugeLine(t, map[string]int{"ConditionalAccessPolicies": hugeValue}, plainBody), fixture, 1.5)
}

// A huge value of a column V2 reads points into its line (it was copied beside the line: three
// times its size), or, with escapes, is unescaped once (gjson's unescape and the copy of its
// result, and the interner's copy of its key: nearly five times); in a column the read filter
// tests, no copy of it is remembered (four times). A huge CSV cell is handed over, and its row's
// object made once, at its size (seven times).
func TestAHugeReadValueCostsItsSizeOnce(t *testing.T) {
	binary := buildDetect(t)
	for _, c := range []struct {
		name   string
		column string
		body   func(int) []byte
		limit  float64
	}{
		{"plain", "AuthenticationProcessingDetails", plainBody, 1.5},
		{"escaped", "AuthenticationProcessingDetails", escapedBody, 2.3},
		{"filter column", "AppId", plainBody, 1.5},
	} {
		t.Run(c.name, func(t *testing.T) {
			checkPeak(t, binary, withHugeLine(t, map[string]int{c.column: hugeValue}, c.body), fixture, c.limit)
		})
	}
	t.Run("CSV cell", func(t *testing.T) {
		portal := "../../fixtures/shapes/la-portal.csv"
		f, err := os.Open(portal)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		huge := append([]string(nil), rows[1]...)
		for i, name := range rows[0] {
			switch name {
			case "UserAgent":
				huge[i] = string(plainBody(hugeValue))
			case "SessionId":
				huge[i] = "ffffffff-0000-4000-8000-000000000000"
			}
		}
		path := filepath.Join(t.TempDir(), "huge.csv")
		out, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w := csv.NewWriter(bufio.NewWriter(out))
		w.WriteAll(append(append(rows[:6:6], huge), rows[6:]...))
		if err := out.Close(); err != nil || w.Error() != nil {
			t.Fatal(err, w.Error())
		}
		checkPeak(t, binary, path, portal, 2.3)
	})
}

// A Graph page ({"value":[...]}) whose record has two huge fields V2 reads: on one line, the line
// is read again in place and the record's strings point into it (it was copied for the scanner,
// then each string again: four times its size); pretty-printed, the scanner hands the record over
// in a buffer of its size instead of doubling one (nearly three times).
func TestAHugeWrapperRecordCostsItsSizeOnce(t *testing.T) {
	binary := buildDetect(t)
	page := "../../fixtures/shapes/graph-array.json"
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	var records []map[string]any
	if err := json.Unmarshal(data, &records); err != nil {
		t.Fatal(err)
	}
	fields := map[string]int{"userAgent": hugeValue / 2, "authenticationProcessingDetails": hugeValue / 2}
	// writePage writes the page, with the huge record or without (the records are written again,
	// their keys in Go's order, in both).
	writePage := func(compact, huge bool) string {
		var out bytes.Buffer
		out.WriteString(`{"@odata.context":"https://graph.microsoft.com/beta/$metadata#auditLogs/signIns","value":[`)
		for i, r := range records {
			if i == 10 && huge {
				out.Write(hugeRecord(t, records[0], compact, fields, plainBody))
				out.WriteString(",")
			}
			text, _ := json.MarshalIndent(r, "    ", "  ")
			if compact {
				text, _ = json.Marshal(r)
			}
			out.Write(text)
			if i < len(records)-1 {
				out.WriteString(",")
			}
			if !compact {
				out.WriteString("\n")
			}
		}
		out.WriteString("]}\n")
		path := filepath.Join(t.TempDir(), "page.json")
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	t.Run("one line", func(t *testing.T) { checkPeak(t, binary, writePage(true, true), writePage(true, false), 1.5) })
	t.Run("pretty-printed", func(t *testing.T) { checkPeak(t, binary, writePage(false, true), writePage(false, false), 1.5) })
}
