//go:build unix

package fdlimit

import (
	"os"
	"syscall"
)

// Raise sets the soft RLIMIT_NOFILE to the hard limit and returns the new
// soft limit. On macOS the hard limit may be unlimited, where the kernel
// caps the soft one at OPEN_MAX; a refusal there keeps the old limit.
func Raise() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur >= lim.Max {
		return uint64(lim.Cur), nil
	}
	old := lim.Cur
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return uint64(old), err
	}
	return uint64(lim.Cur), nil
}

// Limit returns the soft and hard RLIMIT_NOFILE.
func Limit() (soft, hard uint64, err error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, 0, err
	}
	return uint64(lim.Cur), uint64(lim.Max), nil
}

// Open counts the process's open descriptors (Linux /proc/self/fd, else
// /dev/fd); -1 when neither can be read.
func Open() int {
	for _, dir := range []string{"/proc/self/fd", "/dev/fd"} {
		if ents, err := os.ReadDir(dir); err == nil {
			return len(ents) - 1 // the directory being read
		}
	}
	return -1
}
