package main

import (
	"fmt"
	"io"

	"github.com/signin-detect/detect/engine/input"
	"github.com/signin-detect/detect/engine/session"
)

// readingHooks show how reading goes on stderr: each rejection as file:line: reason: detail, as it
// comes, and the progress line when stderr is a terminal.
func readingHooks(stderr io.Writer) session.Hooks {
	p := newProgress(stderr)
	return session.Hooks{
		Reject: func(r input.Rejection) {
			p.clear()
			fmt.Fprintln(stderr, r)
		},
		Reading: p.count,
		Done:    p.done,
	}
}
