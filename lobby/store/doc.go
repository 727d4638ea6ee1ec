// Package store holds the lobby's shared, short-lived state behind one
// interface: ticket queues and claims, session and player revocations, rate
// limits, the room server registry, matchmaker leases and player event
// fan-out.
//
// Two implementations pass one conformance suite (package storetest):
// Memory, the default for a single lobby, and Redis, which lets several lobby
// replicas share everything. Correctness across replicas rests on atomic
// operations (Claim, Settle and Transition are Lua scripts on Redis), never
// on the matchmaker lease alone. A claim is settled (assigned, requeued or
// failed) only under the match id that made it, so a replica that comes back
// after its stuck claim was swept (Stuck, then Settle) cannot overwrite a
// newer claim.
//
//	st := store.NewMemory(store.MemoryConfig{})
//	defer st.Close()
//	err := st.Enqueue(ctx, store.TicketRecord{ID: "t1", Mode: "battle_1v1",
//		PlayerIDs: []string{"p1"}, EnqueuedAt: now, Data: data}, 1000)
//	ok, err := st.Claim(ctx, "battle_1v1", "m1", []string{"t1", "t2"}, now)
//	err = st.Settle(ctx, "t1", "m1", store.Outcome{State: store.StateAssigned, Assignment: seat})
//
// Every method returns an error wrapping ErrUnavailable when the backing
// service cannot be reached in time; the lobby answers those with 503.
package store
