package bench

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
)

// maxReportedMatches bounds MatchReport.MatchIDs.
const maxReportedMatches = 100

// MatchReport is what the "match" scenario measured.
type MatchReport struct {
	Mode     string `json:"mode"`
	Bots     int    `json:"bots"`      // asked for
	LoggedIn int    `json:"logged_in"` // guest login succeeded
	Queued   int    `json:"queued"`    // ticket created
	Matched  int    `json:"matched"`   // got a seat through match_found
	Finished int    `json:"finished"`  // played until the server ended the match
	Matches  int    `json:"matches"`   // distinct matches the bots were placed in
	// MatchIDs lists those matches (the first maxReportedMatches), so a
	// caller can look their results up in the database.
	MatchIDs []string `json:"match_ids,omitempty"`
	KCP      int      `json:"kcp"` // bots that played over KCP
	WS       int      `json:"ws"`  // bots that played over WebSocket
	// Login is POST /v1/auth/guest as the bots saw it.
	Login Latency `json:"login"`
	// QueueWait runs from POST /v1/tickets to the match_found event.
	QueueWait Latency `json:"queue_wait"`
	// Connect is dial + hello + welcome on the room server.
	Connect Latency `json:"connect"`
	// Play runs from the welcome to the server's end of the match.
	Play Latency `json:"play"`
	// InputAck is each bot's worst wait from sending an input to its ack.
	InputAck  Latency `json:"input_ack_max"`
	Snapshots uint64  `json:"snapshots"` // snapshots applied, all bots
	Resumes   uint64  `json:"resumes"`   // sessions resumed after a drop, all bots
}

// botOutcome is one bot's part of a match run.
type botOutcome struct {
	login, queue, connect, play time.Duration
	inputAck                    time.Duration
	snapshots, resumes          uint64
	loggedIn, queued, matched   bool
	finished, kcp               bool
	matchID                     string
	err                         error
}

// runMatch is the "match" scenario: cfg.Clients bots each log in to the
// lobby as guests (paced at cfg.LoginRate per second), save an oracle,
// open their push channel, queue for cfg.Mode, wait for match_found, join
// the room they were given (cfg.KCPFraction of them over KCP, the rest over
// WebSocket) and play to the end with the ecs bot. It exercises the whole
// path of a match: lobby, matchmaker, allocation, room server, netcode.
func runMatch(ctx context.Context, cfg Config) (Report, error) {
	rep := Report{Scenario: ScenarioMatch, Target: cfg.Lobby}
	content, err := ecs.LoadContent()
	if err != nil {
		return rep, err
	}
	archetypes := content.Archetypes()
	httpc := &http.Client{Timeout: 10 * time.Second}
	stamp := time.Now().UnixNano()
	nKCP := int(float64(cfg.Clients)*cfg.KCPFraction + 0.5)

	var pace <-chan time.Time
	if cfg.LoginRate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / cfg.LoginRate))
		defer t.Stop()
		pace = t.C
	}
	outcomes := make([]botOutcome, cfg.Clients)
	var wg sync.WaitGroup
	for i := range cfg.Clients {
		if pace != nil {
			select {
			case <-pace:
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			outcomes[i].err = ctx.Err()
			continue
		}
		oracle := lobbyOracle{Name: fmt.Sprintf("bench oracle %d", i), Archetype: archetypes[i%len(archetypes)].ID, Role: "host"}
		lc := &lobbyClient{base: cfg.Lobby, http: httpc}
		wg.Add(1)
		go func() {
			defer wg.Done()
			outcomes[i] = playOneMatch(ctx, content, cfg.Mode, lc, fmt.Sprintf("bench-%d-%d", stamp, i), oracle, i < nKCP, uint64(i+1))
		}()
	}
	wg.Wait()

	m := &MatchReport{Mode: cfg.Mode, Bots: cfg.Clients}
	var login, queue, connect, play, ack []time.Duration
	matches := map[string]bool{}
	var matchIDs []string
	for _, o := range outcomes {
		if o.loggedIn {
			m.LoggedIn++
			login = append(login, o.login)
		}
		if o.queued {
			m.Queued++
		}
		if o.matched {
			m.Matched++
			queue = append(queue, o.queue)
			if !matches[o.matchID] && len(matchIDs) < maxReportedMatches {
				matchIDs = append(matchIDs, o.matchID)
			}
			matches[o.matchID] = true
		}
		if o.connect > 0 {
			connect = append(connect, o.connect)
			if o.kcp {
				m.KCP++
			} else {
				m.WS++
			}
		}
		if o.finished {
			m.Finished++
			play = append(play, o.play)
			ack = append(ack, o.inputAck)
		}
		m.Snapshots += o.snapshots
		m.Resumes += o.resumes
		if o.err != nil {
			rep.Failed++
			if len(rep.Errors) < maxReportedErrors {
				rep.Errors = append(rep.Errors, o.err.Error())
			}
		}
	}
	m.Matches, m.MatchIDs = len(matches), matchIDs
	m.Login, m.QueueWait, m.Connect = summarize(login), summarize(queue), summarize(connect)
	m.Play, m.InputAck = summarize(play), summarize(ack)
	rep.Match = m
	return rep, nil
}

