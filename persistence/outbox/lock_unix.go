//go:build unix

package outbox

import (
	"os"
	"syscall"
)

// tryLock takes an exclusive, non-blocking flock on f.
func tryLock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}
