package session

import (
	"fmt"
	"strings"
	"time"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/pipeline"
	"github.com/signin-detect/detect/engine/rule"
)

// Warning is something a user should know about a rule's run that is not an error: the run
// completed, but maybe not as they meant it to.
type Warning struct {
	Kind WarningKind
	// Pos is the place in a rule file the warning is about; Rule the file of the rule that ran
	// (a stage a variant inherits is in its base's file).
	Pos  rule.Position
	Rule string
	// Message says what happened, without the place.
	Message string
}

// WarningKind tells warnings apart, for callers that count or filter them.
type WarningKind string

const (
	// TablesWithoutRows: the input held no records of tables the rule reads, which it read as
	// empty tables.
	TablesWithoutRows WarningKind = "tables without rows"
	// Lookback: a where that reads the clock dropped rows as older than its window.
	Lookback WarningKind = "lookback"
	// Trigger: the rule's result did not pass its trigger (triggerOperator, triggerThreshold), so
	// it made no alerts, as Sentinel makes none.
	Trigger WarningKind = "trigger"
)

// String is the warning as a line of standard error: place: message.
func (w Warning) String() string {
	where := w.Pos.String()
	if w.Pos.File != w.Rule {
		where = w.Rule + " (" + where + ")"
	}
	return where + ": " + w.Message
}

// runFacts is what the warnings of one rule's run are found from.
type runFacts struct {
	plan  *pipeline.Plan
	stats []pipeline.StageStats
	// now is the run's now; oldest and newest the oldest and newest TimeGenerated of the input.
	now, oldest, newest time.Time
	// records counts the records read of each table.
	records map[string]int
	// resultRows counts the rows the rule's query gave, before its trigger.
	resultRows int
}

// warningFinders each find one kind of warning in a rule's run. A new kind of warning is one more
// function here.
var warningFinders = []func(runFacts) []Warning{tablesWithoutRowsWarnings, lookbackWarnings, triggerWarnings}

// triggerWarnings says when the rule's result rows did not pass its trigger.
// https://learn.microsoft.com/azure/sentinel/detect-threats-custom ("Alert threshold")
func triggerWarnings(f runFacts) []Warning {
	m := f.plan.Rule.Meta
	if m.Passes(int64(f.resultRows)) {
		return nil
	}
	return []Warning{{Kind: Trigger, Pos: rule.Position{File: f.plan.Rule.File}, Rule: f.plan.Rule.File,
		Message: fmt.Sprintf("the query gave %d rows, which do not pass the rule's trigger (%s %d): no alerts, as in Sentinel", f.resultRows, m.TriggerOperator, m.TriggerThreshold)}}
}

func ruleWarnings(f runFacts) []Warning {
	var out []Warning
	for _, find := range warningFinders {
		out = append(out, find(f)...)
	}
	return out
}

// tablesWithoutRowsWarnings say, once for the rule, which of its tables the input had no records
// of (see pipeline.Plan.TablesWithoutRows).
func tablesWithoutRowsWarnings(f runFacts) []Warning {
	missing := f.plan.TablesWithoutRows(f.records)
	var msg string
	switch len(missing) {
	case 0:
		return nil
	case 1:
		msg = fmt.Sprintf("the input has no rows of %s: the rule read it as an empty table", missing[0])
	default:
		msg = fmt.Sprintf("the input has no rows of %s: the rule read them as empty tables", strings.Join(missing, ", "))
	}
	file := f.plan.Rule.File
	return []Warning{{Kind: TablesWithoutRows, Pos: rule.Position{File: file}, Rule: file, Message: msg}}
}

// lookbackWarnings say how many rows each lookback stage dropped, so that a run over an old
// export does not silently find nothing; when the input ends well before now, they say the --now
// that looks back from its newest record, and when it spans more than the rule's queryPeriod, that
// detect hunt covers all of it.
func lookbackWarnings(f runFacts) []Warning {
	var out []Warning
	for _, st := range f.stats {
		if !st.Stage.Lookback() || st.In == st.Out {
			continue
		}
		msg := fmt.Sprintf("the lookback in stage %s dropped %d of the %d rows that reached it as older than its window before now (%s)",
			st.Stage.Rule.Label(), st.In-st.Out, st.In, kql.FormatDatetime(f.now))
		if !f.newest.IsZero() && f.newest.Before(f.now.Add(-time.Hour)) {
			msg += fmt.Sprintf("; the newest record is from %s: pass --now latest (or --now %s) to look back from there",
				kql.FormatDatetime(f.newest), f.newest.Format(time.RFC3339Nano))
		}
		if window := f.plan.Rule.Meta.QueryPeriod; window > 0 && f.newest.Sub(f.oldest) > window {
			msg += fmt.Sprintf("; the input spans %s, more than the rule's window of %s: detect hunt evaluates the rule over all of it as Sentinel would have",
				kql.FormatTimespan(f.newest.Sub(f.oldest)), kql.FormatTimespan(window))
		}
		out = append(out, Warning{Kind: Lookback, Pos: st.Stage.Rule.Pos, Rule: f.plan.Rule.File, Message: msg})
	}
	return out
}
