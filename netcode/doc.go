// Package netcode is Pantheon's wire protocol: message codecs, the
// game-agnostic snapshot delta codec and the per-client delta encoder.
// PROTOCOL.md beside this file is the specification; this package is its
// Go implementation. It imports no game package, starts no goroutine and
// does no I/O: every function is a pure function over bytes or values
// (transports live in netcode/transport, a client in netcode/client).
//
// Encoding appends to a caller's buffer. A DeltaEncoder never allocates
// once its buffers have grown to the largest frame; message encoders and
// full snapshots never allocate when the caller's buffer has room.
//
// Snapshots are deltas against the newest tick the client acknowledged.
// Created entities go as msgpack runs; updated ones as a bit-packed stream
// of zigzagged differences in Exp-Golomb codes whose orders the encoder
// picks per frame (PROTOCOL.md, "The update stream"), which makes a
// combat delta about a tenth of the state's compact msgpack. Decoding reads only into fixed types, checks every
// declared length against the bytes left and every limit before sizing
// anything, and never panics: a bad frame is an error wrapping
// ErrMalformed, ErrFrameTooLarge or ErrUnknownKind (msgpack/v5's own
// decoder is deliberately not used on network bytes, see msgpack.go).
//
// A room sends snapshots like this:
//
//	ring := netcode.NewSnapshotRing(32)           // one per room, shared
//	enc := netcode.NewDeltaEncoder(ring)          // one per client
//	// each tick, on the room goroutine:
//	ring.Put(&world)                              // world.Tick >= 1, ids ascending
//	frame := enc.Encode(&world, lastInputSeq)     // delta against the client's ack
//	conn.WriteFrame(frame)
//	// when the client acks (ack or input message):
//	tick, _ := netcode.DecodeAck(p)
//	enc.Ack(tick)
//
// and a client applies them:
//
//	var f netcode.SnapshotFrame
//	if err := netcode.DecodeSnapshot(p, &f); err != nil { ... }
//	var next netcode.Snapshot
//	err := netcode.Apply(baselines[f.Base], &f, &next) // nil baseline when f.Base == 0
package netcode
