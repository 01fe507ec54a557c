package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/signin-detect/detect/engine/output"
	"github.com/signin-detect/detect/engine/session"
)

// runStream is run --stream: each rule runs as rows arrive, and each alert is written and flushed
// as soon as it is made, so memory stays flat however long the input runs. SIGINT and SIGTERM end
// it as the end of its input would: it stops reading, writes what it has, checkpoints (--state)
// and prints its summary.
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
	s.Lateness = cfg.lateness
	out, err := openStreamOutput(cfg, stdout, s)
	if err != nil {
		fmt.Fprintf(stderr, "detect run: %v\n", err)
		return 1
	}
	defer out.close()
	if err := s.Start(out.write); err != nil {
		fmt.Fprintf(stderr, "detect run: %v\n", err)
		return 1
	}
	if cfg.state != "" {
		if err := out.resume(s, cfg.state); err != nil {
			fmt.Fprintf(stderr, "detect run: %v\n", err)
			return 1
		}
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	var checkpoints <-chan time.Time
	if cfg.state != "" && cfg.stateEvery > 0 {
		ticker := time.NewTicker(cfg.stateEvery)
		defer ticker.Stop()
		checkpoints = ticker.C
	}
	type ended struct {
		read *session.Read
		err  error
	}
	done := make(chan ended, 1)
	go func() {
		read, err := s.Read(cfg.input(stdin), readingHooks(stderr, cfg.quiet, cfg.input(stdin)))
		done <- ended{read, err}
	}()
	var read *session.Read
	for read == nil {
		select {
		case e := <-done:
			if e.err != nil {
				fmt.Fprintln(stderr, e.err)
				return 1
			}
			read = e.read
		case sig := <-signals:
			// With --state, the rows still in the reorder buffer go into the checkpoint, to be
			// put in order with the rows of the next run.
			s.Stop(cfg.state == "")
			fmt.Fprintf(stderr, "detect run: %v: stopped reading\n", sig)
			read = s.Finished()
		case <-checkpoints:
			if err := s.Checkpoint(cfg.state, out.written); err != nil {
				fmt.Fprintf(stderr, "detect run: %v\n", err)
			}
		}
	}
	status := 0
	if err := out.finish(s); err != nil {
		fmt.Fprintf(stderr, "detect run: writing alerts: %v\n", err)
		status = 1
	}
	if cfg.state != "" {
		if err := s.Checkpoint(cfg.state, out.written); err != nil {
			fmt.Fprintf(stderr, "detect run: %v\n", err)
			status = 1
		}
	}
	alerts := make([]int, len(s.Streams))
	for i, st := range s.Streams {
		if s.Errs[i] != nil {
			fmt.Fprintln(stderr, s.Errs[i])
			status = 1
			continue
		}
		alerts[i] = st.Alerts
		fmt.Fprintf(stderr, "%s: streamed %d rows up to %s, holding at most %d join rows at once (%d forgotten)\n",
			s.Plans[i].Rule.File, st.Rows, s.Now().Format(time.RFC3339Nano), st.MaxHeld, st.Forgotten)
	}
	if s.Late > 0 || s.Held() > 0 || s.Skipped > 0 {
		fmt.Fprintf(stderr, "stream: %d rows late (more than --max-lateness %s behind newer rows), %d held for order in the checkpoint, %d read before the checkpoint skipped\n",
			s.Late, cfg.lateness, s.Held(), s.Skipped)
	}
	printSummary(stderr, read, s.Plans, alerts, cfg.skipped)
	if status == 0 && cfg.strict && read.Rejected() > 0 {
		status = 2
	}
	return status
}

// streamOutput is where a stream's alerts go: standard output, or the --output file, to which
// they are appended as they come (a stream has no end to wait for before publishing them).
type streamOutput struct {
	writer output.Writer
	file   *os.File
	// size is how much of the file is written: where it was, plus what the stream wrote.
	size int64
	// live is false for the table format, which aligns its columns over every alert and so writes
	// them at the end.
	live bool
}

func openStreamOutput(cfg *runConfig, stdout io.Writer, s *session.Stream) (*streamOutput, error) {
	out := &streamOutput{live: cfg.format != "table"}
	w := stdout
	if cfg.output != "" {
		if info, err := os.Stat(cfg.output); err == nil && !info.Mode().IsRegular() {
			return nil, &os.PathError{Op: "write", Path: cfg.output, Err: errors.New("not a regular file")}
		}
		f, err := os.OpenFile(cfg.output, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		info, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, err
		}
		out.file, out.size, w = f, info.Size(), &countingWriter{w: f, n: &out.size}
	}
	var err error
	if out.writer, err = output.New(cfg.format, w, outputOptions(cfg, s.Plans, w)); err != nil {
		out.close()
		return nil, err
	}
	return out, nil
}

// write writes an alert and flushes it: a stream's alerts are read as they come.
func (o *streamOutput) write(a output.Alert) error {
	if err := o.writer.Write(a); err != nil {
		return err
	}
	if !o.live {
		return nil
	}
	return o.writer.Flush()
}

// written is how much of the --output file holds whole alerts.
func (o *streamOutput) written() int64 { return o.size }

func (o *streamOutput) finish(s *session.Stream) error {
	var err error
	s.Locked(func() { err = o.writer.Flush() })
	return err
}

func (o *streamOutput) close() {
	if o.file != nil {
		o.file.Close()
	}
}

// resume resumes s from its --state checkpoint. The alerts written to the --output file after the
// checkpoint (by a stream that was killed before its next one) are not written again; a last
// alert cut short by the kill is removed.
func (o *streamOutput) resume(s *session.Stream, state string) error {
	at, ok, err := s.Resume(state)
	if err != nil || !ok || o.file == nil {
		return err
	}
	after, err := os.ReadFile(o.file.Name())
	if err != nil {
		return err
	}
	if at > int64(len(after)) {
		return fmt.Errorf("--state %s: %s is shorter than when the checkpoint was taken: not the stream's output", state, o.file.Name())
	}
	tail := after[at:]
	whole := bytes.LastIndexByte(tail, '\n') + 1
	if whole < len(tail) {
		if err := o.file.Truncate(at + int64(whole)); err != nil {
			return err
		}
		o.size = at + int64(whole)
	}
	var ids []string
	lines := bufio.NewScanner(bytes.NewReader(tail[:whole]))
	lines.Buffer(nil, len(tail)+1)
	for lines.Scan() {
		var alert struct {
			ID string `json:"_id"`
		}
		if json.Unmarshal(lines.Bytes(), &alert) == nil && alert.ID != "" {
			ids = append(ids, alert.ID)
		}
	}
	s.SkipWritten(ids)
	return nil
}

// countingWriter counts what it writes into n.
type countingWriter struct {
	w io.Writer
	n *int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	*c.n += int64(n)
	return n, err
}
