package netcode

import (
	"errors"
	"fmt"
)

// Version is the protocol version this package speaks; it travels in hello,
// resume and welcome. Peers with a different version are refused with
// CodeVersionMismatch. Version 2 replaced version 1's snapshot layout
// (base_tick became base_age, updated became a bit-packed stream); the
// hello, resume, welcome and error layouts are the same in both, so a
// server can always tell an old client why it is refused.
const Version = 2

// Kind is the first element of every frame's top-level array and names the
// message. Client-to-server kinds are 1-15, server-to-client kinds 16-31.
type Kind uint8

// Message kinds (PROTOCOL.md, "Messages").
const (
	KindHello     Kind = 1  // client: first frame of a new session
	KindResume    Kind = 2  // client: first frame of a resumed session
	KindInput     Kind = 3  // client: batch of unacknowledged inputs plus a snapshot ack
	KindAck       Kind = 4  // client: snapshot ack alone
	KindPing      Kind = 5  // client: clock-sync probe
	KindClientBye Kind = 6  // client: leaving on purpose
	KindWelcome   Kind = 16 // server: session accepted
	KindSnapshot  Kind = 17 // server: world state, delta against an acked baseline
	KindEvents    Kind = 18 // server: game events of one tick
	KindPong      Kind = 19 // server: answer to ping
	KindError     Kind = 20 // server: typed error; the server closes after it
	KindServerBye Kind = 21 // server: session over (match ended, kicked, draining)
)

// String returns the kind's name as PROTOCOL.md spells it.
func (k Kind) String() string {
	switch k {
	case KindHello:
		return "hello"
	case KindResume:
		return "resume"
	case KindInput:
		return "input"
	case KindAck:
		return "ack"
	case KindPing:
		return "ping"
	case KindClientBye:
		return "bye"
	case KindWelcome:
		return "welcome"
	case KindSnapshot:
		return "snapshot"
	case KindEvents:
		return "events"
	case KindPong:
		return "pong"
	case KindError:
		return "error"
	case KindServerBye:
		return "bye"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Frame size caps per direction (PROTOCOL.md, "Limits"). A peer that
// receives a larger frame answers CodeFrameTooLarge and closes.
const (
	MaxClientFrame = 4 << 10   // bytes, client to server
	MaxServerFrame = 256 << 10 // bytes, server to client
)

// Per-message limits enforced by the decoders.
const (
	MaxTicket          = 2048 // bytes of a join ticket
	MaxResumeToken     = 128  // bytes of a resume token
	MaxErrorMessage    = 512  // bytes of an error message text
	MaxInputsPerFrame  = 32   // inputs in one input frame
	MaxEventsPerFrame  = 1024 // events in one events frame
	MaxEventFields     = 15   // integers in one event after its kind
	MaxSnapshotEntries = 8192 // created + updated + removed entities in one snapshot
)

// Sentinel errors of the codecs. Decoders wrap them with the offset and the
// reason; test with errors.Is.
var (
	// ErrMalformed: the bytes are not a well-formed message of the expected
	// kind (truncated, wrong type, a length over the bytes left or a limit).
	ErrMalformed = errors.New("netcode: malformed frame")
	// ErrFrameTooLarge: the frame is over the cap of its direction.
	ErrFrameTooLarge = errors.New("netcode: frame too large")
	// ErrUnknownKind: the frame's kind is not one this version knows, or not
	// one the receiving side accepts.
	ErrUnknownKind = errors.New("netcode: unknown message kind")
	// ErrBaseline: a snapshot cannot be applied to the given baseline (wrong
	// tick, or its created/updated/removed lists contradict the baseline).
	ErrBaseline = errors.New("netcode: snapshot does not fit its baseline")
)

// PeekKind returns the kind of a frame without decoding the rest: the
// first element of its top-level array. It checks nothing else.
func PeekKind(frame []byte) (Kind, error) {
	r := reader{b: frame}
	if _, err := r.arrayLen(len(frame)); err != nil {
		return 0, err
	}
	k, err := r.intRange(0, 255)
	if err != nil {
		return 0, err
	}
	return Kind(k), nil
}

// header checks the frame against the cap of want's direction, reads the
// top-level array header and the kind, which must be want, and returns how
// many elements follow the kind. The array must hold at least min elements
// after the kind.
func header(r *reader, want Kind, min int) (int, error) {
	limit := MaxServerFrame
	if want < KindWelcome {
		limit = MaxClientFrame
	}
	if len(r.b) > limit {
		return 0, fmt.Errorf("%w: %s of %d bytes over %d", ErrFrameTooLarge, want, len(r.b), limit)
	}
	n, err := r.arrayLen(limit)
	if err != nil {
		return 0, err
	}
	if n < 1+min {
		return 0, r.errf("%s: %d elements, want at least %d", want, n, 1+min)
	}
	k, err := r.intRange(0, 255)
	if err != nil {
		return 0, err
	}
	if Kind(k) != want {
		return 0, fmt.Errorf("%w: got %s, want %s", ErrUnknownKind, Kind(k), want)
	}
	return n - 1, nil
}

// finish skips the extra trailing elements of a top-level array (a newer
// minor version's fields) and checks nothing follows the array.
func finish(r *reader, extra int) error {
	if err := r.rest(extra); err != nil {
		return err
	}
	return r.end()
}
