package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/bot"
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/netcode/client"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
	"github.com/pantheon-oracles/pantheon/server"
)

// player plays one seat over the network the way a game client does: it
// connects with its join ticket through netcode's Go client, and the
// shared scheduler (not a goroutine of its own) lets it act on the newest
// world the client reconstructed: the ecs bot, a wander pattern, or
// nothing. The bot sees only what the client reconstructed, never the
// server's sim.
type player struct {
	c       *client.Client
	m       *meter
	bot     *bot.Bot
	pattern string

	// Owned by the scheduler goroutine that steps the player.
	snap     netcode.Snapshot
	views    []ecs.EntityView
	lastTick uint32
	nextDrop time.Time
	dropIn   time.Duration
	quitAt   time.Time

	gone atomic.Bool   // removed from the scheduler
	quit chan struct{} // closed by the scheduler when quitAt passes
}

// playerSpec is what connectPlayer needs.
type playerSpec struct {
	mode    string
	seat    ecs.Seat
	ticket  string
	dialers [2]transport.Dialer // the bot's own transport first, then the other
	seed    uint64
	beh     Behaviour
	meter   *meter
}

// connectPlayer connects spec's seat to its room. The caller must close
// the player.
func connectPlayer(ctx context.Context, content *content.Bundle, spec playerSpec) (*player, error) {
	p := &player{m: spec.meter, pattern: spec.beh.Pattern, quit: make(chan struct{})}
	if p.pattern == PatternBot {
		b, err := bot.New(content, spec.mode, "", spec.seat, spec.seed, 0)
		if err != nil {
			return nil, err
		}
		p.bot = b
	}
	cfg := client.DefaultConfig(spec.ticket)
	first := spec.meter.dialer(spec.dialers[0])
	cfg.ResumeDialers = []transport.Dialer{first}
	if spec.beh.ResumeSwitch && spec.dialers[1] != nil {
		cfg.ResumeDialers = []transport.Dialer{spec.meter.dialer(spec.dialers[1]), first}
	}
	var err error
	if p.c, err = client.Connect(ctx, first, cfg); err != nil {
		return nil, fmt.Errorf("seat %d: connect: %w", spec.seat.Seat, err)
	}
	now := time.Now()
	if d := time.Duration(spec.beh.DropEvery); d > 0 {
		// Staggered so a swarm does not drop all at once.
		p.dropIn = d
		p.nextDrop = now.Add(time.Duration(spec.seed%1000) * d / 1000).Add(d / 2)
	}
	if d := time.Duration(spec.beh.QuitEvery); d > 0 {
		p.quitAt = now.Add(d/2 + time.Duration(spec.seed%1000)*d/1000)
	}
	return p, nil
}

// step is one scheduler visit: act on the newest world if it is new.
func (p *player) step(now time.Time) {
	if !p.nextDrop.IsZero() && now.After(p.nextDrop) {
		p.nextDrop = now.Add(p.dropIn)
		p.m.drop()
	}
	if !p.quitAt.IsZero() && now.After(p.quitAt) {
		p.quitAt = time.Time{}
		close(p.quit)
	}
	if p.pattern == PatternIdle {
		return
	}
	// The meter saw the newest snapshot go by: with nothing new there is
	// nothing to do, and only the bot pattern copies the world out of the
	// client (the wander pattern needs just the tick).
	tick := p.m.latestTick()
	if tick == 0 || tick == p.lastTick {
		return
	}
	if p.pattern != PatternWander {
		if tick = p.c.World(&p.snap); tick == 0 || tick == p.lastTick {
			return
		}
	}
	p.lastTick = tick
	var in netcode.Input
	switch p.pattern {
	case PatternWander:
		// A slow circle: one turn every 256 ticks.
		f := int32(tick % 256)
		in = netcode.Input{MoveX: cosTable[f], MoveY: cosTable[(f+192)%256], Facing: f, CastSlot: -1}
	default:
		self := p.c.Welcome().EntityID
		p.views = p.views[:0]
		for _, e := range p.snap.Entities {
			v := ecs.EntityView{ID: e.ID}
			copy(v.F[:], e.Fields[:ecs.ViewFields])
			p.views = append(p.views, v)
		}
		act, ok := p.bot.Act(int(tick)+1, self, p.views)
		if !ok {
			return
		}
		in = server.WireInput(act)
	}
	t := time.Now()
	if seq, err := p.c.SendInput(in); err == nil {
		p.m.sent(seq, t)
	}
}

// wait blocks until the client stops, ctx ends or the player's quit time
// comes, and says why, as a disconnect cause and an error (nil when the
// session ended normally: the match is over, the run is over, or a
// scheduled quit, or a resume refused because the room it had joined has
// ended meanwhile: "room_gone").
func (p *player) wait(ctx context.Context) (cause string, err error) {
	select {
	case <-ctx.Done():
		return "run_end", nil
	case <-p.quit:
		return "quit", nil
	case <-p.c.Done():
	}
	err = p.c.Err()
	var ef *netcode.ErrorFrame
	switch {
	case err == nil:
		return "match_end", nil
	case errors.Is(err, client.ErrEnded):
		code := strings.TrimPrefix(err.Error(), client.ErrEnded.Error()+": ")
		if code == netcode.CodeNone.String() || code == netcode.CodeRoomEnded.String() || code == netcode.CodeResultPending.String() {
			return "match_end", nil
		}
		return "server_bye:" + code, err
	case errors.As(err, &ef) && ef.Code == netcode.CodeResumeFailed && strings.HasPrefix(ef.Message, "no room "):
		// The server no longer has the room this player joined: the
		// match ended while the player was away (cut, resuming). A
		// player who never saw the end, not an error.
		return "room_gone", nil
	case errors.As(err, &ef):
		return "server_error:" + ef.Code.String(), err
	case errors.Is(err, client.ErrResumeFailed):
		return "resume_failed", err
	}
	return "transport", err
}

// close closes the client and folds its counters into the key's.
func (p *player) close() {
	p.c.Close()
	st := p.c.Stats()
	p.m.ks.resumes.Add(st.Resumes)
}

// cosTable[i] is 1000 * cos(i/256 turn), for the wander pattern.
var cosTable = func() (t [256]int32) {
	for i := range t {
		t[i] = int32(math.Round(1000 * math.Cos(2*math.Pi*float64(i)/256)))
	}
	return t
}()
