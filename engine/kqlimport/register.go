package kqlimport

import (
	"errors"
	"regexp"

	"github.com/signin-detect/detect/engine/rule"
	"github.com/signin-detect/detect/engine/sentinel"
)

// Sentinel rule files are read wherever rule files are (detect run, check, explain --rule):
// translated in memory, and skipped, with the reason at its place, when they cannot be.
func init() { rule.RegisterImporter(importSentinel) }

var (
	queryKey  = regexp.MustCompile(`(?m)^query\s*:`)
	stagesKey = regexp.MustCompile(`(?m)^stages\s*:`)
)

// IsSentinel tells a Sentinel rule file (a top-level query: and no stages:) from a rule file.
func IsSentinel(data []byte) bool { return queryKey.Match(data) && !stagesKey.Match(data) }

func importSentinel(path string, data []byte) ([]byte, []rule.Position, bool, *rule.Error) {
	if !IsSentinel(data) {
		return nil, nil, false, nil
	}
	skip := func(pos sentinel.Position, msg string) *rule.Error {
		return &rule.Error{Pos: rule.Position{File: pos.File, Line: pos.Line, Column: pos.Col}, Msg: "skipped: " + msg, Skip: true}
	}
	r, err := sentinel.Decode(path, data)
	if err != nil {
		var errs sentinel.Errors
		if errors.As(err, &errs) && len(errs) > 0 {
			return nil, nil, true, skip(errs[0].Pos, errs[0].Msg)
		}
		return nil, nil, true, skip(sentinel.Position{File: path}, err.Error())
	}
	res, err := Translate(r)
	var refusal *Refusal
	var errs sentinel.Errors
	switch {
	case err == nil:
		places := make([]rule.Position, len(res.Places))
		for i, p := range res.Places {
			places[i] = rule.Position{File: p.File, Line: p.Line, Column: p.Col}
		}
		return res.YAML, places, true, nil
	case errors.As(err, &refusal):
		return nil, nil, true, skip(refusal.Pos, refusal.Construct+" is not supported yet")
	case errors.As(err, &errs) && len(errs) > 0:
		return nil, nil, true, skip(errs[0].Pos, errs[0].Msg)
	}
	return nil, nil, true, skip(sentinel.Position{File: path}, err.Error())
}
