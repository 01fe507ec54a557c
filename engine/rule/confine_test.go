package rule

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withLookup is a rule whose lookup reads file.
func withLookup(file string) string {
	return base + "lookups:\n  L:\n    file: " + file + "\n    column: c\n"
}

// A rule pack reads only its own folder tree: a lookup or a base outside it (by a path with ..,
// an absolute path, or a symlink that leads out) is an error at its place, unless --allow-outside
// names the folder; a device, FIFO or oversized file is never read, and no message quotes a
// file's text.
func TestRulePacksAreConfinedToTheirFolder(t *testing.T) {
	top := t.TempDir()
	pack := filepath.Join(top, "pack")
	outside := filepath.Join(top, "outside")
	for _, d := range []string{pack, outside, filepath.Join(pack, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	secret := write(t, outside, "secret.csv", "c\ntop secret\n")
	write(t, pack, "list.csv", "c\nx\n")
	write(t, filepath.Join(pack, "sub"), "list.csv", "c\ny\n")
	write(t, outside, "base.yaml", base)
	if err := os.Symlink(secret, filepath.Join(pack, "link.csv")); err != nil {
		t.Fatal(err)
	}
	variant := "id: 9b0f5a52-8d3c-4f1e-9a57-3c2b1d0e9f8a\nname: v\nextends: %s\n"
	cases := []struct{ name, text, want string }{
		{"inside.yaml", withLookup("sub/list.csv"), ""},
		{"dotdot.yaml", withLookup("../outside/secret.csv"), "dotdot.yaml:24:3: lookup L: " + filepath.Join(pack, "../outside/secret.csv") + ": outside the rule's folder " + pack},
		{"absolute.yaml", withLookup("/etc/passwd"), "absolute.yaml:24:3: lookup L: /etc/passwd: outside the rule's folder"},
		{"proc.yaml", withLookup("/proc/self/environ"), "proc.yaml:24:3: lookup L: /proc/self/environ: outside the rule's folder"},
		{"symlink.yaml", withLookup("link.csv"), "symlink.yaml:24:3: lookup L: " + filepath.Join(pack, "link.csv") + ": outside the rule's folder " + pack + " (it leads to " + secret + ")"},
		{"extends.yaml", strings.Replace(variant, "%s", "../outside/base.yaml", 1), "extends.yaml:3:10: base rule " + filepath.Join(outside, "base.yaml") + ": outside the rule's folder"},
		{"zero.yaml", strings.Replace(variant, "%s", "/dev/zero", 1), "zero.yaml:3:10: base rule /dev/zero: outside the rule's folder"},
	}
	for _, c := range cases {
		path := write(t, pack, c.name, c.text)
		_, err := LoadPaths([]string{path})
		got := ""
		if err != nil {
			got = err.Error()
		}
		if !strings.HasPrefix(got, strings.Replace(c.want, c.name, path, 1)) || (c.want == "") != (got == "") || strings.Contains(got, "top secret") {
			t.Errorf("%s: %q\nwant %q", c.name, got, c.want)
		}
		if _, err := LoadPaths([]string{path}, outside, "/etc", "/proc/self", "/dev"); err != nil && c.name != "zero.yaml" {
			t.Errorf("%s with --allow-outside: %v", c.name, err)
		}
		os.Remove(path)
	}
	// Allowed outside, a device is still no file to read.
	path := write(t, pack, "zero.yaml", strings.Replace(variant, "%s", "/dev/zero", 1))
	if _, err := LoadPaths([]string{path}, "/dev"); err == nil || !strings.Contains(err.Error(), "base rule /dev/zero: not a regular file") {
		t.Errorf("/dev/zero allowed: %v", err)
	}
	if _, err := ReadLookup("/dev/zero", "c"); err == nil || !strings.Contains(err.Error(), "/dev/zero: not a regular file") {
		t.Errorf("a lookup of /dev/zero: %v", err)
	}
	big := write(t, pack, "big.csv", "c\n"+strings.Repeat("x\n", maxLookupSize/2+1))
	if _, err := ReadLookup(big, "c"); err == nil || !strings.Contains(err.Error(), "over the limit of 64 MB") {
		t.Errorf("an oversized lookup: %v", err)
	}
	// A rule folder given as the path confines every rule under it to it, so a rule in a
	// subfolder may read its siblings' files.
	write(t, filepath.Join(pack, "sub"), "up.yaml", withLookup("../list.csv"))
	os.Remove(big)
	os.Remove(path)
	if _, err := LoadPaths([]string{pack}); err != nil {
		t.Errorf("a pack's own files: %v", err)
	}
}
