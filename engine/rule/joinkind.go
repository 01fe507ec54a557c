package rule

// JoinKind is one of KQL's join flavours, as one row of a truth table: which rows and columns it
// keeps, and what the engine may do with it. The engine reads these facts, never the kind's name.
// https://learn.microsoft.com/kusto/query/join-operator
type JoinKind struct {
	Name string
	// Columns are the output's columns: both sides' (the right ones renamed where the name is
	// taken), or one side's only (semi and anti joins).
	Columns JoinSide
	// DedupLeft: the left side keeps only its first row of each key before pairing (innerunique).
	DedupLeft bool
	// Pairs: a left and a right row with equal keys give their pair.
	Pairs bool
	// MatchedLeft, MatchedRight: a left (right) row that has a match is given once, as it is
	// (leftsemi, rightsemi).
	MatchedLeft, MatchedRight bool
	// UnmatchedLeft, UnmatchedRight: a left (right) row without a match is given, the other side's
	// columns null where the output has them (the outer joins, the anti joins).
	UnmatchedLeft, UnmatchedRight bool
	// FilterLeft, FilterRight: a filter written after the join that reads one side's columns only
	// may also run on that side's rows before they pair (see package pipeline's pushDown). That
	// gives the same rows where dropping a row of that side only drops output rows that carry its
	// values: not under DedupLeft (another left row would be the first of its key), nor where the
	// other side's unmatched rows are kept (a row losing its partners would be given alone).
	FilterLeft, FilterRight bool
	// Streamable: a stream can pair the rows as they arrive, each with the other side's rows that
	// came before it, which gives the batch result only where every output row is a pair.
	Streamable bool
}

// JoinSide names the sides whose columns a join gives.
type JoinSide int

const (
	BothSides JoinSide = iota
	LeftSide
	RightSide
)

// JoinKinds are the join flavours, KQL's default (innerunique) first. Each row follows its Learn
// page (join-innerunique, join-inner, join-leftouter, ...).
// https://learn.microsoft.com/kusto/query/join-operator
var JoinKinds = []*JoinKind{
	{Name: "innerunique", DedupLeft: true, Pairs: true, FilterRight: true},
	{Name: "inner", Pairs: true, FilterLeft: true, FilterRight: true, Streamable: true},
	{Name: "leftouter", Pairs: true, UnmatchedLeft: true, FilterLeft: true},
	{Name: "rightouter", Pairs: true, UnmatchedRight: true, FilterRight: true},
	{Name: "fullouter", Pairs: true, UnmatchedLeft: true, UnmatchedRight: true},
	{Name: "leftsemi", Columns: LeftSide, MatchedLeft: true, FilterLeft: true},
	{Name: "leftanti", Columns: LeftSide, UnmatchedLeft: true, FilterLeft: true},
	{Name: "rightsemi", Columns: RightSide, MatchedRight: true, FilterRight: true},
	{Name: "rightanti", Columns: RightSide, UnmatchedRight: true, FilterRight: true},
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
