package input

import (
	"os"
	"syscall"
)

// posixFadvWillNeed is POSIX_FADV_WILLNEED: start reading the range into the page cache, and
// return. https://man7.org/linux/man-pages/man2/posix_fadvise.2.html
const posixFadvWillNeed = 3

// readAhead asks the kernel to read length bytes of f from offset into the page cache. It is
// advice: a failure changes nothing but the speed.
func readAhead(f *os.File, offset, length int64) {
	conn, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = conn.Control(func(fd uintptr) {
		_, _, _ = syscall.Syscall6(syscall.SYS_FADVISE64, fd, uintptr(offset), uintptr(length), posixFadvWillNeed, 0, 0)
	})
}
