package bench

import (
	"context"
	"errors"
	"fmt"

	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/bot"
	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/netcode/client"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
	"github.com/pantheon-oracles/pantheon/server"
)

// player plays one seat over the network the way a game client does: it
// connects with its join ticket through netcode's Go client and, on every
// snapshot, lets an ecs bot pick an input from the world it sees and sends
// it. The bot sees only what the client reconstructed, never the server's sim.
type player struct {
	c      *client.Client
	bot    *bot.Bot
	self   uint32
	latest chan netcode.Snapshot // one slot, latest wins: the bot acts on the newest world
}

// connectPlayer connects seat to the room behind d with ticket. The caller
// must call play (which closes the client) or close.
func connectPlayer(ctx context.Context, content *ecs.Content, mode string, seat ecs.Seat, ticket string, d transport.Dialer, seed uint64) (*player, error) {
	b, err := bot.New(content, mode, "", seat, seed, 0)
	if err != nil {
		return nil, err
	}
	p := &player{bot: b, latest: make(chan netcode.Snapshot, 1)}
	cfg := client.DefaultConfig(ticket)
	cfg.OnSnapshot = func(s *netcode.Snapshot) {
		var cp netcode.Snapshot
		cp.CopyFrom(s)
		select {
		case <-p.latest:
		default:
		}
		p.latest <- cp
	}
	if p.c, err = client.Connect(ctx, d, cfg); err != nil {
		return nil, fmt.Errorf("seat %d: connect: %w", seat.Seat, err)
	}
	p.self = p.c.Welcome().EntityID
	return p, nil
}

// play runs the bot until the server ends the session (nil: the match is
// over) or ctx ends, then closes the client and returns its final stats.
func (p *player) play(ctx context.Context) (client.Stats, error) {
	defer p.c.Close()
	var views []ecs.EntityView
	// An input sent while the server ends the match fails with ErrEnded;
	// the Done case then reports the end.
	for {
		select {
		case <-ctx.Done():
			return p.c.Stats(), ctx.Err()
		case <-p.c.Done():
			err := p.c.Err()
			if errors.Is(err, client.ErrEnded) {
				err = nil
			}
			return p.c.Stats(), err
		case s := <-p.latest:
			views = views[:0]
			for _, e := range s.Entities {
				v := ecs.EntityView{ID: e.ID}
				copy(v.F[:], e.Fields[:ecs.ViewFields])
				views = append(views, v)
			}
			if in, ok := p.bot.Act(int(s.Tick)+1, p.self, views); ok {
				if _, err := p.c.SendInput(server.WireInput(in)); err != nil && !errors.Is(err, client.ErrEnded) {
					return p.c.Stats(), err
				}
			}
		}
	}
}

// close drops the connection without playing.
func (p *player) close() { p.c.Close() }
