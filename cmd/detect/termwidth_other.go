//go:build !linux && !darwin

package main

import "os"

// terminalColumns is 0 where detect does not ask the terminal: the width falls back to $COLUMNS
// or 120.
func terminalColumns(*os.File) int { return 0 }
