package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
)

// lobbyBot is one bot on the player's whole path: guest login and roster
// once, then queue, match_found, room, play, and again until the run ends,
// the bot is retired, or (play_once) its first match is over. A failed
// step is counted by cause and retried after a second's back-off; a bot
// that cannot log in gives up.
func (s *swarm) lobbyBot(ctx context.Context, u *unit, b botSpec) {
	state := stLogin
	s.col.move(-1, state)
	to := func(st int) { s.col.move(state, st); state = st }
	defer func() { to(stDone) }()

	archetypes := s.content.Archetypes()
	oracle := contract.Oracle{Name: fmt.Sprintf("bench oracle %d", b.n), OracleSpec: ecs.OracleSpec{Archetype: archetypes[b.n%len(archetypes)].ID, Role: contract.RoleHost}}
	lc := &lobbyClient{base: s.r.Lobby, http: s.httpc}
	if !s.acquire(ctx) {
		return
	}
	err := s.retryRefused(ctx, u, "login", func() error {
		t := time.Now()
		err := lc.guest(ctx, fmt.Sprintf("bench-%d-%d", s.stamp, b.n))
		if err == nil {
			b.ks.h[mLogin].add(time.Since(t))
		}
		return err
	})
	if err == nil {
		err = s.retryRefused(ctx, u, "roster", func() error { return lc.saveOracle(ctx, "main", oracle) })
	}
	s.release()
	if err != nil {
		return
	}
	for seed := uint64(b.n)<<20 + 1; !stopped(ctx, u); seed++ {
		to(stQueue)
		finished, err := s.lobbyMatch(ctx, b, lc, oracle, seed, to)
		if err != nil && ctx.Err() == nil {
			to(stWait)
			sleep(ctx, u, time.Second)
		}
		if s.sc.Behaviour.PlayOnce && (finished || err != nil) {
			return
		}
	}
}

// maxRefusals bounds how often a bot retries a login or roster step the
// lobby refused with "retry later".
const maxRefusals = 5

// retryRefused runs a login or roster step, and again (up to maxRefusals
// times in all, after the answer's Retry-After or a second) while the
// lobby refuses it with 503 or 429, as a player's client would. Every
// failure is counted under step; the last error is returned.
func (s *swarm) retryRefused(ctx context.Context, u *unit, step string, fn func() error) error {
	for n := 1; ; n++ {
		err := fn()
		if err == nil || ctx.Err() != nil {
			return err
		}
		s.col.fail(stepErr(step, err), err)
		var le *lobbyError
		if !errors.As(err, &le) || !le.retryable() || n == maxRefusals || stopped(ctx, u) {
			return err
		}
		sleep(ctx, u, max(le.RetryAfter, time.Second))
	}
}

// lobbyMatch queues once, joins the room it is given and plays. Errors are
// counted here; the returned one only tells the caller to back off.
func (s *swarm) lobbyMatch(ctx context.Context, b botSpec, lc *lobbyClient, oracle contract.Oracle, seed uint64, to func(int)) (bool, error) {
	fail := func(step string, err error) (bool, error) {
		if ctx.Err() == nil {
			s.col.fail(stepErr(step, err), err)
		}
		return false, err
	}
	p, err := lc.openPush(ctx)
	if err != nil {
		return fail("push", err)
	}
	defer p.close()
	t := time.Now()
	ticket, err := lc.queue(ctx, b.mode.Mode, "main")
	if err != nil {
		return fail("queue", err)
	}
	seat, err := p.waitSeat(ctx, ticket)
	if err != nil {
		return fail("match", err)
	}
	b.ks.h[mQueue].add(time.Since(t))
	p.close()
	s.noteMatch(seat.MatchID)

	to(stJoin)
	ds, err := s.dialers(seat.KCPAddr, seat.WSURL, seat.KCPKey, b.kcp)
	if err != nil {
		return fail("join", err)
	}
	ecsSeat := ecs.Seat{Seat: seat.Seat, PlayerID: lc.player, Team: seat.Team,
		Oracle: ecs.OracleSpec{Archetype: oracle.Archetype, Role: oracle.Role, Loadout: oracle.Loadout, Pet: oracle.Pet, Form: oracle.Form, Totem: oracle.Totem}}
	if !s.acquire(ctx) {
		return false, ctx.Err()
	}
	t = time.Now()
	pl, err := connectPlayer(ctx, s.content, playerSpec{mode: b.mode.Mode, seat: ecsSeat, ticket: seat.Ticket, dialers: ds,
		seed: seed, beh: s.sc.Behaviour, meter: &meter{ks: b.ks, wantRate: s.sc.TickRates[b.mode.Mode]}})
	s.release()
	if err != nil {
		return fail("join", err)
	}
	b.ks.h[mJoin].add(time.Since(t))
	to(stPlay)
	return s.play(ctx, pl), nil
}
