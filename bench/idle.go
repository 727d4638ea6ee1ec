package bench

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/bot"
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/netcode/client"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
)

// runIdle is the "idle" scenario: it measures what an idle connection
// costs the server. It creates raid rooms through the control API, reads
// the server's RSS, connects the scenario's clients (its KCP share over KCP,
// the rest over WebSocket) with netcode's Go client, leaving one seat of
// every room empty so the rooms keep waiting and no simulation runs, lets
// them idle for the settle time (they ping, nothing else), reads the RSS again
// and reports the growth per connection. It closes the clients and the
// rooms before returning.
func runIdle(ctx context.Context, r resolved, col *collector) (Report, error) {
	cfg := r.Config
	sc := r.sc
	rep := Report{Scenario: sc.Name, Target: cfg.Target}
	idle := &IdleReport{Clients: sc.Clients}
	rep.Idle = idle
	ctl := &controlClient{base: cfg.Target, secret: cfg.FleetSecret, http: &http.Client{Timeout: 10 * time.Second}}
	bundle, err := content.Load()
	if err != nil {
		return rep, err
	}
	roomSize := sc.Modes[0].RoomSize
	perRoom := roomSize - 1
	nRooms := (sc.Clients + perRoom - 1) / perRoom
	type seatTicket struct {
		ticket string
		kcp    transport.Dialer
		ws     transport.Dialer
	}
	var tickets []seatTicket
	var roomIDs []string
	defer func() {
		// Rooms are closed even when the run fails half way.
		cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer ccancel()
		for _, id := range roomIDs {
			_ = ctl.closeRoom(cctx, id)
		}
	}()
	stamp := time.Now().UnixNano()
	for r := range nRooms {
		seats, err := bot.Seats(bundle, "raid", roomSize, uint64(r+1))
		if err != nil {
			return rep, err
		}
		spec := contract.RoomSpec{MatchID: fmt.Sprintf("bench_idle_%d_%d", stamp, r), Mode: "raid", Seed: uint64(r)}
		for _, st := range seats {
			spec.Seats = append(spec.Seats, contract.SeatSpec{Seat: st.Seat, PlayerID: st.PlayerID, Team: st.Team,
				Oracle: ecs.OracleSpec{Archetype: st.Oracle.Archetype, Role: st.Oracle.Role}})
		}
		room, err := ctl.createRoom(ctx, spec)
		if err != nil {
			return rep, err
		}
		roomIDs = append(roomIDs, room.RoomID)
		ws, err := endpointDialer(cfg, room.KCPAddr, room.WSURL, "", false)
		if err != nil {
			return rep, err
		}
		for _, st := range room.Seats[:perRoom] {
			kcp, err := endpointDialer(cfg, room.KCPAddr, room.WSURL, st.KCPKey, true) // each seat seals with its own key
			if err != nil {
				return rep, err
			}
			tickets = append(tickets, seatTicket{ticket: st.Ticket, kcp: kcp, ws: ws})
		}
	}
	tickets = tickets[:sc.Clients]
	idle.Rooms = nRooms
	if idle.RSSBefore, err = ctl.metric(ctx, "process_resident_memory_bytes"); err != nil {
		return rep, err
	}

	nKCP := int(float64(sc.Clients)*sc.Transport.kcpShare() + 0.5)
	clients := make([]*client.Client, len(tickets))
	var mu sync.Mutex
	sem := make(chan struct{}, sc.Concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for i, tk := range tickets {
		d := tk.ws
		if i < nKCP {
			d = tk.kcp
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t := time.Now()
			c, err := client.Connect(ctx, d, client.DefaultConfig(tk.ticket))
			tr := "ws"
			if i < nKCP {
				tr = "kcp"
			}
			if err == nil {
				col.key("raid", tr).h[mJoin].add(time.Since(t))
			} else {
				col.fail("join", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				rep.Failed++
				if len(rep.Errors) < maxReportedErrors {
					rep.Errors = append(rep.Errors, err.Error())
				}
				return
			}
			clients[i] = c
			idle.Connected++
			if i < nKCP {
				idle.KCP++
			} else {
				idle.WS++
			}
		}()
	}
	wg.Wait()
	idle.ConnectFor = time.Since(start)
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.Close()
			}
		}
	}()

	select {
	case <-time.After(time.Duration(sc.Settle)):
	case <-ctx.Done():
		return rep, ctx.Err()
	}
	if idle.RSSAfter, err = ctl.metric(ctx, "process_resident_memory_bytes"); err != nil {
		return rep, err
	}
	for _, tr := range []string{"kcp", "ws"} {
		n, err := ctl.labelled(ctx, "pantheon_room_connections", "transport", tr)
		if err != nil {
			return rep, err
		}
		idle.ServerConn += n
	}
	if idle.Connected > 0 {
		idle.PerConn = (idle.RSSAfter - idle.RSSBefore) / float64(idle.Connected)
	}
	return rep, nil
}
