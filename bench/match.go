package bench

import (
	"encoding/base64"
	"fmt"

	"github.com/pantheon-oracles/pantheon/netcode/transport"
)

// maxReportedMatches bounds the match ids a report lists.
const maxReportedMatches = 100

// MatchReport is the lobby kind's summary in the shape of the original
// "match" scenario: how far the bots got through a match's whole path.
// Counts are of events (a requeueing bot logs in once and matches many
// times).
type MatchReport struct {
	Mode     string `json:"mode"`      // the first mode of the scenario
	Bots     int    `json:"bots"`      // started
	LoggedIn int    `json:"logged_in"` // guest logins that succeeded
	Matched  int    `json:"matched"`   // seats received through match_found
	Joined   int    `json:"joined"`    // room connections that got a welcome
	Finished int    `json:"finished"`  // seats played until the server ended the match
	Matches  int    `json:"matches"`   // distinct matches the bots were placed in
	// MatchIDs lists those matches (the first maxReportedMatches), so a
	// caller can look their results up in the database.
	MatchIDs []string `json:"match_ids,omitempty"`
	KCP      int      `json:"kcp"` // room connections over KCP
	WS       int      `json:"ws"`  // room connections over WebSocket
	// Login is POST /v1/auth/guest as the bots saw it.
	Login Latency `json:"login"`
	// QueueWait runs from POST /v1/tickets to the match_found event.
	QueueWait Latency `json:"queue_wait"`
	// Connect is dial + hello + welcome on the room server.
	Connect Latency `json:"connect"`
	// InputAck is every input's wait from its send to the snapshot that
	// acknowledged it.
	InputAck  Latency `json:"input_ack"`
	Snapshots uint64  `json:"snapshots"` // snapshot frames received, all bots
	Resumes   uint64  `json:"resumes"`   // sessions resumed after a drop, all bots
}

// matchReport summarises a lobby run's swarm report.
func matchReport(sw *SwarmReport, mode string, ids []string) *MatchReport {
	m := &MatchReport{Mode: mode, Bots: sw.Bots, Matches: sw.Matches, MatchIDs: ids, Finished: sw.Finished,
		Login: sw.Latency["login"], QueueWait: sw.Latency["queue"], Connect: sw.Latency["join"], InputAck: sw.Latency["input_ack"],
		Snapshots: sw.Snapshots, Resumes: sw.Resumes}
	m.LoggedIn, m.Matched, m.Joined = m.Login.Count, m.QueueWait.Count, m.Connect.Count
	for _, k := range sw.ByKey {
		if k.Transport == "kcp" {
			m.KCP += k.Latency["join"].Count
		} else {
			m.WS += k.Latency["join"].Count
		}
	}
	return m
}

// endpointDialer returns the dialer for a room's KCP address or WebSocket
// URL, refusing endpoints the config does not allow. kcpKey is the seat's
// own base64 KCP key the lobby or control API handed out with its ticket
// ("" when KCP is unencrypted).
func endpointDialer(cfg Config, kcpAddr, wsURL, kcpKey string, overKCP bool) (transport.Dialer, error) {
	if overKCP {
		if err := cfg.checkAddr(kcpAddr); err != nil {
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
	if err := cfg.checkURL(wsURL); err != nil {
		return nil, err
	}
	return transport.WSDialer{URL: wsURL, Config: transport.DefaultWSConfig(transport.ClientConfig())}, nil
}
