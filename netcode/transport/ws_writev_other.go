//go:build !linux

package transport

import "errors"

// rawWritev says writev below works: not on this platform, where
// TryWriteFrames of a WebSocket conn takes nothing.
const rawWritev = false

// iovecs stands in for Linux's writev vector.
type iovecs struct{}

func (*iovecs) clear() {}

func writev(uintptr, [][]byte, *iovecs) (int, error) { return 0, errors.ErrUnsupported }
