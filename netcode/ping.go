package netcode

import "math"

// Ping is the client's clock-sync probe.
type Ping struct {
	ID           uint32 // echoed in the pong
	ClientTimeUs int64  // client clock when sent, microseconds (any epoch)
}

// Pong answers a ping with the server's tick and clock.
type Pong struct {
	ID           uint32 // the ping's ID
	ClientTimeUs int64  // the ping's ClientTimeUs, echoed
	ServerTick   uint32 // the room's tick when the pong was written
	ServerTimeUs int64  // server clock, microseconds since the Unix epoch
}

// AppendPing appends [5, id, client_time_us].
func AppendPing(dst []byte, p *Ping) []byte {
	dst = append(dst, 0x93, byte(KindPing))
	dst = appendUint(dst, uint64(p.ID))
	return appendInt(dst, p.ClientTimeUs)
}

// DecodePing decodes a ping frame into p.
func DecodePing(frame []byte, p *Ping) error {
	r := reader{b: frame}
	extra, err := header(&r, KindPing, 2)
	if err != nil {
		return err
	}
	if p.ID, err = r.uint32(); err != nil {
		return err
	}
	if p.ClientTimeUs, err = r.intRange(math.MinInt64, math.MaxInt64); err != nil {
		return err
	}
	return finish(&r, extra-2)
}

// AppendPong appends [19, id, client_time_us, server_tick, server_time_us].
func AppendPong(dst []byte, p *Pong) []byte {
	dst = append(dst, 0x95, byte(KindPong))
	dst = appendUint(dst, uint64(p.ID))
	dst = appendInt(dst, p.ClientTimeUs)
	dst = appendUint(dst, uint64(p.ServerTick))
	return appendInt(dst, p.ServerTimeUs)
}

// DecodePong decodes a pong frame into p.
func DecodePong(frame []byte, p *Pong) error {
	r := reader{b: frame}
	extra, err := header(&r, KindPong, 4)
	if err != nil {
		return err
	}
	if p.ID, err = r.uint32(); err != nil {
		return err
	}
	if p.ClientTimeUs, err = r.intRange(math.MinInt64, math.MaxInt64); err != nil {
		return err
	}
	if p.ServerTick, err = r.uint32(); err != nil {
		return err
	}
	if p.ServerTimeUs, err = r.intRange(math.MinInt64, math.MaxInt64); err != nil {
		return err
	}
	return finish(&r, extra-4)
}
