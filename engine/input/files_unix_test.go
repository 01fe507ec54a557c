//go:build unix

package input

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

// In a folder, a FIFO (which would wait for a writer forever), a socket or a symlink to a device
// is reported and skipped; a device named on the command line is rejected; the files are read.
func TestFoldersSkipWhatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.ndjson"), []byte(ndjsonRows(1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.ndjson"), 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.ndjson")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a.ndjson", filepath.Join(dir, "link.ndjson")); err != nil {
		t.Fatal(err)
	}
	files, rejected := Files([]string{dir, "/dev/zero"}, "")
	var got []string
	for _, r := range rejected {
		got = append(got, r.String())
	}
	want := []string{
		filepath.Join(dir, "fifo.ndjson") + ": not a regular file: a named pipe (FIFO), skipped",
		filepath.Join(dir, "zero.ndjson") + ": not a regular file: a device, skipped",
		"/dev/zero: not a regular file: a device, skipped",
	}
	if !reflect.DeepEqual(files, []string{filepath.Join(dir, "a.ndjson"), filepath.Join(dir, "link.ndjson")}) || !reflect.DeepEqual(got, want) {
		t.Errorf("files %v, rejected:\n%s", files, strings.Join(got, "\n"))
	}
}
