package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/signin-detect/detect/engine/kqlimport"
	"github.com/signin-detect/detect/engine/rule"
	"github.com/signin-detect/detect/engine/sentinel"
)

const importUsage = `Usage: detect import [--output-dir DIR] [--fetch] FILE|FOLDER...

Translates Sentinel analytic rules and hunting queries (YAML files with a KQL query) into rule
files: one rule YAML per input, written to standard output for a single file, or into
--output-dir (named as the input) for several. Folders are searched recursively for *.yaml and
*.yml files. Prints a summary of the rules converted and refused, each refusal with its reason at
file:line:col; exits 1 when any was refused.

A list the query reads with externaldata() from a URL becomes a lookup read from NAME.csv next to
the rule (or --lookup NAME=FILE when running it); --fetch downloads it there once (off by default:
detect never touches the network unless asked).

Flags:
`

func importCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	outDir := fs.String("output-dir", "", "write each rule into this folder (created if missing), named as its input")
	fetch := fs.Bool("fetch", false, "download the files the queries read with externaldata() next to the rules written")
	fs.Usage = func() { fmt.Fprint(stderr, importUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 1
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, "detect import: no Sentinel rule files given\n")
		return 1
	}
	files, err := yamlFiles(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "detect import: %v\n", err)
		return 1
	}
	if len(files) > 1 && *outDir == "" {
		fmt.Fprintf(stderr, "detect import: %d rules: give --output-dir for more than one\n", len(files))
		return 1
	}
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			fmt.Fprintf(stderr, "detect import: %v\n", err)
			return 1
		}
	}
	converted, refused := 0, 0
	for _, f := range files {
		res, err := importFile(f)
		if err != nil {
			refused++
			fmt.Fprintln(stderr, refusalText(f, err))
			continue
		}
		converted++
		target := ""
		if *outDir == "" {
			stdout.Write(res.YAML)
		} else {
			target = filepath.Join(*outDir, filepath.Base(f))
			if err := os.WriteFile(target, res.YAML, 0o644); err != nil {
				fmt.Fprintf(stderr, "detect import: %v\n", err)
				return 1
			}
		}
		if *fetch {
			dir := *outDir
			if dir == "" {
				dir = "."
			}
			for _, lk := range res.Lookups {
				path := filepath.Join(dir, lk.File)
				if err := download(lk.URL, path); err != nil {
					fmt.Fprintf(stderr, "detect import: %s: lookup %s: %v\n", f, lk.Name, err)
					return 1
				}
				fmt.Fprintf(stderr, "%s: lookup %s: downloaded %s into %s\n", f, lk.Name, lk.URL, path)
			}
		}
	}
	fmt.Fprintf(stderr, "import: %d converted, %d refused\n", converted, refused)
	if refused > 0 {
		return 1
	}
	return 0
}

// reportSkipped prints the Sentinel rule files that could not be translated, each as
// `path:line:col: skipped: <construct> is not supported yet`. With strict, a skip is an error;
// without, the other rules run, unless none is left.
func reportSkipped(stderr io.Writer, skipped rule.Errors, rules int, strict bool) error {
	for _, s := range skipped {
		fmt.Fprintln(stderr, s)
	}
	switch {
	case len(skipped) > 0 && strict:
		return fmt.Errorf("detect: %d rules skipped (--strict makes a skipped rule an error)", len(skipped))
	case rules == 0 && len(skipped) > 0:
		return fmt.Errorf("detect: no rule to run: every rule was skipped")
	}
	return nil
}

// importFile reads and translates one Sentinel rule file.
func importFile(path string) (*kqlimport.Result, error) {
	r, err := sentinel.Load(path)
	if err != nil {
		// The file's own errors (an entity mapping without entityType) would make a rule that
		// does not load: they are the refusal.
		return nil, err
	}
	return kqlimport.Translate(r)
}

// refusalText says why a file was not converted: `path:line:col: reason`.
func refusalText(path string, err error) string {
	var errs sentinel.Errors
	if errors.As(err, &errs) {
		lines := make([]string, len(errs))
		for i, e := range errs {
			lines[i] = e.Error()
		}
		return strings.Join(lines, "\n")
	}
	var refusal *kqlimport.Refusal
	var placed *sentinel.Error
	if errors.As(err, &refusal) || errors.As(err, &placed) {
		return err.Error()
	}
	return path + ": " + err.Error()
}

// yamlFiles lists the files named and the *.yaml and *.yml files under the folders named.
func yamlFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(d.Name(), ".yaml") || strings.HasSuffix(d.Name(), ".yml")) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// download writes url's content into path, through a temporary file so that a failed download
// leaves nothing half-written.
func download(url, path string) error {
	client := &http.Client{Timeout: time.Minute}
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".download-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, resp.Body); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
