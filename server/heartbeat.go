package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
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

// runHeartbeats posts a heartbeat now and every Config.Heartbeat until ctx
// (the heartbeat phase's) ends, then one last one (saying draining when the server drains).
// Failures are logged, never fatal: the lobby drops a silent server by TTL.
func (s *Server) runHeartbeats(ctx context.Context) {
	client := &http.Client{Timeout: s.cfg.Heartbeat}
	url := s.cfg.LobbyURL + "/v1/servers/heartbeat"
	t := time.NewTicker(s.cfg.Heartbeat)
	defer t.Stop()
	failing := false
	for {
		err := s.postHeartbeat(client, url)
		switch {
		case err != nil && !failing:
			s.log.Warn("heartbeat failed", "url", url, "err", err)
			failing = true
		case err == nil && failing:
			s.log.Info("heartbeat recovered", "url", url)
			failing = false
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			// A last one, once every result is in the sink: draining, and
			// the matches that ended during the drain.
			<-s.life.done(phaseResults)
			if err := s.postHeartbeat(client, url); err != nil {
				s.log.Warn("last heartbeat failed", "url", url, "err", err, "matches_ended_unreported", s.ended.len())
			}
			return
		}
	}
}

func (s *Server) postHeartbeat(client *http.Client, url string) error {
	hb := s.Heartbeat()
	body, err := json.Marshal(hb)
	if err != nil {
		return err
	}
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
	s.ended.ack(hb.MatchesEnded)
	return nil
}
