package main

import (
	"io"
	"os"
	"runtime/pprof"
	"testing"
	"time"
)

func TestProfileRun(t *testing.T) {
	f, _ := os.Create("/tmp/cpu.prof")
	pprof.StartCPUProfile(f)
	start := time.Now()
	dispatch([]string{"run", "--rule", "../../rules/foci/v2.yaml", "--now", "latest", "../../.bench/signins-100000.ndjson"}, nil, io.Discard, io.Discard)
	t.Log(time.Since(start))
	pprof.StopCPUProfile()
}
