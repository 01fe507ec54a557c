// Command detect runs detection rules, ported from Microsoft Sentinel KQL and written as YAML,
// over exported Microsoft Entra ID sign-in logs.
//
// Usage:
//
//	detect run --rule PATH [flags] FILE...
//
// Run `detect --help` and `detect run --help` for every flag.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

const usage = `detect runs detection rules, ported from Microsoft Sentinel KQL and written as YAML,
over exported Microsoft Entra ID sign-in and audit logs.

Usage:
  detect run --rule PATH [--rule PATH ...] [--tables DIR] [--now T] [--set NAME=VALUE]
             [--lookup NAME=FILE] [--input-format F] [--glob PATTERN] [--strict] [--format F]
             [--output FILE] [--stream] [--allow-outside PATH] [--max-decompressed SIZE]
             [--max-ratio N] [--future-skew D] [--max-memory SIZE] [--soft-memory SIZE]
             [--report FILE.html] [--report-max-alerts N] FILE|FOLDER...
  detect hunt --rule PATH [--rule PATH ...] [--from T] [--to T] [--every DURATION] [run's flags]
             FILE|FOLDER...
  detect check [--format text|json] [--tables DIR] [--allow-outside PATH] [PATH ...]
  detect test [-v] [PATH ...]
  detect explain --rule FILE [--now T] [--where EXPR] FILE...
  detect import [--output-dir DIR] [--fetch] FILE|FOLDER...

  detect --version

Commands:
  run      run rules over log files and print one JSON alert per line
  hunt     run rules over a whole export as if Sentinel had been running them all along
  check    report every problem in rule files, each at file:line:col (exit 1 if any)
  test     run the test cases beside each rule; the last line is 'N passed, N failed'
  explain  print a rule's funnel (rows into and out of each stage) and follow rows through it
  import   translate Sentinel rule files (YAML with a KQL query) into rule files

Run 'detect COMMAND --help' for a command's flags.

Exit status: 0 when the command completed (run: with or without alerts), 1 when it could not
or found problems (a rule with errors, a failing case, a bad flag, no input), 2 when run is given
--strict and input was rejected, 3 when run stopped as it ran out of memory (--max-memory);
134 (SIGABRT) when the Go runtime could not get memory from the system (or crashed).
`

func main() {
	crashDistinctly()
	paceGarbageCollection(defaultSoftMemory(defaultMemoryCeiling()), false)
	watchMemory()
	os.Exit(dispatch(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func dispatch(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 1
	}
	switch args[0] {
	case "run":
		return runCommand(args[1:], stdin, stdout, stderr)
	case "hunt":
		return huntCommand(args[1:], stdin, stdout, stderr)
	case "check":
		return checkCommand(args[1:], stdout, stderr)
	case "test":
		return testCommand(args[1:], stdout, stderr)
	case "explain":
		return explainCommand(args[1:], stdin, stdout, stderr)
	case "import":
		return importCommand(args[1:], stdout, stderr)
	case "--version", "-version", "version":
		fmt.Fprintln(stdout, version())
		return 0
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		printFunctions(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "detect: unknown command %q\n\n%s", args[0], usage)
	return 1
}

// version is the module's version and the VCS revision the binary was built from, as the Go
// toolchain recorded them.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "detect (no build information)"
	}
	line := "detect " + info.Main.Version
	revision, modified := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if revision != "" {
		line += " (revision " + revision
		if modified {
			line += ", modified"
		}
		line += ")"
	}
	return line
}
