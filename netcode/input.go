package netcode

// Input is one player command, stamped by the client. Moves are a direction
// the server clamps, not a position: the server is authoritative.
type Input struct {
	Seq        uint32 // client sequence number, starting at 1, +1 per input
	ClientTick uint32 // the server tick the client believed current when it made the input
	MoveX      int32  // movement direction x; the server clamps the vector to unit length
	MoveY      int32  // movement direction y
	Facing     int32  // facing, 0-255 = one full turn
	CastSlot   int32  // ability slot to cast, -1 none
	CastTarget uint32 // target entity id, 0 none
	CastX      int32  // target point x, centimetres
	CastY      int32  // target point y, centimetres
	Channel    int32  // 1 channel on, 0 off
	Gesture    int32  // gesture id, 0 none
}

// inputFields is the number of integers of one input on the wire.
const inputFields = 11

// InputFrame carries the client's unacknowledged inputs, oldest first, and
// a snapshot ack. The client resends every input until a snapshot's
// input_ack covers it, so a lost frame costs nothing but latency.
type InputFrame struct {
	AckTick uint32  // newest snapshot tick the client applied, 0 none
	Inputs  []Input // at most MaxInputsPerFrame, ascending Seq
}

// AppendInputFrame appends f as [3, ack_tick, [input...]] where each input
// is [seq, client_tick, move_x, move_y, facing, cast_slot, cast_target,
// cast_x, cast_y, channel, gesture]. Inputs past MaxInputsPerFrame are
// not written (the newest are kept).
func AppendInputFrame(dst []byte, f *InputFrame) []byte {
	in := f.Inputs
	if len(in) > MaxInputsPerFrame {
		in = in[len(in)-MaxInputsPerFrame:]
	}
	dst = append(dst, 0x93, byte(KindInput))
	dst = appendUint(dst, uint64(f.AckTick))
	dst = appendArrayLen(dst, len(in))
	for i := range in {
		p := &in[i]
		dst = append(dst, 0x90|inputFields)
		dst = appendUint(dst, uint64(p.Seq))
		dst = appendUint(dst, uint64(p.ClientTick))
		dst = appendInt(dst, int64(p.MoveX))
		dst = appendInt(dst, int64(p.MoveY))
		dst = appendInt(dst, int64(p.Facing))
		dst = appendInt(dst, int64(p.CastSlot))
		dst = appendUint(dst, uint64(p.CastTarget))
		dst = appendInt(dst, int64(p.CastX))
		dst = appendInt(dst, int64(p.CastY))
		dst = appendInt(dst, int64(p.Channel))
		dst = appendInt(dst, int64(p.Gesture))
	}
	return dst
}

// DecodeInputFrame decodes an input frame into f, reusing f.Inputs'
// capacity (no allocation once it holds MaxInputsPerFrame).
func DecodeInputFrame(frame []byte, f *InputFrame) error {
	r := reader{b: frame}
	extra, err := header(&r, KindInput, 2)
	if err != nil {
		return err
	}
	if f.AckTick, err = r.uint32(); err != nil {
		return err
	}
	n, err := r.arrayLen(MaxInputsPerFrame)
	if err != nil {
		return err
	}
	f.Inputs = f.Inputs[:0]
	for i := 0; i < n; i++ {
		m, err := r.arrayLen(MaxClientFrame)
		if err != nil {
			return err
		}
		if m < inputFields {
			return r.errf("input of %d fields, want %d", m, inputFields)
		}
		var p Input
		var v [inputFields]int32
		if p.Seq, err = r.uint32(); err != nil {
			return err
		}
		if p.ClientTick, err = r.uint32(); err != nil {
			return err
		}
		for j := 2; j < inputFields; j++ {
			if j == 6 {
				if p.CastTarget, err = r.uint32(); err != nil {
					return err
				}
				continue
			}
			if v[j], err = r.int32(); err != nil {
				return err
			}
		}
		p.MoveX, p.MoveY, p.Facing, p.CastSlot = v[2], v[3], v[4], v[5]
		p.CastX, p.CastY, p.Channel, p.Gesture = v[7], v[8], v[9], v[10]
		if err := r.rest(m - inputFields); err != nil {
			return err
		}
		f.Inputs = append(f.Inputs, p)
	}
	return finish(&r, extra-2)
}

// AppendAck appends a snapshot ack [4, tick].
func AppendAck(dst []byte, tick uint32) []byte {
	dst = append(dst, 0x92, byte(KindAck))
	return appendUint(dst, uint64(tick))
}

// DecodeAck decodes an ack frame and returns its tick.
func DecodeAck(frame []byte) (uint32, error) {
	r := reader{b: frame}
	extra, err := header(&r, KindAck, 1)
	if err != nil {
		return 0, err
	}
	tick, err := r.uint32()
	if err != nil {
		return 0, err
	}
	return tick, finish(&r, extra-1)
}
