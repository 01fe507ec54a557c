//go:build !linux

package input

import "os"

// readAhead is advice the kernel is not given here: files are read as the reads come.
func readAhead(*os.File, int64, int64) {}
