package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
)

// Heartbeat returns the server's current heartbeat (the body POSTed to the
// lobby's /v1/servers/heartbeat every Config.Heartbeat, CONTROL_API.md); its tick p99 covers the
// ticks since the previous call.
func (s *Server) Heartbeat() contract.Heartbeat {
	var counts [tickBuckets]uint64
	s.window.drain(&counts)
	players := 0
	rooms := s.reg.rooms()
	for _, r := range rooms {
		players += int(r.players.Load())
	}
	return contract.Heartbeat{
		ServerID:       s.cfg.ServerID,
		ControlURL:     s.PublicControlURL(),
		KCPAddr:        s.PublicKCPAddr(),
		WSURL:          s.PublicWSURL(),
		Region:         s.cfg.Region,
		ContentVersion: s.contentVersion,
		MaxRooms:       s.cfg.MaxRooms,
		Rooms:          len(rooms),
		Players:        players,
		TickP99Ms:      float64(quantile(&counts, 0.99)) / float64(time.Millisecond),
		Draining:       s.reg.isDraining(),
		MatchesEnded:   s.ended.peek(contract.MaxEndedPerHeartbeat),
	}
}

// runHeartbeats posts a heartbeat round now and every Config.Heartbeat
// until ctx (the heartbeat phase's) ends, then one last round (saying
// draining when the server drains). Each round is one Heartbeat with the
// next Seq, posted to every Config.LobbyURLs concurrently (heartbeatRound).
// Failures are logged per lobby, once when it starts failing and once when
// it recovers, never fatal: a lobby drops a silent server by TTL.
func (s *Server) runHeartbeats(ctx context.Context) {
	client := &http.Client{Timeout: s.cfg.Heartbeat}
	lobbies := make([]*lobbyBeat, len(s.cfg.LobbyURLs))
	for i, u := range s.cfg.LobbyURLs {
		lobbies[i] = &lobbyBeat{url: strings.TrimSuffix(u, "/") + "/v1/servers/heartbeat"}
	}
	t := time.NewTicker(s.cfg.Heartbeat)
	defer t.Stop()
	var seq uint64
	for {
		seq++
		s.heartbeatRound(client, lobbies, seq, false)
		select {
		case <-t.C:
		case <-ctx.Done():
			// A last one, once every result is in the sink: draining, and
			// the matches that ended during the drain.
			<-s.life.done(phaseResults)
			s.heartbeatRound(client, lobbies, seq+1, true)
			return
		}
	}
}

// lobbyBeat is one lobby's heartbeat state; only runHeartbeats' round
// touches failing, one goroutine per lobby at a time.
type lobbyBeat struct {
	url     string
	failing bool
}

// heartbeatRound posts heartbeat round seq to every lobby at once and
// waits for all (each bounded by Config.Heartbeat). Its matches_ended are
// acknowledged when any lobby answers 2xx: the lobbies of a fleet share one
// store, so one settling them is enough (a repeat is harmless).
func (s *Server) heartbeatRound(client *http.Client, lobbies []*lobbyBeat, seq uint64, last bool) {
	hb := s.Heartbeat()
	hb.Seq = seq
	body, err := json.Marshal(hb)
	if err != nil {
		s.log.Error("heartbeat: encode", "err", err) // cannot happen: plain fields
		return
	}
	var wg sync.WaitGroup
	var acked atomic.Bool
	for _, lb := range lobbies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.postHeartbeat(client, lb.url, body)
			if err == nil {
				acked.Store(true)
			}
			switch {
			case last && err != nil:
				s.log.Warn("last heartbeat failed", "url", lb.url, "err", err, "matches_ended_unreported", s.ended.len())
			case err != nil && !lb.failing:
				s.log.Warn("heartbeat failed", "url", lb.url, "err", err)
				lb.failing = true
			case err == nil && lb.failing:
				s.log.Info("heartbeat recovered", "url", lb.url)
				lb.failing = false
			}
		}()
	}
	wg.Wait()
	if acked.Load() {
		s.ended.ack(hb.MatchesEnded)
	}
}

// postHeartbeat posts one encoded heartbeat to url.
func (s *Server) postHeartbeat(client *http.Client, url string, body []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Heartbeat)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.cfg.FleetSecret)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("lobby answered %s", resp.Status)
	}
	return nil
}
