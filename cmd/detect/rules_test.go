package main

import (
	"strings"
	"testing"

	"github.com/signin-detect/detect/engine/rule"
	"github.com/signin-detect/detect/engine/ruletest"
)

func TestShippedRulesPassTheirCases(t *testing.T) {
	r := detect(t, "", "test", "../../rules")
	if r.status != 0 || !strings.HasSuffix(strings.TrimSpace(r.stdout), " 0 failed") || strings.Contains(r.stdout, "no test cases") {
		t.Fatalf("detect test rules/: status %d\n%s", r.status, r.stdout)
	}
}

// Each filter a shipped rule file defines has a case it passes and a case it stops: forcing the
// filter to true, or to false, makes at least one of the rule's cases fail.
func TestBreakingAnyFilterOfAShippedRuleFailsACase(t *testing.T) {
	rules, err := rule.LoadPaths([]string{"../../rules"})
	if err != nil {
		t.Fatal(err)
	}
	filters := 0
	for _, r := range rules {
		suite, err := ruletest.Load(r.File)
		if err != nil || suite == nil {
			t.Fatalf("%s: no cases (%v)", r.File, err)
		}
		for _, name := range ownFilters(r.Stages, r.File) {
			filters++
			for _, forced := range []string{"true", "false"} {
				mutant := r.Clone()
				forceFilter(mutant.Stages, name, forced)
				failed := 0
				for _, res := range suite.Run(mutant, nil) {
					if !res.Passed() {
						failed++
					}
				}
				if failed == 0 {
					t.Errorf("%s: with stage %s forced to %s every case still passes", r.File, name, forced)
				}
			}
		}
	}
	if filters < 15 {
		t.Errorf("only %d filters found in the shipped rules", filters)
	}
}

// ownFilters names the where stages defined in file (not inherited from a base), joins' included.
func ownFilters(stages []*rule.Stage, file string) []string {
	var names []string
	for _, s := range stages {
		if s.Kind == rule.Where && s.Pos.File == file {
			names = append(names, s.Label())
		}
		if s.Join != nil {
			names = append(names, ownFilters(s.Join.Right, file)...)
		}
	}
	return names
}

func forceFilter(stages []*rule.Stage, label, value string) {
	for i, s := range stages {
		if s.Kind == rule.Where && s.Label() == label {
			forced := *s
			forced.Where = &rule.Expr{Source: value, Pos: s.Where.Pos}
			stages[i] = &forced
		}
		if s.Join != nil {
			forceFilter(s.Join.Right, label, value)
		}
	}
}
