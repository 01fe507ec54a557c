package main

import (
	"io"
	"strings"

	"github.com/signin-detect/detect/engine/output"
	"github.com/signin-detect/detect/engine/pipeline"
)

// alertOutput is where alerts go: standard output, or the --output file, which is written
// atomically and only when the run completes.
type alertOutput struct {
	writer output.Writer
	file   *output.AtomicFile
}

func openOutput(cfg *runConfig, stdout io.Writer, plans []*pipeline.Plan) (*alertOutput, error) {
	columns := make([][]string, len(plans))
	for i, p := range plans {
		for _, col := range p.Output {
			columns[i] = append(columns[i], col.Name)
		}
	}
	out := &alertOutput{}
	w := stdout
	if cfg.output != "" {
		f, err := output.CreateAtomic(cfg.output)
		if err != nil {
			return nil, err
		}
		out.file, w = f, f
	}
	var err error
	opts := output.Options{Rules: columns, Width: termWidth(w)}
	if cfg.columns != "" {
		opts.Columns = strings.Split(cfg.columns, ",")
	}
	if out.writer, err = output.New(cfg.format, w, opts); err != nil {
		out.abort()
		return nil, err
	}
	return out, nil
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
	return o.file.Commit()
}

func (o *alertOutput) abort() {
	if o.file != nil {
		o.file.Abort()
	}
}
