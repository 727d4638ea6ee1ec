package netcode

import "github.com/vmihailenco/msgpack/v5"

// The message types implement msgpack.CustomEncoder so code that already
// uses msgpack/v5 (tools, tests, a debugging proxy) gets exactly the wire
// bytes from msgpack.Marshal. They deliberately do not implement
// msgpack.CustomDecoder: msgpack/v5's decoder sizes allocations from
// declared lengths before checking them (upstream issue
// vmihailenco/msgpack#401), so network bytes go through the Decode*
// functions of this package only.

// EncodeMsgpack writes the hello or resume frame.
func (h *Hello) EncodeMsgpack(enc *msgpack.Encoder) error { return writeRaw(enc, AppendHello(nil, h)) }

// EncodeMsgpack writes the welcome frame.
func (w *Welcome) EncodeMsgpack(enc *msgpack.Encoder) error {
	return writeRaw(enc, AppendWelcome(nil, w))
}

// EncodeMsgpack writes the input frame.
func (f *InputFrame) EncodeMsgpack(enc *msgpack.Encoder) error {
	return writeRaw(enc, AppendInputFrame(nil, f))
}

// EncodeMsgpack writes the ping frame.
func (p *Ping) EncodeMsgpack(enc *msgpack.Encoder) error { return writeRaw(enc, AppendPing(nil, p)) }

// EncodeMsgpack writes the pong frame.
func (p *Pong) EncodeMsgpack(enc *msgpack.Encoder) error { return writeRaw(enc, AppendPong(nil, p)) }

// EncodeMsgpack writes the events frame.
func (f *EventsFrame) EncodeMsgpack(enc *msgpack.Encoder) error {
	return writeRaw(enc, AppendEvents(nil, f))
}

// EncodeMsgpack writes the error frame.
func (e *ErrorFrame) EncodeMsgpack(enc *msgpack.Encoder) error {
	return writeRaw(enc, AppendError(nil, e))
}

func writeRaw(enc *msgpack.Encoder, p []byte) error {
	_, err := enc.Writer().Write(p)
	return err
}
