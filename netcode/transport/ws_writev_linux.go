package transport

import (
	"syscall"
	"unsafe"
)

// rawWritev says writev below works.
const rawWritev = true

// iovecs is writev's vector, reused from call to call.
type iovecs []syscall.Iovec

// clear drops the vector's pointers into the frames.
func (v *iovecs) clear() { clear(*v) }

// writev is one writev(2) of iov on the non-blocking socket fd, building
// its vector in v (golang.org/x/sys/unix.Writev allocates one per call).
func writev(fd uintptr, iov [][]byte, v *iovecs) (int, error) {
	*v = (*v)[:0]
	for _, b := range iov {
		var e syscall.Iovec
		if len(b) > 0 {
			e.Base = &b[0]
			e.SetLen(len(b))
		}
		*v = append(*v, e)
	}
	if len(*v) == 0 {
		return 0, nil
	}
	n, _, errno := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&(*v)[0])), uintptr(len(*v)))
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}
