package main

import (
	"fmt"
	"io"
	"time"

	"github.com/signin-detect/detect/engine/session"
)

// runStream is run --stream: each rule runs as rows arrive, and each alert is written as soon as
// it is made, so memory stays flat however long the input runs.
func runStream(cfg *runConfig, stdin io.Reader, stdout, stderr io.Writer) int {
	rules, err := load(cfg, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	s, err := session.NewStream(rules)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	out, err := openOutput(cfg, stdout, s.Plans)
	if err != nil {
		fmt.Fprintf(stderr, "detect run: %v\n", err)
		return 1
	}
	if err := s.Start(out.writer.Write); err != nil {
		fmt.Fprintf(stderr, "detect run: %v\n", err)
		out.abort()
		return 1
	}
	read, err := s.Read(cfg.input(stdin), readingHooks(stderr))
	if err != nil {
		fmt.Fprintln(stderr, err)
		out.abort()
		return 1
	}
	if err := out.finish(true); err != nil {
		fmt.Fprintf(stderr, "detect run: writing alerts: %v\n", err)
		return 1
	}
	alerts := make([]int, len(s.Streams))
	for i, st := range s.Streams {
		alerts[i] = st.Alerts
		fmt.Fprintf(stderr, "%s: streamed %d rows up to %s, holding at most %d join rows at once (%d forgotten)\n",
			s.Plans[i].Rule.File, st.Rows, s.Now().Format(time.RFC3339Nano), st.MaxHeld, st.Forgotten)
	}
	printSummary(stderr, read, s.Plans, alerts, cfg.skipped)
	if cfg.strict && read.Rejected() > 0 {
		return 2
	}
	return 0
}
