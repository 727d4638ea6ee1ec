package netcode

import "math"

// Hello is the first frame of a session: a new join (KindHello) or, when
// ResumeToken is set, a resume of a dropped session (KindResume) on any
// transport.
type Hello struct {
	Version     uint32 // protocol version the client speaks (Version)
	Ticket      string // join ticket from the lobby, opaque to netcode; at most MaxTicket bytes
	ResumeToken string // token from the last welcome; empty for a new join; at most MaxResumeToken bytes
	LastAckTick uint32 // resume only: newest server tick the client applied (0 = none)
}

// Resume reports whether h asks to resume a session.
func (h *Hello) Resume() bool { return h.ResumeToken != "" }

// AppendHello appends h as a hello frame, or as a resume frame when
// h.ResumeToken is set:
//
//	hello:  [1, version, ticket]
//	resume: [2, version, ticket, resume_token, last_ack_tick]
func AppendHello(dst []byte, h *Hello) []byte {
	if !h.Resume() {
		dst = append(dst, 0x93, byte(KindHello))
		dst = appendUint(dst, uint64(h.Version))
		return appendStr(dst, h.Ticket)
	}
	dst = append(dst, 0x95, byte(KindResume))
	dst = appendUint(dst, uint64(h.Version))
	dst = appendStr(dst, h.Ticket)
	dst = appendStr(dst, h.ResumeToken)
	return appendUint(dst, uint64(h.LastAckTick))
}

// DecodeHello decodes a hello or resume frame into h. A resume frame must
// carry a non-empty token. It does not check the version: the server does,
// so that it can answer CodeVersionMismatch.
func DecodeHello(frame []byte, h *Hello) error {
	k, err := PeekKind(frame)
	if err != nil {
		return err
	}
	if k != KindHello && k != KindResume {
		return ErrUnknownKind
	}
	fields := 2 // version, ticket
	if k == KindResume {
		fields = 4 // + resume_token, last_ack_tick
	}
	r := reader{b: frame}
	*h = Hello{}
	extra, err := header(&r, k, fields)
	if err != nil {
		return err
	}
	if h.Version, err = r.uint32(); err != nil {
		return err
	}
	if h.Ticket, err = r.str(MaxTicket); err != nil {
		return err
	}
	if k == KindResume {
		if h.ResumeToken, err = r.str(MaxResumeToken); err != nil {
			return err
		}
		if h.ResumeToken == "" {
			return r.errf("resume with an empty token")
		}
		if h.LastAckTick, err = r.uint32(); err != nil {
			return err
		}
	}
	return finish(&r, extra-fields)
}

// Welcome accepts a session. The server sends it once per hello or resume
// (again, unchanged, for a duplicated hello).
type Welcome struct {
	Version      uint32 // protocol version the server speaks
	Seat         uint32 // the player's seat in the room
	TickRate     uint32 // simulation ticks per second
	ServerTick   uint32 // the room's current tick
	ResumeToken  string // present in a later resume; at most MaxResumeToken bytes
	EntityID     uint32 // the player's own entity id, 0 when it has none (yet)
	ServerTimeUs int64  // server clock, microseconds since the Unix epoch
	// ResumeKey is the KCP key the next connection of this seat (a resume)
	// must seal its datagrams with (PROTOCOL.md section 2.1); empty when
	// KCP is plaintext. At most MaxResumeKey bytes. Element 8, added in
	// protocol 2.1: older decoders skip it as a trailing element.
	ResumeKey []byte
}

// MaxResumeKey caps a welcome's resume_key (an AES-256 key).
const MaxResumeKey = 32

// AppendWelcome appends w as
// [16, version, seat, tick_rate, server_tick, resume_token, entity_id, server_time_us, resume_key].
func AppendWelcome(dst []byte, w *Welcome) []byte {
	dst = append(dst, 0x99, byte(KindWelcome))
	dst = appendUint(dst, uint64(w.Version))
	dst = appendUint(dst, uint64(w.Seat))
	dst = appendUint(dst, uint64(w.TickRate))
	dst = appendUint(dst, uint64(w.ServerTick))
	dst = appendStr(dst, w.ResumeToken)
	dst = appendUint(dst, uint64(w.EntityID))
	dst = appendInt(dst, w.ServerTimeUs)
	dst = appendBinLen(dst, len(w.ResumeKey))
	return append(dst, w.ResumeKey...)
}

// DecodeWelcome decodes a welcome frame into w.
func DecodeWelcome(frame []byte, w *Welcome) error {
	r := reader{b: frame}
	extra, err := header(&r, KindWelcome, 7)
	if err != nil {
		return err
	}
	*w = Welcome{}
	if w.Version, err = r.uint32(); err != nil {
		return err
	}
	if w.Seat, err = r.uint32(); err != nil {
		return err
	}
	if w.TickRate, err = r.uint32(); err != nil {
		return err
	}
	if w.ServerTick, err = r.uint32(); err != nil {
		return err
	}
	if w.ResumeToken, err = r.str(MaxResumeToken); err != nil {
		return err
	}
	if w.EntityID, err = r.uint32(); err != nil {
		return err
	}
	if w.ServerTimeUs, err = r.intRange(math.MinInt64, math.MaxInt64); err != nil {
		return err
	}
	extra -= 7
	if extra > 0 { // resume_key, from protocol 2.1 on
		key, err := r.bin(MaxResumeKey)
		if err != nil {
			return err
		}
		if len(key) > 0 {
			w.ResumeKey = append([]byte(nil), key...)
		}
		extra--
	}
	return finish(&r, extra)
}
