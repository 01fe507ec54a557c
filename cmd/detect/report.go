package main

import (
	"flag"
	"fmt"
	"slices"
	"time"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/output"
	"github.com/signin-detect/detect/engine/pipeline"
	"github.com/signin-detect/detect/engine/report"
	"github.com/signin-detect/detect/engine/session"
)

// reportConfig is --report FILE.html and --report-max-alerts N.
type reportConfig struct {
	file      string
	maxAlerts int
	collector *report.Collector
}

func addReportFlags(fs *flag.FlagSet, rc *reportConfig) {
	fs.StringVar(&rc.file, "report", "", "also write the alerts as one self-contained HTML page to FILE (a timeline, each rule's\nalerts to sort and filter, the entities they share); the page reads nothing from the network")
	fs.IntVar(&rc.maxAlerts, "report-max-alerts", report.DefaultMaxAlerts, "how many alerts of each rule the --report page shows (the rest are counted, and the\npage says how many were left out)")
}

// tee starts collecting the alerts for the report, when one was asked for: the alerts written
// go to write and to the report.
func (rc *reportConfig) tee(plans []*pipeline.Plan, write func(output.Alert) error) func(output.Alert) error {
	if rc.file == "" {
		return write
	}
	rc.collector = report.NewCollector(plans, rc.maxAlerts)
	return func(a output.Alert) error {
		if err := write(a); err != nil {
			return err
		}
		return rc.collector.Add(a)
	}
}

// write writes the report page, atomically, once the run is done: verb is the command ("detect
// run"), results what each rule's run gave, read what reading gave.
func (rc *reportConfig) write(verb string, cfg *runConfig, now time.Time, read *session.Read, results []session.Result) error {
	if rc.collector == nil {
		return nil
	}
	var empty []string
	for _, res := range results {
		for _, table := range res.Plan.TablesWithoutRows(read.ByTable) {
			if !slices.Contains(empty, table) {
				empty = append(empty, table)
			}
		}
		r := rc.collector.Rule(res.Plan.Rule.File)
		if res.Err != nil {
			r.Error = res.Err.Error()
		}
		for _, w := range res.Warnings {
			r.Warnings = append(r.Warnings, w.Message)
		}
	}
	run := report.Run{Command: verb, Inputs: cfg.files, Now: now, To: read.Newest, Files: read.Files, Records: read.Records,
		Rejected: read.Rejections, OtherTables: read.OtherTables, TablesWithoutRows: empty, Generated: time.Now().UTC()}
	f, err := output.CreateAtomic(rc.file)
	if err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	if err := report.Write(f, rc.collector.Report(run, read.Rows)); err != nil {
		f.Abort()
		return fmt.Errorf("--report: %w", err)
	}
	return f.Commit()
}

// writeHunt writes the report of a hunt: each rule's alerts with when it was evaluated.
func (rc *reportConfig) writeHunt(cfg *runConfig, h *session.Hunt, results []session.HuntResult) error {
	if rc.collector == nil {
		return nil
	}
	plain := make([]session.Result, len(results))
	for i, res := range results {
		plain[i] = res.Result
		if instants := h.Instants(res.Plan); len(instants) > 0 {
			rc.collector.Rule(res.Plan.Rule.File).Evaluations = fmt.Sprintf("%d times, at %s to %s; %d alerts found, %d of them again",
				res.Instants, kql.FormatDatetime(instants[0]), kql.FormatDatetime(instants[len(instants)-1]), res.Found, res.Found-res.Alerts)
		}
	}
	return rc.write("detect hunt", cfg, time.Time{}, h.Read, plain)
}
