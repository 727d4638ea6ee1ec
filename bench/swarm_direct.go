package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/bot"
)

// directRoom is one room's bots on the direct path: the bench creates a
// room of len(bots) seats on the room server's control API, connects a bot
// to every seat and plays; when the match ends it creates the next room,
// until the run ends or the unit is retired. A failed room creation is
// counted and retried after a second.
func (s *swarm) directRoom(ctx context.Context, u *unit, mode ModeShare, bots []botSpec) {
	states := make([]int, len(bots))
	for i := range states {
		states[i] = stJoin
		s.col.move(-1, stJoin)
	}
	to := func(i, st int) { s.col.move(states[i], st); states[i] = st }
	defer func() {
		for i := range states {
			to(i, stDone)
		}
	}()
	ctl := &controlClient{base: s.r.Target, secret: s.r.FleetSecret, http: s.httpc}
	for round := 0; !stopped(ctx, u); round++ {
		seed := uint64(bots[0].n)<<16 + uint64(round)
		seats, err := bot.Seats(s.content, mode.Mode, len(bots), seed)
		if err != nil {
			s.col.fail("room: seats", err)
			return
		}
		spec := contract.RoomSpec{MatchID: fmt.Sprintf("bench_%s_%d_%d_%d", mode.Mode, s.stamp, bots[0].n, round), Mode: mode.Mode, Arena: mode.Arena, Seed: seed}
		for _, st := range seats {
			spec.Seats = append(spec.Seats, contract.SeatSpec{Seat: st.Seat, PlayerID: st.PlayerID, Team: st.Team,
				Oracle: ecs.OracleSpec{Archetype: st.Oracle.Archetype, Role: st.Oracle.Role, Pet: st.Oracle.Pet, Form: st.Oracle.Form, Totem: st.Oracle.Totem}})
		}
		t := time.Now()
		room, err := ctl.createRoom(ctx, spec)
		if err != nil {
			if ctx.Err() == nil {
				s.col.fail("create_room", err)
				for i := range bots {
					to(i, stWait)
				}
				sleep(ctx, u, time.Second)
			}
			continue
		}
		bots[0].ks.h[mMatchCreate].add(time.Since(t))
		s.noteMatch(spec.MatchID)
		var wg sync.WaitGroup
		for i := range bots {
			to(i, stJoin)
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.directSeat(ctx, bots[i], mode.Mode, room, seats[i].Seat, seats, seed, func(st int) { to(i, st) })
			}()
		}
		wg.Wait()
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = ctl.closeRoom(cctx, room.RoomID) // 404 once the match ended by itself
		cancel()
		for i := range bots {
			to(i, stWait)
		}
	}
}

// directSeat connects one bot to its seat of room and plays it.
func (s *swarm) directSeat(ctx context.Context, b botSpec, mode string, room contract.RoomCreated, seat int, seats []ecs.Seat, seed uint64, to func(int)) {
	ticket, key := "", ""
	for _, st := range room.Seats {
		if st.Seat == seat {
			ticket, key = st.Ticket, st.KCPKey
		}
	}
	ds, err := s.dialers(room.KCPAddr, room.WSURL, key, b.kcp)
	if err != nil {
		s.col.fail("join", err)
		return
	}
	if !s.acquire(ctx) {
		return
	}
	t := time.Now()
	pl, err := connectPlayer(ctx, s.content, playerSpec{mode: mode, seat: seats[seat], ticket: ticket, dialers: ds,
		seed: seed + uint64(seat), beh: s.sc.Behaviour, meter: &meter{ks: b.ks, wantRate: s.sc.TickRates[mode]}})
	s.release()
	if err != nil {
		if ctx.Err() == nil {
			s.col.fail("join", err)
		}
		return
	}
	b.ks.h[mJoin].add(time.Since(t))
	to(stPlay)
	s.play(ctx, pl)
}
