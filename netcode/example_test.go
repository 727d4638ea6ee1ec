package netcode_test

import (
	"fmt"

	"github.com/pantheon-oracles/pantheon/netcode"
)

// A room encodes each tick against what the client acknowledged; the
// client applies it to its copy of that baseline.
func Example() {
	ring := netcode.NewSnapshotRing(32)
	enc := netcode.NewDeltaEncoder(ring)

	world := netcode.Snapshot{Tick: 1, Entities: []netcode.Entity{{ID: 7}}}
	world.Entities[0].Fields[netcode.FieldX] = 1000
	ring.Put(&world)
	full := append([]byte(nil), enc.Encode(&world, 0)...)

	var f netcode.SnapshotFrame
	var client1 netcode.Snapshot
	_ = netcode.DecodeSnapshot(full, &f)
	_ = netcode.Apply(nil, &f, &client1)
	enc.Ack(client1.Tick)

	world.Tick = 2
	world.Entities[0].Fields[netcode.FieldX] += 12
	ring.Put(&world)
	delta := enc.Encode(&world, 5)

	var client2 netcode.Snapshot
	_ = netcode.DecodeSnapshot(delta, &f)
	_ = netcode.Apply(&client1, &f, &client2)
	fmt.Printf("full %d bytes, delta %d bytes, base %d, x=%d\n", len(full), len(delta), f.Base, client2.Entities[0].Fields[netcode.FieldX])
	// Output: full 14 bytes, delta 13 bytes, base 1, x=1012
}
