package session

import (
	"fmt"
	"slices"
	"strings"

	"github.com/signin-detect/detect/engine/rule"
)

// Severities are Sentinel's severities, lowest first.
var Severities = []string{"Informational", "Low", "Medium", "High"}

// Select keeps the rules of minSeverity or higher (any when "") that have one of tags (any when
// none) among their tactics and techniques; a technique tag also selects its sub-techniques
// (T1550 selects T1550.001). Tags are matched regardless of case. Selecting no rule is an error.
func (rs *Rules) Select(minSeverity string, tags []string) error {
	if minSeverity == "" && len(tags) == 0 {
		return nil
	}
	floor := slices.Index(Severities, minSeverity)
	var kept []*rule.Rule
	for _, r := range rs.Rules {
		if slices.Index(Severities, r.Meta.Severity) >= floor && hasTag(r, tags) {
			kept = append(kept, r)
		}
	}
	if len(kept) == 0 {
		var asked []string
		if minSeverity != "" {
			asked = append(asked, "severity "+minSeverity+" or higher")
		}
		if len(tags) > 0 {
			asked = append(asked, "tactic or technique "+strings.Join(tags, " or "))
		}
		return fmt.Errorf("none of the %d rules has %s", len(rs.Rules), strings.Join(asked, " and "))
	}
	rs.Rules = kept
	return nil
}

func hasTag(r *rule.Rule, tags []string) bool {
	if len(tags) == 0 {
		return true
	}
	for _, tag := range tags {
		for _, t := range r.Meta.Tactics {
			if strings.EqualFold(t, tag) {
				return true
			}
		}
		for _, t := range r.Meta.RelevantTechniques {
			if strings.EqualFold(t, tag) || strings.HasPrefix(strings.ToUpper(t), strings.ToUpper(tag)+".") {
				return true
			}
		}
	}
	return false
}
