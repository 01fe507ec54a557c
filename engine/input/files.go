package input

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/signin-detect/detect/engine/record"
)

// Stdin is the name that stands for standard input.
const Stdin = "-"

// CheckGlob tells whether glob is a valid pattern (see path/filepath.Match).
func CheckGlob(glob string) error {
	if _, err := filepath.Match(glob, ""); err != nil {
		return fmt.Errorf("--glob %s: %w", glob, err)
	}
	return nil
}

// Files lists the files paths name: a file as it is, Stdin as it is, and a folder's files,
// searched recursively in lexical order, those whose name matches glob (every one when glob is
// ""; a glob with a / matches the path below the folder). Hidden files and folders, whose names
// start with a dot, are left out of a folder's files. A path that cannot be read is rejected as
// an unreadable file.
func Files(paths []string, glob string) ([]string, []Rejection) {
	var files []string
	var rejected []Rejection
	for _, p := range paths {
		if p == Stdin {
			files = append(files, p)
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			rejected = append(rejected, Unreadable(p, err))
			continue
		}
		if !info.IsDir() {
			// A pipe named on the command line is read (a shell's <(zcat ...) is one); a device
			// such as /dev/zero never ends, and is not.
			if info.Mode()&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeSocket) != 0 {
				rejected = append(rejected, notRegular(p, info.Mode()))
				continue
			}
			files = append(files, p)
			continue
		}
		_ = filepath.WalkDir(p, func(path string, entry fs.DirEntry, err error) error {
			if err != nil {
				rejected = append(rejected, Unreadable(path, err))
				return nil
			}
			if path != p && strings.HasPrefix(entry.Name(), ".") {
				if entry.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if entry.IsDir() || !matches(glob, p, path) {
				return nil
			}
			// In a folder only regular files are read (a symlink, as what it points at): a FIFO
			// would wait for a writer forever, a device or socket is no export.
			mode := entry.Type()
			if mode&fs.ModeSymlink != 0 {
				info, err := os.Stat(path)
				if err != nil {
					rejected = append(rejected, Unreadable(path, err))
					return nil
				}
				mode = info.Mode()
			}
			if !mode.IsRegular() {
				rejected = append(rejected, notRegular(path, mode))
				return nil
			}
			files = append(files, path)
			return nil
		})
	}
	return files, rejected
}

func matches(glob, root, path string) bool {
	if glob == "" {
		return true
	}
	name := filepath.Base(path)
	if strings.Contains(glob, "/") {
		name, _ = filepath.Rel(root, path)
		name = filepath.ToSlash(name)
	}
	if strings.Contains(glob, "**") {
		return matchSegments(strings.Split(glob, "/"), strings.Split(name, "/"))
	}
	ok, _ := filepath.Match(glob, name)
	return ok
}

// matchSegments matches a path's segments against a pattern's, where a segment "**" matches any
// number of segments, none included (a/**/b.json matches a/b.json and a/x/y/b.json).
func matchSegments(pattern, segments []string) bool {
	if len(pattern) == 0 {
		return len(segments) == 0
	}
	if pattern[0] == "**" {
		for skip := 0; skip <= len(segments); skip++ {
			if matchSegments(pattern[1:], segments[skip:]) {
				return true
			}
		}
		return false
	}
	if len(segments) == 0 {
		return false
	}
	ok, _ := filepath.Match(pattern[0], segments[0])
	return ok && matchSegments(pattern[1:], segments[1:])
}

// Open opens a file to Read, or stdin for Stdin. A regular file is read ahead (see aheadFile).
func Open(name string, stdin io.Reader) (io.ReadCloser, error) {
	if name == Stdin {
		return io.NopCloser(stdin), nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	if info, err := f.Stat(); err == nil && info.Mode().IsRegular() {
		return &aheadFile{File: f, advise: readAhead}, nil
	}
	return f, nil
}

// Live tells whether the input name (opened by Open, as f) arrives over time: standard input or
// a pipe, rather than a regular file whose end is there to read.
func Live(name string, f, stdin io.Reader) bool {
	if name == Stdin {
		f = stdin
	}
	file, ok := f.(interface{ Stat() (fs.FileInfo, error) }) // an *os.File, or an aheadFile
	if !ok {
		return true
	}
	info, err := file.Stat()
	return err != nil || !info.Mode().IsRegular()
}

// notRegular is the rejection of a path that is not a file to read.
func notRegular(name string, mode fs.FileMode) Rejection {
	kind := "not a regular file"
	switch {
	case mode&fs.ModeNamedPipe != 0:
		kind = "a named pipe (FIFO)"
	case mode&fs.ModeSocket != 0:
		kind = "a socket"
	case mode&(fs.ModeDevice|fs.ModeCharDevice) != 0:
		kind = "a device"
	case mode.IsDir():
		kind = "a folder"
	}
	return Rejection{Source: record.Source{File: name}, Reason: "not a regular file", Detail: kind + ", skipped"}
}

// Unreadable is the rejection of a file that cannot be opened or listed.
func Unreadable(name string, err error) Rejection {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return Rejection{Source: record.Source{File: name}, Reason: "unreadable file", Detail: err.Error()}
}
