//go:build windows

package proccpu

import (
	"time"

	"golang.org/x/sys/windows"
)

// Time is this process's user+system CPU time so far; 0 if the system
// refuses to say.
func Time() time.Duration {
	var creation, exit, kernel, user windows.Filetime
	if err := windows.GetProcessTimes(windows.CurrentProcess(), &creation, &exit, &kernel, &user); err != nil {
		return 0
	}
	return span(kernel) + span(user)
}

// span reads a FILETIME that holds a duration (100 ns units), not an
// instant: Filetime.Nanoseconds would subtract the 1601 epoch.
func span(ft windows.Filetime) time.Duration {
	return time.Duration(uint64(ft.HighDateTime)<<32|uint64(ft.LowDateTime)) * 100
}