// playOneMatch is one bot's whole journey; every step is timed and the
// first failure ends it.
func playOneMatch(ctx context.Context, content *ecs.Content, mode string, lc *lobbyClient, device string, oracle lobbyOracle, overKCP bool, seed uint64) (o botOutcome) {
	t := time.Now()
	if o.err = lc.guest(ctx, device); o.err != nil {
		return o
	}
	o.login, o.loggedIn = time.Since(t), true
	const oracleID = "main"
	if o.err = lc.saveOracle(ctx, oracleID, oracle); o.err != nil {
		return o
	}
	p, err := lc.openPush(ctx)
	if err != nil {
		o.err = err
		return o
	}
	defer p.close()
	t = time.Now()
	ticket, err := lc.queue(ctx, mode, oracleID)
	if err != nil {
		o.err = err
		return o
	}
	o.queued = true
	seat, err := p.waitSeat(ctx, ticket)
	if err != nil {
		o.err = err
		return o
	}
	o.queue, o.matched, o.matchID = time.Since(t), true, seat.MatchID
	p.close()

	d, err := endpointDialer(seat.KCPAddr, seat.WSURL, seat.KCPKey, overKCP)
	if err != nil {
		o.err = err
		return o
	}
	ecsSeat := ecs.Seat{Seat: seat.Seat, PlayerID: lc.player, Team: seat.Team,
		Oracle: ecs.OracleSpec{Archetype: oracle.Archetype, Role: oracle.Role, Loadout: oracle.Loadout, Pet: oracle.Pet, Form: oracle.Form, Totem: oracle.Totem}}
	t = time.Now()
	pl, err := connectPlayer(ctx, content, mode, ecsSeat, seat.Ticket, d, seed)
	if err != nil {
		o.err = err
		return o
	}
	o.connect, o.kcp = time.Since(t), overKCP
	t = time.Now()
	st, err := pl.play(ctx)
	o.snapshots, o.resumes, o.inputAck = st.SnapshotsApplied, st.Resumes, st.MaxInputAckDelay
	if err != nil {
		o.err = fmt.Errorf("match %s seat %d: %w", seat.MatchID, seat.Seat, err)
		return o
	}
	o.play, o.finished = time.Since(t), true
	return o
}

// endpointDialer returns the dialer for a room's KCP address or WebSocket
// URL, refusing endpoints that are not on loopback. kcpKey is the base64
// AES key the lobby or control API handed out ("" when KCP is unencrypted).
func endpointDialer(kcpAddr, wsURL, kcpKey string, overKCP bool) (transport.Dialer, error) {
	if overKCP {
		if err := requireLoopbackAddr(kcpAddr); err != nil {
			return nil, err
		}
		kc := transport.DefaultKCPConfig(transport.ClientConfig())
		if kcpKey != "" {
			key, err := base64.StdEncoding.DecodeString(kcpKey)
			if err != nil {
				return nil, fmt.Errorf("bench: kcp key: %w", err)
			}
			kc.Key = key
		}
		return transport.KCPDialer{Addr: kcpAddr, Config: kc}, nil
	}
	if err := requireLoopbackURL(wsURL); err != nil {
		return nil, err
	}
	return transport.WSDialer{URL: wsURL, Config: transport.DefaultWSConfig(transport.ClientConfig())}, nil
}
