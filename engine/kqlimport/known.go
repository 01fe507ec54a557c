package kqlimport

import (
	"slices"

	"github.com/signin-detect/detect/engine/aggregate"
	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/rule"
)

// What the engine runs: the translator writes a call of a KQL function or aggregate only when the
// engine's registries have it (by its name or an alias), and refuses the rule otherwise, naming
// the function and its place: a rule that would fail `detect check` is no translation.

func knownFunction(name string) bool {
	_, ok := kqlexpr.Lookup(name)
	return ok
}

func knownAggregate(name string) bool {
	_, ok := aggregate.Lookup(name)
	return ok
}

// aggregateArity tells whether the aggregate takes n arguments.
func aggregateArity(name string, n int) error {
	a, _ := aggregate.Lookup(name)
	return a.CheckArity(n)
}

func knownJoinKind(kind string) bool { return slices.Contains(rule.JoinKindNames(), kind) }

// knownStage tells whether the rule language has the stage kind.
func knownStage(kind string) bool { return slices.Contains(rule.StageKinds, kind) }
