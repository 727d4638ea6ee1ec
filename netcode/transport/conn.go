package transport

import (
	"context"
	"errors"
	"net"
)

// Conn carries whole frames (one protocol message each) in both directions
// over one session, whatever the transport.
type Conn interface {
	// ReadFrame blocks until the next frame arrives and returns it. The
	// slice is valid until the next ReadFrame call. Only one goroutine may
	// read. It fails with ErrFrameTooLarge when a frame is over the read
	// cap, with ErrIdle when nothing arrived for the idle timeout, and
	// with ErrClosed once the conn is closed; after any error the conn is
	// unusable and the caller must Close it.
	ReadFrame() ([]byte, error)
	// WriteFrame sends p as one frame; p may be reused when it returns.
	// Safe for concurrent use. It fails with ErrFrameTooLarge for a frame
	// over the write cap and may block up to the write timeout when the
	// peer does not keep up.
	WriteFrame(p []byte) error
	// Close closes the session; pending reads and writes return ErrClosed.
	// Safe to call more than once.
	Close() error
	// RemoteAddr is the peer's address (for logs and rate limits).
	RemoteAddr() net.Addr
	// Transport names the transport: "kcp", "ws" or "mem".
	Transport() string
}

// Listener hands out admitted sessions: ones whose first frame, already
// read and waiting as the conn's first ReadFrame, is a well-formed hello or
// resume that arrived within the hello timeout.
type Listener interface {
	// Accept blocks until a session is admitted, ctx ends, or the
	// listener closes (ErrClosed).
	Accept(ctx context.Context) (Conn, error)
	// Close stops admitting, closes sessions not yet accepted and waits
	// for the listener's goroutines. Accepted conns stay open.
	Close() error
	// Addr is where clients dial.
	Addr() net.Addr
	// Stats reports what the admission gate did so far.
	Stats() Stats
}

// Dialer opens client sessions to one server endpoint. A client resuming
// a session may use a different Dialer (another transport) than the one
// it first connected with.
type Dialer interface {
	Dial(ctx context.Context) (Conn, error)
}

// TryWriter is implemented by conns that can send several frames in one
// system call without waiting on the peer (WebSocket on Linux, and the
// in-memory transport, which never waits). A server that writes the
// frames of many connections from one goroutine uses it so that a
// connection that does not keep up stalls only itself: the rest of its
// frames go to a goroutine of its own that may wait (Flush, WriteFrame).
type TryWriter interface {
	// TryWriteFrames sends frames in order, as WriteFrame would one by
	// one, without waiting: it returns how many it took. A frame taken is
	// sent, or, for the last one taken, partly sent with its rest copied
	// and held by the conn, which sends it before anything written after.
	// When it could not take every frame, or holds a rest, it returns
	// ErrWouldBlock: the caller must then call Flush (or WriteFrame, which
	// flushes first) from a goroutine that may wait, before calling
	// TryWriteFrames again (which takes nothing while a rest is held). Any
	// other error is WriteFrame's, and the conn is unusable. It never
	// waits on another writer either: a write in progress makes it
	// return 0, ErrWouldBlock. The frames may be reused when it returns.
	TryWriteFrames(frames [][]byte) (int, error)
	// Flush sends the rest TryWriteFrames held, waiting up to the write
	// timeout; nil when nothing is held.
	Flush() error
}

// Sentinel errors of the transports; test with errors.Is.
var (
	// ErrWouldBlock is TryWriteFrames's answer when the conn could not
	// take every frame without waiting.
	ErrWouldBlock    = errors.New("transport: write would block")
	ErrClosed        = errors.New("transport: closed")
	ErrFrameTooLarge = errors.New("transport: frame too large")
	ErrIdle          = errors.New("transport: idle timeout")
	ErrBadFrame      = errors.New("transport: bad frame")
)

// Keyed is implemented by the conns of every listener: KeyTag is the tag
// (KeyRing.Add) of the per-seat key a sealed KCP session was opened with,
// and "" for plaintext sessions and other transports. A server checks it
// against the seat the session's hello claims.
type Keyed interface {
	KeyTag() string
}
