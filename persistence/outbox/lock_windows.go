//go:build windows

package outbox

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// lockDir takes an exclusive, non-blocking LockFileEx on the whole of
// dir/LOCK; the returned file holds it until closed (or the process dies).
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	var ol windows.Overlapped
	flags := uint32(windows.LOCKFILE_EXCLUSIVE_LOCK | windows.LOCKFILE_FAIL_IMMEDIATELY)
	if err := windows.LockFileEx(windows.Handle(f.Fd()), flags, 0, math.MaxUint32, math.MaxUint32, &ol); err != nil {
		f.Close()
		return nil, fmt.Errorf("outbox directory %s is in use by another process: %w", dir, err)
	}
	return f, nil
}
