package pipeline

import (
	"fmt"
	"strings"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/record"
)

// Budget bounds what one stage of a rule may make, so that a rule whose data makes it explode (a
// self-join on a key every row shares) fails alone, with a message, instead of taking the memory
// of every rule. Zero means no bound.
type Budget struct {
	// JoinPairs is the most pairs one join may make in a run; a join counts its pairs before
	// making any, so a join over the budget costs no memory.
	JoinPairs int
	// Groups is the most groups one summarize may hold.
	Groups int
}

// DefaultBudget is what a run allows unless told otherwise: far above what the shipped rules make
// over millions of sign-ins (the FOCI rules' joins make a few thousand pairs per 100k rows), far
// below what exhausts a machine (a pair or a group costs a few hundred bytes).
var DefaultBudget = Budget{JoinPairs: 5_000_000, Groups: 5_000_000}

// BudgetError is a stage that went over its rule's budget.
type BudgetError struct {
	Stage *Stage
	// What was over ("join pairs", "groups"), the budget, and the flag that sets it.
	What, Flag string
	Limit      int
	// Made is how many the stage would have made (or had made when it stopped); Hottest names
	// the key that made the most of them, and Count how many.
	Made    int
	Hottest string
	Count   string
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("%s: stage %s is over its budget of %d %s (%s): it makes %d; the hottest key is %s (%s)",
		e.Stage.Rule.Pos, e.Stage.Rule.Label(), e.Limit, e.What, e.Flag, e.Made, e.Hottest, e.Count)
}

// describeKey shows a key's values as a user reads them: Column="value" each.
func describeKey(columns []string, row record.Row) string {
	parts := make([]string, len(columns))
	for i, col := range columns {
		parts[i] = fmt.Sprintf("%s=%q", col, kql.ToString(row.Get(col)))
	}
	return strings.Join(parts, ", ")
}
