package rule

// JoinKind is one of KQL's join flavours, as one row of a truth table: which rows and columns it
// keeps, and what the engine may do with it. The engine reads these facts, never the kind's name.
// https://learn.microsoft.com/kusto/query/join-operator
type JoinKind struct {
	Name string
	// LeftOnly: the output has only the left side's columns (semi and anti joins).
	LeftOnly bool
	// DedupLeft: the left side keeps only its first row of each key before pairing (innerunique).
	DedupLeft bool
	// Matched is what a left row with a match gives: every pair with its right rows, the left row
	// once, or nothing.
	Matched JoinMatch
	// UnmatchedLeft: a left row without a match is kept (its right columns null when the output
	// has any).
	UnmatchedLeft bool
	// FilterLeft, FilterRight: a filter written after the join that reads one side only may also
	// run on that side's rows before they pair (see package pipeline's pushDown). Left rows may be
	// dropped early where each left row's fate does not depend on which left rows came before it
	// (not under DedupLeft); right rows where a left row without partners gives nothing.
	FilterLeft, FilterRight bool
	// Streamable: a stream can pair the rows as they arrive, each with the other side's rows that
	// came before it, which gives the batch result only where every output row is a pair.
	Streamable bool
}

// JoinMatch is what a join gives for a left row that has partners.
type JoinMatch int

const (
	// MatchPairs gives a row of each pair of the left row and a partner.
	MatchPairs JoinMatch = iota
	// MatchLeftOnce gives the left row once.
	MatchLeftOnce
	// MatchNothing gives nothing.
	MatchNothing
)

// JoinKinds are the join flavours, KQL's default (innerunique) first.
// https://learn.microsoft.com/kusto/query/join-operator
var JoinKinds = []*JoinKind{
	{Name: "innerunique", DedupLeft: true, Matched: MatchPairs, FilterRight: true},
	{Name: "inner", Matched: MatchPairs, FilterLeft: true, FilterRight: true, Streamable: true},
	{Name: "leftouter", Matched: MatchPairs, UnmatchedLeft: true, FilterLeft: true},
	{Name: "leftsemi", LeftOnly: true, Matched: MatchLeftOnce, FilterLeft: true},
	{Name: "leftanti", LeftOnly: true, Matched: MatchNothing, UnmatchedLeft: true, FilterLeft: true},
}

// LookupJoinKind is the join kind called name.
func LookupJoinKind(name string) (*JoinKind, bool) {
	for _, k := range JoinKinds {
		if k.Name == name {
			return k, true
		}
	}
	return nil, false
}

// JoinKindNames lists the join kinds' names, in JoinKinds' order.
func JoinKindNames() []string {
	out := make([]string, len(JoinKinds))
	for i, k := range JoinKinds {
		out[i] = k.Name
	}
	return out
}
