package rule

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Size limits of the files a rule pack reads: rules are a few KB, lookups a few hundred lines.
const (
	maxRuleSize   = 4 << 20
	maxLookupSize = 64 << 20
)

// confined checks that path may be read by a rule confined to root: once symlinks are resolved it
// lies inside root or one of allowOutside, and it is a regular file of at most limit bytes.
// Without this, a rule pack from elsewhere could read /etc/passwd or /proc/self/environ into its
// alerts, or hang its loader on /dev/zero.
func confined(path, root string, allowOutside []string, limit int64) error {
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		return unwrapPathError(err)
	}
	inside := false
	for _, allowed := range append([]string{root}, allowOutside...) {
		if within(resolved, allowed) {
			inside = true
			break
		}
	}
	if !inside {
		where := ""
		if resolved != filepath.Clean(path) {
			where = " (it leads to " + resolved + ")"
		}
		return fmt.Errorf("outside the rule's folder %s%s: a rule reads only files in its own folder tree, unless --allow-outside names their folder", root, where)
	}
	return regularWithin(path, limit)
}

// within tells whether path (symlinks resolved) is dir or lies below it.
func within(path, dir string) bool {
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false
	}
	absPath, err1 := filepath.Abs(path)
	absDir, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(absDir, absPath)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// regularWithin checks that path is a regular file of at most limit bytes.
func regularWithin(path string, limit int64) error {
	info, err := os.Stat(path)
	if err != nil {
		return unwrapPathError(err)
	}
	if !info.Mode().IsRegular() {
		return errors.New("not a regular file (a device, FIFO or socket is never read)")
	}
	if info.Size() > limit {
		return fmt.Errorf("%d MB, over the limit of %d MB", info.Size()>>20, limit>>20)
	}
	return nil
}

// readConfined reads a file that confined allows.
func readConfined(path, root string, allowOutside []string, limit int64) ([]byte, error) {
	if err := confined(path, root, allowOutside, limit); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(data)) > limit {
		err = fmt.Errorf("over the limit of %d MB", limit>>20)
	}
	return data, err
}
