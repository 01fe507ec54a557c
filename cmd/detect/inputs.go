package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/signin-detect/detect/engine/input"
	"github.com/signin-detect/detect/engine/session"
)

// rejectionsShown is how many rejections of one file for one reason are printed; the rest are
// counted in one line, so that a file of a hundred alike bad lines does not bury the summary.
const rejectionsShown = 5

// readingHooks show how reading goes on stderr: each rejection as file:line: reason: detail, as it
// comes (the first rejectionsShown of each file and reason, then how many more), and the progress
// line when stderr is a terminal (with the share of in read, when its size is known). quiet shows
// neither.
func readingHooks(stderr io.Writer, quiet bool, in session.Input) session.Hooks {
	if quiet {
		return session.Hooks{}
	}
	var size int64
	if isTerminal(stderr) {
		size = inputSize(in)
	}
	p := newProgress(stderr, size)
	type group struct{ file, reason string }
	counts := map[group]int{}
	var order []group
	return session.Hooks{
		Reject: func(r input.Rejection) {
			g := group{r.Source.File, r.Reason}
			if counts[g] == 0 {
				order = append(order, g)
			}
			counts[g]++
			if counts[g] > rejectionsShown {
				return
			}
			p.clear()
			fmt.Fprintln(stderr, r)
		},
		Reading: p.count,
		Done: func() {
			p.done()
			for _, g := range order {
				if n := counts[g] - rejectionsShown; n > 0 {
					fmt.Fprintf(stderr, "%s: ... and %d more (%s)\n", g.file, n, g.reason)
				}
			}
		},
	}
}

// checkInputs fails when an input path does not exist or --glob matches no file in the folders
// given: a scheduled job with a typo must not report "no alerts" forever.
func checkInputs(cfg *runConfig) error {
	var folders []string
	for _, f := range cfg.files {
		if f == input.Stdin {
			continue
		}
		info, err := os.Stat(f)
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("input %s does not exist", f)
		}
		if err == nil && info.IsDir() {
			folders = append(folders, f)
		}
	}
	if cfg.glob != "" && len(folders) > 0 {
		if files, _ := input.Files(folders, cfg.glob); len(files) == 0 {
			return fmt.Errorf("--glob %s matches no file in %s", cfg.glob, strings.Join(folders, ", "))
		}
	}
	return nil
}

// readSomething fails when not one record was read: every file was empty, unreadable or rejected.
func readSomething(read *session.Read) error {
	if read.Records > 0 {
		return nil
	}
	if read.Files == 0 {
		return errors.New("no record was read: no input file could be opened")
	}
	return fmt.Errorf("no record was read from the %d input files (%d rejected)", read.Files, read.Rejected())
}

// printDefaults prints fs's flags as --flag (flag.PrintDefaults writes -flag, which detect's
// documents do not).
func printDefaults(w io.Writer, fs *flag.FlagSet) {
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	sort.Strings(names)
	for _, name := range names {
		f := fs.Lookup(name)
		kind, usage := flag.UnquoteUsage(f)
		dashes := "--"
		if len(name) == 1 {
			dashes = "-"
		}
		line := "  " + dashes + name
		if kind != "" {
			line += " " + kind
		}
		fmt.Fprintf(w, "%s\n    \t%s", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "[]" && (f.DefValue != "0" || !strings.Contains(usage, "(default: ")) {
			fmt.Fprintf(w, " (default %q)", f.DefValue)
		}
		fmt.Fprintln(w)
	}
}

// usageWriter is where a command's usage goes: standard output when it was asked for (--help,
// -h), standard error when it follows a mistake in the flags.
func usageWriter(args []string, stdout, stderr io.Writer) io.Writer {
	for _, a := range args {
		switch a {
		case "--":
			return stderr
		case "-h", "-help", "--help":
			return stdout
		}
	}
	return stderr
}
