package pipeline

import (
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/record"
)

// The work a run shares among the cores (row-wise stages, the filters pushed below a join and the
// join's keys) gives the rows one core gives, in the same order, for every shipped FOCI rule.
func TestPartsGiveWhatOneCoreGives(t *testing.T) {
	defer func(n int) { splitRows = n }(splitRows)
	splitRows = 256
	rows := fociSigninsOf(t, 6000, 503, 3*time.Second)
	tables := map[string][]record.Row{"AADNonInteractiveUserSignInLogs": rows}
	paths, err := filepath.Glob("../../rules/foci/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, path := range paths {
		if strings.HasSuffix(path, ".test.yaml") {
			continue
		}
		p := loadPlan(t, path)
		runtime.GOMAXPROCS(1)
		one, _, err := p.Run(tables)
		if err != nil {
			t.Fatal(err)
		}
		runtime.GOMAXPROCS(4)
		parts, stats, err := p.Run(tables)
		if err != nil {
			t.Fatal(err)
		}
		if len(one) == 0 {
			t.Errorf("%s: no rows: the test tests nothing", path)
		}
		if !reflect.DeepEqual(one, parts) {
			t.Errorf("%s: %d rows on 4 cores, %d on one (or in another order)", path, len(parts), len(one))
		}
		for _, st := range stats {
			if _, isJoin := st.Stage.op.(*join); isJoin && st.In < splitRows {
				t.Errorf("%s: the join's left side has %d rows, too few to be shared", path, st.In)
			}
		}
	}
}

// A where that keeps every row passes its rows on as they are, on any number of cores, including
// more cores than the rows make parts of (ten rows on eight cores make five parts of two).
func TestAWhereThatKeepsEveryRowGivesItsRowsOnAnyCores(t *testing.T) {
	defer func(n int) { splitRows = n }(splitRows)
	splitRows = 2
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	p, err := compileRuleB(t, "stages:\n  - where: AppId != \"\"\n")
	if err != nil {
		t.Fatal(err)
	}
	rows := fociSigninsOf(t, 10, 3, time.Second)
	for _, cores := range []int{1, 2, 3, 8} {
		runtime.GOMAXPROCS(cores)
		out, _, err := p.Run(map[string][]record.Row{"AADNonInteractiveUserSignInLogs": rows})
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != len(rows) || &out[0] != &rows[0] {
			t.Errorf("%d cores: %d rows, a copy of the rows: %v", cores, len(out), len(out) > 0 && &out[0] != &rows[0])
		}
	}
}
