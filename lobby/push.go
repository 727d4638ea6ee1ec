package lobby

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pantheon-oracles/pantheon/lobby/auth"
	"github.com/pantheon-oracles/pantheon/lobby/store"
)

// Close codes of the push channel (RFC 6455 private range 4000-4999).
const (
	CloseSessionRevoked = 4001 // logout (of this session or everywhere) or refresh-token reuse
	CloseTokenExpired   = 4002 // the access token's lifetime ended; reconnect with a fresh one
	CloseSlowConsumer   = 4008 // the send queue overflowed
	CloseShutdown       = 1001 // the lobby is stopping (going away)
)

// closeReason names a close code in the push_closes_total metric; 0 means
// the client left (or a write failed).
func closeReason(code int) string {
	switch code {
	case CloseSessionRevoked:
		return "session_revoked"
	case CloseTokenExpired:
		return "token_expired"
	case CloseSlowConsumer:
		return "slow_consumer"
	case CloseShutdown:
		return "shutdown"
	}
	return "client"
}

var upgrader = websocket.Upgrader{
	HandshakeTimeout: 5 * time.Second,
	ReadBufferSize:   512,
	WriteBufferSize:  4096,
	// Clients are games, not browsers on third-party pages; the bearer token
	// is what authenticates, so cross-origin upgrades carry no ambient
	// credential to abuse.
	CheckOrigin: func(*http.Request) bool { return true },
}

// handleEvents: GET /v1/events upgrades to a WebSocket that pushes the
// player's events. Authentication happens before the upgrade, so refusals
// are ordinary JSON errors.
func (l *Lobby) handleEvents(w http.ResponseWriter, r *http.Request) error {
	c, err := l.authenticate(r.Context(), bearer(r, true))
	if err != nil {
		return err
	}
	// Subscribe before upgrading: a store outage is a 503, and nothing
	// published after the upgrade can be missed.
	ctx := context.WithoutCancel(r.Context())
	psub, err := l.st.Subscribe(ctx, playerTopic(c.PlayerID))
	if err != nil {
		return err
	}
	ssub, err := l.st.Subscribe(ctx, sessionTopic(c.SessionID))
	if err != nil {
		psub.Close()
		return err
	}
	// The token may have been revoked between authenticate and Subscribe.
	if err := l.checkRevoked(ctx, c); err != nil {
		psub.Close()
		ssub.Close()
		return err
	}
	if !l.takePush(c) {
		psub.Close()
		ssub.Close()
		l.met.rateLimited.WithLabelValues(limitPushConns).Inc()
		return fail(http.StatusTooManyRequests, CodeRateLimited,
			fmt.Sprintf("too many push connections: at most %d per session and %d per player", l.cfg.Push.PerToken, l.cfg.Push.PerPlayer))
	}
	// Counted before the upgrade hijacks the connection: until then the
	// HTTP server's Shutdown waits for this handler, so Run's conns.Wait
	// cannot start before this Add (a WaitGroup race otherwise).
	l.conns.Add(1)
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		l.conns.Done()
		l.releasePush(c)
		psub.Close()
		ssub.Close()
		return nil // the upgrader already answered
	}
	l.met.pushConns.Inc()
	go func() {
		defer l.conns.Done()
		defer l.releasePush(c)
		defer l.met.pushConns.Dec()
		defer psub.Close()
		defer ssub.Close()
		l.servePush(conn, c, psub, ssub)
	}()
	return nil
}

// servePush owns one push connection with three goroutines: a reader that
// only answers pongs and notices the peer leaving; a writer, the only one
// writing data frames, draining a bounded queue and pinging; and this one,
// which pumps subscription payloads into the queue without ever blocking
// (a full queue closes the connection as a slow consumer) and decides when
// the connection ends, closing it with a typed code.
func (l *Lobby) servePush(conn *websocket.Conn, c auth.Claims, psub, ssub store.Subscription) {
	cfg := l.cfg.Push
	gone := make(chan struct{})
	conn.SetReadLimit(512)
	_ = conn.SetReadDeadline(time.Now().Add(cfg.PongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(cfg.PongWait)) })
	go func() {
		defer close(gone)
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()

	queue := make(chan []byte, cfg.SendQueue)
	stop := make(chan struct{})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		ping := time.NewTicker(cfg.PingInterval)
		defer ping.Stop()
		for {
			select {
			case <-stop:
				return
			case p := <-queue:
				_ = conn.SetWriteDeadline(time.Now().Add(cfg.WriteWait))
				if err := conn.WriteMessage(websocket.TextMessage, p); err != nil {
					_ = conn.Close()
					return
				}
			case <-ping.C:
				if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(cfg.WriteWait)); err != nil {
					_ = conn.Close()
					return
				}
			}
		}
	}()

	expiry := time.NewTimer(time.Until(c.ExpiresAt))
	defer expiry.Stop()
	code, reason := 0, ""
loop:
	for {
		select {
		case <-gone:
			break loop
		case <-writerDone:
			break loop
		case <-l.closing:
			code, reason = CloseShutdown, "lobby shutting down"
			break loop
		case <-expiry.C:
			code, reason = CloseTokenExpired, "access token expired"
			break loop
		case p := <-ssub.C():
			var ev Event
			if json.Unmarshal(p, &ev) == nil && ev.Type == EventSessionRevoked && ev.SessionID == c.SessionID {
				code, reason = CloseSessionRevoked, "session revoked"
				break loop
			}
		case p := <-psub.C():
			var ev Event
			if json.Unmarshal(p, &ev) == nil && ev.Type == EventPlayerRevoked {
				if revokedBefore(c, ev.RevokedBefore) {
					code, reason = CloseSessionRevoked, "logged out everywhere"
					break loop
				}
				continue // internal: never sent to clients
			}
			select {
			case queue <- p:
			default:
				code, reason = CloseSlowConsumer, "slow consumer"
				break loop
			}
		}
	}
	close(stop)
	<-writerDone
	l.met.pushCloses.WithLabelValues(closeReason(code)).Inc()
	if code != 0 {
		_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(cfg.WriteWait))
	}
	_ = conn.Close()
	<-gone
}
