package client

import (
	"time"

	"github.com/pantheon-oracles/pantheon/netcode"
)

// inputQueue holds the inputs the server has not acknowledged, oldest
// first, with when each was first sent.
type inputQueue struct {
	max     int
	nextSeq uint32
	pending []netcode.Input
	sentAt  []time.Time
	dropped uint64
	acked   uint32 // highest input_ack seen
	// ack latency of acknowledged inputs: the largest, the sum and the count
	maxLat, sumLat time.Duration
	nLat           uint64
}

// push stamps in with the next sequence number and queues it.
func (q *inputQueue) push(in netcode.Input, now time.Time) uint32 {
	q.nextSeq++
	in.Seq = q.nextSeq
	if len(q.pending) == q.max {
		q.pending = append(q.pending[:0], q.pending[1:]...)
		q.sentAt = append(q.sentAt[:0], q.sentAt[1:]...)
		q.dropped++
	}
	q.pending = append(q.pending, in)
	q.sentAt = append(q.sentAt, now)
	return in.Seq
}

// ack drops every input with Seq <= seq and records their latency.
func (q *inputQueue) ack(seq uint32, now time.Time) {
	if seq <= q.acked {
		return
	}
	q.acked = seq
	k := 0
	for k < len(q.pending) && q.pending[k].Seq <= seq {
		lat := now.Sub(q.sentAt[k])
		q.maxLat = max(q.maxLat, lat)
		q.sumLat += lat
		q.nLat++
		k++
	}
	q.pending = append(q.pending[:0], q.pending[k:]...)
	q.sentAt = append(q.sentAt[:0], q.sentAt[k:]...)
}
