package lobby

import (
	"fmt"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/lobby/store"
)

// TestTicketLostWhenStoreForgets: the state store loses the queue (a Redis
// restarted empty; the memory store told to forget): every waiting player
// gets ticket_lost for their ticket within a few seconds, GET on the
// ticket says lost, and the player can queue again.
func TestTicketLostWhenStoreForgets(t *testing.T) {
	for _, b := range []string{"memory", "redis"} {
		t.Run(b, func(t *testing.T) {
			var st store.Store
			var forget func()
			switch b {
			case "memory":
				m := store.NewMemory(store.MemoryConfig{})
				st, forget = m, m.Forget
			case "redis":
				pr := newPrivateRedis(t)
				st = redisStore(t, pr.url(), "lost:")
				forget = func() {
					pr.stop()
					pr.start() // --save "": it comes back empty
				}
			}
			h := newHarness(t, st, func(c *Config, _ *Deps) { c.LostCheck = 100 * time.Millisecond })
			const n = 6
			type waiting struct {
				p      tokenResponse
				ws     *websocket.Conn
				ticket string
			}
			var players []waiting
			for i := range n {
				p := h.guest(fmt.Sprintf("device-lost-%s-%04d", b, i))
				h.oracle(p.AccessToken, "h", contract.RoleHost)
				ws, _, err := dialEvents(t, h.url, p.AccessToken)
				if err != nil {
					t.Fatal(err)
				}
				// The harness runs no matchmaker passes: they wait in the queue.
				players = append(players, waiting{p: p, ws: ws, ticket: h.queue(p.AccessToken, "battle_1v1", "h").ID})
			}
			forget()
			start := time.Now()
			for i, w := range players {
				ev := readEvent(t, w.ws, EventTicketLost)
				if ev.TicketID != w.ticket || ev.State != StateLost || ev.Reason != ReasonStoreLost {
					t.Fatalf("player %d: ticket_lost %+v, want ticket %s state %s reason %s", i, ev, w.ticket, StateLost, ReasonStoreLost)
				}
				var v ticketView
				r := h.do("GET", "/v1/tickets/"+w.ticket, w.p.AccessToken, nil)
				if r.status != 200 {
					t.Fatalf("player %d: GET lost ticket: %d %s", i, r.status, r.body)
				}
				r.decode(t, &v)
				if v.State != StateLost || v.Reason != ReasonStoreLost {
					t.Fatalf("player %d: lost ticket reads %+v", i, v)
				}
			}
			t.Logf("%d players told of their lost tickets %v after the store forgot them", n, time.Since(start).Round(time.Millisecond))
			// Another player may not read someone's lost ticket.
			expect(t, "another player's lost ticket", h.do("GET", "/v1/tickets/"+players[0].ticket, players[1].p.AccessToken, nil), 404, CodeTicketNotFound)
			// The player queues again.
			h.queue(players[0].p.AccessToken, "battle_1v1", "h")
		})
	}
}
