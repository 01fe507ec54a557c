package main

import (
	"fmt"
	"io"
	"time"

	"github.com/signin-detect/detect/engine/output"
	"github.com/signin-detect/detect/engine/pipeline"
	"github.com/signin-detect/detect/engine/record"
)

// runStream is run --stream: each rule runs as rows arrive, and each alert is written as soon as
// it is made, so memory stays flat however long the input runs.
func runStream(cfg *runConfig, stdin io.Reader, stdout, stderr io.Writer) int {
	rules, lookupFiles, err := loadRules(cfg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	var clock time.Time
	plans, err := compileAll(rules, pipeline.Options{Clock: &clock, LookupFiles: lookupFiles})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	out, err := openOutput(cfg, stdout, plans)
	if err != nil {
		fmt.Fprintf(stderr, "detect run: %v\n", err)
		return 1
	}
	streams := make([]*pipeline.Stream, len(plans))
	for i, plan := range plans {
		ref := output.RuleRef{ID: plan.Rule.Meta.ID, Name: plan.Rule.Meta.Name, File: plan.Rule.File}
		columns := make([]string, len(plan.Output))
		for j, col := range plan.Output {
			columns[j] = col.Name
		}
		emit := func(row record.Row) error {
			return out.writer.Write(output.Alert{Rule: ref, Columns: columns, Row: row})
		}
		if streams[i], err = pipeline.NewStream(plan, &clock, emit); err != nil {
			fmt.Fprintf(stderr, "detect run: %v\n", err)
			out.abort()
			return 1
		}
	}
	push := func(table string, row record.Row) error {
		for i, s := range streams {
			if plans[i].Inputs[0].Table.Name == table {
				if err := s.Push(row); err != nil {
					return err
				}
			}
		}
		return nil
	}
	in, err := readInputs(plans, nil, cfg, stdin, stderr, push)
	if err == nil {
		err = in.rowErr
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		out.abort()
		return 1
	}
	if err := out.finish(true); err != nil {
		fmt.Fprintf(stderr, "detect run: writing alerts: %v\n", err)
		return 1
	}
	alerts := make([]int, len(streams))
	for i, s := range streams {
		alerts[i] = s.Alerts
		fmt.Fprintf(stderr, "%s: streamed %d rows up to %s, holding at most %d join rows at once (%d forgotten)\n",
			plans[i].Rule.File, s.Rows, clock.Format(time.RFC3339Nano), s.MaxHeld, s.Forgotten)
	}
	printSummary(stderr, in, plans, alerts)
	if cfg.strict && in.rejected() > 0 {
		return 2
	}
	return 0
}
