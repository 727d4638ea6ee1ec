//go:build windows

package outbox

import (
	"math"
	"os"

	"golang.org/x/sys/windows"
)

// tryLock takes an exclusive, non-blocking LockFileEx on the whole of f.
func tryLock(f *os.File) error {
	var ol windows.Overlapped
	flags := uint32(windows.LOCKFILE_EXCLUSIVE_LOCK | windows.LOCKFILE_FAIL_IMMEDIATELY)
	return windows.LockFileEx(windows.Handle(f.Fd()), flags, 0, math.MaxUint32, math.MaxUint32, &ol)
}
