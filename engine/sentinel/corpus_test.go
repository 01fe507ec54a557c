//go:build corpus

package sentinel_test

// The published-corpus check (make corpus): every Sentinel rule under ../shared/corpus/sentinel
// decodes and its query parses, and so does the FOCI V2 reference query. It reads files a user's
// clone does not have, so it only builds with -tags corpus and skips when they are absent.

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/signin-detect/detect/engine/kqlparse"
	"github.com/signin-detect/detect/engine/sentinel"
)

const shared = "../../../shared"

func TestCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(shared, "corpus/sentinel/*.yaml"))
	if len(files) == 0 {
		t.Skip("no corpus at " + shared)
	}
	parsed := 0
	for _, f := range files {
		r, err := sentinel.Load(f)
		var errs sentinel.Errors
		if err != nil && errors.As(err, &errs) && r == nil {
			// Not YAML: the error must be placed; the query block is then read as text, to
			// check the parser on it anyway.
			t.Logf("%v", err)
			q := queryBlock(t, f)
			if _, perr := kqlparse.Parse(q); perr != nil {
				t.Errorf("%s: query block: %v", f, perr)
				continue
			}
			parsed++
			continue
		}
		if err != nil {
			t.Logf("published defect: %v", err) // placed; the query is still read
		}
		if r.QueryUnwrapped {
			t.Logf("%s: query was wrapped in quotes; unwrapped", filepath.Base(f))
		}
		q, err := r.ParseQuery()
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		parsed++
		checkPlaced(t, f, r, q)
	}
	ref, err := os.ReadFile(filepath.Join(shared, "reference/DetectSuspiciousFociTokenLoginsV2.txt"))
	if err == nil {
		m := regexp.MustCompile("(?s)```KQL\n(.*?)```").FindSubmatch(ref)
		if m == nil {
			t.Errorf("no KQL block in the FOCI V2 reference")
		} else if _, err := kqlparse.Parse(string(m[1])); err != nil {
			t.Errorf("FOCI V2 reference: %v", err)
		} else {
			t.Logf("FOCI V2 reference query parses")
		}
	}
	t.Logf("%d of %d corpus queries parse", parsed, len(files))
}

// checkPlaced checks the map from query to file on real files: every let and every operator of
// the result is placed where the file has the same text.
func checkPlaced(t *testing.T, path string, r *sentinel.Rule, q *kqlparse.Query) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	nodes := []kqlparse.Node{}
	for _, l := range q.Lets {
		nodes = append(nodes, l, l.Name)
	}
	if pl, ok := q.Result.(*kqlparse.Pipeline); ok {
		for _, op := range pl.Ops {
			nodes = append(nodes, op)
		}
	}
	for _, n := range nodes {
		p := n.Position()
		want := r.Query[p.Offset:min(p.Offset+6, len(r.Query))]
		at := r.QueryPosition(p)
		runes := []rune(lines[at.Line-1])
		got := string(runes[at.Col-1 : min(at.Col-1+len([]rune(want)), len(runes))])
		if got != want {
			t.Errorf("%s: %T %q of query %s placed at %d:%d, where the file has %q", filepath.Base(path), n, want, p, at.Line, at.Col, got)
		}
	}
}

// queryBlock cuts the `query: |` block out of a file that is not valid YAML.
func queryBlock(t *testing.T, path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "query:"):
			in = true
		case in && line != "" && line[0] != ' ':
			in = false
		case in:
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}
