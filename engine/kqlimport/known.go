package kqlimport

import (
	"slices"

	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/rule"
)

// What the engine runs: the translator writes a call of a KQL function or aggregate only when the
// engine has it, and refuses the rule otherwise, naming the function and its place (a rule that
// would fail `detect check` is no translation).

func knownFunction(name string) bool {
	for _, f := range kqlexpr.Functions {
		if f.Name == name {
			return true
		}
	}
	return false
}

// aggregates are the aggregation functions summarize runs (engine/pipeline/summarize.go).
var aggregates = map[string]bool{"count": true, "dcount": true, "sum": true, "min": true, "max": true,
	"make_set": true, "make_list": true, "arg_min": true, "arg_max": true}

func knownAggregate(name string) bool { return aggregates[name] }

func knownJoinKind(kind string) bool { return slices.Contains(rule.JoinKinds, kind) }
