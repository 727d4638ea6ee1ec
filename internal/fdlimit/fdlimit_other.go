//go:build !unix

package fdlimit

import "errors"

// Raise is not supported here: it returns an error and changes nothing.
func Raise() (uint64, error) { return 0, errors.New("fdlimit: not supported on this system") }

// Limit is not supported here.
func Limit() (soft, hard uint64, err error) {
	return 0, 0, errors.New("fdlimit: not supported on this system")
}

// Open returns -1: descriptors cannot be counted here.
func Open() int { return -1 }
