package main

import (
	"io"
	"os"
	"strconv"
)

// termWidth is the width of the terminal w writes to: $COLUMNS when set, else what the terminal
// says, else 120 (a pipe or a file).
func termWidth(w io.Writer) int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if f, ok := w.(*os.File); ok {
		if n := terminalColumns(f); n > 0 {
			return n
		}
	}
	return 120
}
