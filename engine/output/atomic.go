package output

import (
	"errors"
	"os"
	"path/filepath"
)

// AtomicFile is written under a temporary name in its target's folder and renamed over the target
// by Commit, so that the target is only ever the old file or the whole new one: a run that fails
// leaves no partial file behind.
type AtomicFile struct {
	*os.File
	target string
	mode   os.FileMode
}

// CreateAtomic starts writing path. Call Commit when all is written, or Abort.
func CreateAtomic(path string) (*AtomicFile, error) {
	mode := os.FileMode(0o644)
	if info, err := os.Stat(path); err == nil {
		if !info.Mode().IsRegular() {
			return nil, &os.PathError{Op: "write", Path: path, Err: errors.New("not a regular file")}
		}
		mode = info.Mode().Perm()
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, err
	}
	return &AtomicFile{File: f, target: path, mode: mode}, nil
}

// Commit makes the written file the target.
func (a *AtomicFile) Commit() error {
	err := a.Sync()
	if cerr := a.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(a.Name(), a.mode)
	}
	if err == nil {
		err = os.Rename(a.Name(), a.target)
	}
	if err != nil {
		_ = os.Remove(a.Name())
	}
	return err
}

// Target is the path the file replaces on Commit.
func (a *AtomicFile) Target() string { return a.target }

// Abort drops what was written; the target is left as it was.
func (a *AtomicFile) Abort() {
	_ = a.Close()
	_ = os.Remove(a.Name())
}
