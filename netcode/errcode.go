package netcode

import (
	"fmt"
	"math"
	"time"
)

// Code is a stable wire error code. Numbers never change meaning; new codes
// are added at the end. A client must treat an unknown code like
// CodeInternal.
type Code uint16

// Error codes (PROTOCOL.md, "Error codes"). Resumable says which let the
// client try a resume.
const (
	CodeNone            Code = 0  // no error: a normal bye
	CodeProtocolError   Code = 1  // malformed frame, unknown or unexpected message kind
	CodeFrameTooLarge   Code = 2  // frame over the direction's cap
	CodeVersionMismatch Code = 3  // hello.version is not the server's
	CodeHelloTimeout    Code = 4  // no valid hello within the deadline
	CodeBadTicket       Code = 5  // ticket signature or shape invalid
	CodeTicketExpired   Code = 6  // ticket past its expiry
	CodeWrongRoom       Code = 7  // ticket is for another room or server
	CodeTicketReused    Code = 8  // ticket already used by a live session
	CodeRoomFull        Code = 9  // no free seat
	CodeRoomNotFound    Code = 10 // the ticket's room does not exist here
	CodeRoomEnded       Code = 11 // the match is over
	CodeResumeFailed    Code = 12 // unknown or expired resume token, seat released
	CodeRateLimited     Code = 13 // the client sent too many frames (flood)
	CodeSlowConsumer    Code = 14 // the client did not keep up with its snapshots
	CodeServerDraining  Code = 15 // the server is shutting down; reconnect elsewhere
	CodeInternal        Code = 16 // server fault
	CodeResultPending   Code = 17 // the match ended but its result is not yet durable; the lobby reports it when it is
)

var codeNames = [...]string{
	CodeNone:            "none",
	CodeProtocolError:   "protocol_error",
	CodeFrameTooLarge:   "frame_too_large",
	CodeVersionMismatch: "version_mismatch",
	CodeHelloTimeout:    "hello_timeout",
	CodeBadTicket:       "bad_ticket",
	CodeTicketExpired:   "ticket_expired",
	CodeWrongRoom:       "wrong_room",
	CodeTicketReused:    "ticket_reused",
	CodeRoomFull:        "room_full",
	CodeRoomNotFound:    "room_not_found",
	CodeRoomEnded:       "room_ended",
	CodeResumeFailed:    "resume_failed",
	CodeRateLimited:     "rate_limited",
	CodeSlowConsumer:    "slow_consumer",
	CodeServerDraining:  "server_draining",
	CodeInternal:        "internal",
	CodeResultPending:   "result_pending",
}

// String returns the code's stable name, e.g. "room_full".
func (c Code) String() string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("code(%d)", uint16(c))
}

// Resumable reports whether a client that got c may try to resume its
// session (on any transport) rather than give up.
func (c Code) Resumable() bool {
	return c == CodeSlowConsumer || c == CodeRateLimited
}

// ErrorFrame is a typed error the server sends before it closes.
type ErrorFrame struct {
	Code    Code
	Message string // human-readable detail, at most MaxErrorMessage bytes
	// RetryAfter is how long the client must wait before it resumes
	// (element 3, retry_after_ms, a trailing element older decoders skip; 0 means no
	// stated wait and is not sent). The server states it with
	// rate_limited. On the wire it is whole milliseconds, rounded up, at
	// most MaxRetryAfter.
	RetryAfter time.Duration
}

// MaxRetryAfter caps an error frame's retry_after_ms (a uint32 of
// milliseconds, about 49 days).
const MaxRetryAfter = math.MaxUint32 * time.Millisecond

// Error makes ErrorFrame an error: "netcode: room_full: <message>".
func (e *ErrorFrame) Error() string {
	s := "netcode: " + e.Code.String()
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %v)", e.RetryAfter)
	}
	return s
}

// retryAfterMs is RetryAfter in whole milliseconds, rounded up and capped.
func (e *ErrorFrame) retryAfterMs() uint64 {
	if e.RetryAfter <= 0 {
		return 0
	}
	if e.RetryAfter >= MaxRetryAfter {
		return math.MaxUint32
	}
	return uint64((e.RetryAfter + time.Millisecond - 1) / time.Millisecond)
}

// AppendError appends [20, code, message], or [20, code, message,
// retry_after_ms] when e states a RetryAfter; a longer message is cut to
// MaxErrorMessage bytes.
func AppendError(dst []byte, e *ErrorFrame) []byte {
	msg := e.Message
	if len(msg) > MaxErrorMessage {
		msg = msg[:MaxErrorMessage]
	}
	ms := e.retryAfterMs()
	if ms > 0 {
		dst = append(dst, 0x94, byte(KindError))
	} else {
		dst = append(dst, 0x93, byte(KindError))
	}
	dst = appendUint(dst, uint64(e.Code))
	dst = appendStr(dst, msg)
	if ms > 0 {
		dst = appendUint(dst, ms)
	}
	return dst
}

// DecodeError decodes an error frame into e.
func DecodeError(frame []byte, e *ErrorFrame) error {
	r := reader{b: frame}
	extra, err := header(&r, KindError, 2)
	if err != nil {
		return err
	}
	c, err := r.intRange(0, 0xffff)
	if err != nil {
		return err
	}
	e.Code = Code(c)
	if e.Message, err = r.str(MaxErrorMessage); err != nil {
		return err
	}
	e.RetryAfter = 0
	extra -= 2
	if extra > 0 { // retry_after_ms, a trailing element of version 2
		ms, err := r.intRange(0, math.MaxUint32)
		if err != nil {
			return err
		}
		e.RetryAfter = time.Duration(ms) * time.Millisecond
		extra--
	}
	return finish(&r, extra)
}

// AppendBye appends a bye frame [kind, code], where kind is KindClientBye
// or KindServerBye and code says why (CodeNone for a normal end).
func AppendBye(dst []byte, kind Kind, code Code) []byte {
	dst = append(dst, 0x92, byte(kind))
	return appendUint(dst, uint64(code))
}

// DecodeBye decodes a bye frame of the given kind and returns its code.
func DecodeBye(frame []byte, kind Kind) (Code, error) {
	r := reader{b: frame}
	extra, err := header(&r, kind, 1)
	if err != nil {
		return 0, err
	}
	c, err := r.intRange(0, 0xffff)
	if err != nil {
		return 0, err
	}
	return Code(c), finish(&r, extra-1)
}
