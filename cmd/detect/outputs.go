package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/signin-detect/detect/engine/output"
	"github.com/signin-detect/detect/engine/pipeline"
)

// alertOutput is where alerts go: standard output, or the --output file, which is written
// atomically and only when the run completes.
type alertOutput struct {
	writer output.Writer
	file   *output.AtomicFile
	// mu orders the file's commit or abort with an interruption's; done ends the watch for one.
	mu   sync.Mutex
	done chan struct{}
}

// outputOptions are what the alert writer of plans, writing to w, needs to know: each rule's
// columns, --columns, and the width of the terminal w may be.
func outputOptions(cfg *runConfig, plans []*pipeline.Plan, w io.Writer) output.Options {
	columns := make([][]string, len(plans))
	for i, p := range plans {
		for _, col := range p.Output {
			columns[i] = append(columns[i], col.Name)
		}
	}
	opts := output.Options{Rules: columns, Width: termWidth(w)}
	if cfg.columns != "" {
		opts.Columns = strings.Split(cfg.columns, ",")
	}
	return opts
}

func openOutput(cfg *runConfig, stdout io.Writer, plans []*pipeline.Plan) (*alertOutput, error) {
	out := &alertOutput{}
	w := stdout
	if cfg.output != "" {
		// Watched before the temporary file exists, so that no signal finds it there unwatched.
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
		f, err := output.CreateAtomic(cfg.output)
		if err != nil {
			signal.Stop(signals)
			return nil, err
		}
		out.file, w = f, f
		out.removeOnSignal(signals)
	}
	var err error
	if out.writer, err = output.New(cfg.format, w, outputOptions(cfg, plans, w)); err != nil {
		out.abort()
		return nil, err
	}
	return out, nil
}

// removeOnSignal removes the --output file's temporary file when SIGINT or SIGTERM (read from
// signals) stops the run, which then exits with 128 plus the signal's number, as a shell reports it.
func (o *alertOutput) removeOnSignal(signals chan os.Signal) {
	done := make(chan struct{})
	o.done = done
	go func() {
		defer signal.Stop(signals)
		select {
		case sig := <-signals:
			o.mu.Lock() // held until the exit: the file is never committed after this
			o.file.Abort()
			fmt.Fprintf(os.Stderr, "\ndetect run: %v: stopped; %s is left as it was\n", sig, o.file.Target())
			os.Exit(128 + int(sig.(syscall.Signal)))
		case <-done:
		}
	}()
}

// finish flushes the alerts; the --output file replaces its target only when the run completed.
func (o *alertOutput) finish(completed bool) error {
	if err := o.writer.Flush(); err != nil {
		o.abort()
		return err
	}
	if o.file == nil {
		return nil
	}
	if !completed {
		o.abort()
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.stopWatching()
	return o.file.Commit()
}

func (o *alertOutput) abort() {
	if o.file != nil {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.stopWatching()
		o.file.Abort()
	}
}

func (o *alertOutput) stopWatching() {
	if o.done != nil {
		close(o.done)
		o.done = nil
	}
}
