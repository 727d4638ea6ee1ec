package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
)

// maxBatchFrames bounds the frames of one writev (two iovecs each, well
// under the kernel's IOV_MAX of 1024); TryWriteFrames takes at most this
// many and reports ErrWouldBlock for the rest.
const maxBatchFrames = 256

// maxHeldBytes is the largest held buffer kept for reuse.
const maxHeldBytes = 64 << 10

// wsBatch writes whole server WebSocket frames (FIN, binary, unmasked:
// RFC 6455 section 5.2) straight to the socket with one non-blocking
// writev, bypassing gorilla/websocket's writer, which writes one message
// per system call and waits for the socket. Its owner holds wsConn.wmu.
type wsBatch struct {
	nc   net.Conn
	raw  syscall.RawConn // nil: no raw socket (not Linux, or a wrapped conn without one)
	hdr  []byte
	iov  [][]byte
	held []byte // the unsent rest of the last frame taken, sent before anything else
	vecs iovecs // the iov as the system call takes it, reused

	// The raw write's callback and its results, kept here so a write
	// allocates nothing.
	attempt func(fd uintptr) bool
	sent    int
	werr    error
}

// init finds nc's raw socket, if it has one.
func (b *wsBatch) init(nc net.Conn) {
	b.nc = nc
	if !rawWritev {
		return
	}
	if sc, ok := nc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			b.raw = rc
			b.attempt = b.tryWrite
		}
	}
}

func (b *wsBatch) holding() bool { return len(b.held) > 0 }

// appendWSHeader appends the header of a final, unmasked binary frame of
// n payload bytes.
func appendWSHeader(dst []byte, n int) []byte {
	switch {
	case n < 126:
		return append(dst, 0x82, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(dst, 0x82, 126), uint16(n))
	default:
		return binary.BigEndian.AppendUint64(append(dst, 0x82, 127), uint64(n))
	}
}

// write sends frames with one non-blocking writev and reports how many
// it took (see TryWriter).
func (b *wsBatch) write(frames [][]byte) (int, error) {
	frames = frames[:min(len(frames), maxBatchFrames)]
	b.hdr = b.hdr[:0]
	for _, p := range frames {
		b.hdr = appendWSHeader(b.hdr, len(p))
	}
	b.iov = b.iov[:0]
	off := 0
	for _, p := range frames {
		h := wsHeaderLen(len(p))
		b.iov = append(b.iov, b.hdr[off:off+h], p)
		off += h
	}
	err := b.raw.Write(b.attempt)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// A blocking write (WriteFrame, Flush, a ping) left its deadline,
		// now past, on the socket, which refuses even a try before it.
		_ = b.nc.SetWriteDeadline(time.Time{})
		err = b.raw.Write(b.attempt)
	}
	if err != nil {
		return 0, err
	}
	clear(b.iov) // do not keep the caller's frames reachable
	b.vecs.clear()
	sent, werr := b.sent, b.werr
	b.werr = nil
	switch {
	case errors.Is(werr, syscall.EAGAIN):
		sent = 0
	case werr != nil:
		return 0, werr
	}
	// Frames wholly sent, then the one cut short, whose rest is held.
	taken := 0
	for _, p := range frames {
		fl := wsHeaderLen(len(p)) + len(p)
		if sent >= fl {
			sent -= fl
			taken++
			continue
		}
		if sent > 0 {
			b.held = b.held[:0]
			h := b.hdr[:0]
			h = appendWSHeader(h, len(p)) // b.hdr is spent: reuse it for the header's copy
			if sent < len(h) {
				b.held = append(b.held, h[sent:]...)
				b.held = append(b.held, p...)
			} else {
				b.held = append(b.held, p[sent-len(h):]...)
			}
			taken++
		}
		break
	}
	if taken < len(frames) || b.holding() {
		return taken, ErrWouldBlock
	}
	return taken, nil
}

// tryWrite is the raw write's callback: one writev of b.iov, never
// waiting for the socket (a would-block is the caller's to report).
func (b *wsBatch) tryWrite(fd uintptr) bool {
	for {
		b.sent, b.werr = writev(fd, b.iov, &b.vecs)
		if !errors.Is(b.werr, syscall.EINTR) {
			return true
		}
	}
}

// wsHeaderLen is the length of appendWSHeader's header for n bytes.
func wsHeaderLen(n int) int {
	switch {
	case n < 126:
		return 2
	case n <= 0xffff:
		return 4
	default:
		return 10
	}
}

// flush sends the held rest, waiting up to timeout.
func (b *wsBatch) flush(timeout time.Duration) error {
	if len(b.held) == 0 {
		return nil
	}
	_ = b.nc.SetWriteDeadline(time.Now().Add(timeout))
	_, err := b.nc.Write(b.held)
	b.held = b.held[:0]
	if cap(b.held) > maxHeldBytes {
		b.held = nil
	}
	return err
}

// TryWriteFrames implements TryWriter for server conns on a socket with a
// raw file descriptor (Linux); elsewhere, and on client conns (whose
// frames are masked), it takes nothing and reports ErrWouldBlock, so the
// caller's waiting path writes every frame.
func (c *wsConn) TryWriteFrames(frames [][]byte) (int, error) {
	if c.batch.raw == nil {
		return 0, ErrWouldBlock
	}
	for _, p := range frames {
		if len(p) > c.cfg.MaxWriteFrame {
			return 0, fmt.Errorf("%w: %d bytes over %d", ErrFrameTooLarge, len(p), c.cfg.MaxWriteFrame)
		}
	}
	if !c.wmu.TryLock() {
		return 0, ErrWouldBlock
	}
	defer c.wmu.Unlock()
	if c.batch.holding() {
		return 0, ErrWouldBlock
	}
	n, err := c.batch.write(frames)
	if err != nil && !errors.Is(err, ErrWouldBlock) {
		return n, wsErr(err)
	}
	return n, err
}

// Flush implements TryWriter.
func (c *wsConn) Flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.batch.flush(c.cfg.WriteTimeout); err != nil {
		return wsErr(err)
	}
	return nil
}
