package pipeline

import (
	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// topStage keeps the first count rows in the order of its key (asc or desc, KQL's default desc;
// nulls first or last, KQL's default first when asc, last when desc), as sort then take: of rows
// whose keys tie at the cut, those that came first.
// https://learn.microsoft.com/kusto/query/top-operator
type topStage struct {
	count int64
	key   []sortKey
}

func planTop(c *compiler, s *rule.Stage, f, _ flow) (operator, flow) {
	return &topStage{count: s.Count, key: c.sortKeys(s, f.cols)}, f
}

func (t *topStage) run(r *runner, s *Stage, rows, _ []record.Row, _ *StageStats) ([]record.Row, error) {
	sorted, err := r.ordered(s, t.key, rows)
	if err != nil {
		return nil, err
	}
	return sorted[:min(int64(len(sorted)), t.count)], nil
}

func (t *topStage) live(_ *Stage, after columnSet) columnSet {
	for _, k := range t.key {
		after = after.with(k.value.reads()...)
	}
	return after
}

// follow: no filter after a top may run before it, which would change the rows it keeps.
func (t *topStage) follow(origin map[string]string) (map[string]string, bool) {
	return noneAsIs(origin)
}
func (t *topStage) filter() *kqlexpr.Program { return nil }
func (t *topStage) keepsOrder(bool) bool     { return true }
func (t *topStage) rowWise() bool            { return false }
func (t *topStage) splittable() bool         { return false }
