package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
	"golang.org/x/time/rate"
)

// wsPath is where the WebSocket listener serves players.
const wsPath = "/v1/play"

// admitTimeout bounds how long a connection whose ticket checked out waits
// for its room's goroutine to seat it.
const admitTimeout = 5 * time.Second

// listener is a transport listener the server accepts sessions from.
type listener interface {
	Accept(ctx context.Context) (transport.Conn, error)
	Close() error
	// Transport is "kcp", "ws" or "mem"; Addr where clients dial.
	Transport() string
	Addr() string
}

// acceptLoop hands every admitted session of l to its own reader and
// writer goroutines until ctx (the accept phase's) ends or l closes.
func (s *Server) acceptLoop(ctx context.Context, l listener) {
	for {
		tc, err := l.Accept(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, transport.ErrClosed) {
				return
			}
			s.log.Warn("accept failed", "transport", l.Transport(), "err", err)
			continue
		}
		s.serveConn(tc)
	}
}

// serveConn starts the reader and writer of one accepted session. Once
// the accept phase has ended (Shutdown) it closes tc instead, starts
// nothing and reports false.
func (s *Server) serveConn(tc transport.Conn) bool {
	name := tc.Transport()
	c := newConn(tc, name, s.cfg.InboxSize, s.metrics.bytesOut.WithLabelValues(name))
	c.snapshotsOut = s.metrics.snapshotsOut.WithLabelValues(name)
	gauge := s.metrics.connections.WithLabelValues(name)
	gauge.Inc()
	started := s.life.Go(phaseAccept,
		func(context.Context) { c.writeLoop() },
		func(context.Context) {
			defer gauge.Dec()
			s.readLoop(c)
		})
	if !started {
		gauge.Dec()
		tc.Close()
	}
	return started
}

// readLoop admits the session (hello or resume) and then reads its frames
// until it closes. On any exit the connection is closed; the room notices
// at its next service and holds the seat for the grace period.
func (s *Server) readLoop(c *conn) {
	defer c.closeWith(nil)
	bytesIn := s.metrics.bytesIn.WithLabelValues(c.transport)
	frame, err := c.w.ReadFrame()
	if err != nil {
		return
	}
	bytesIn.Add(float64(len(frame)))
	r, ok := s.admitConn(c, frame)
	if !ok {
		return
	}
	s.readFrames(c, r, bytesIn)
}

// admitConn checks the first frame and queues the connection at its room,
// then waits until the room seats or refuses it.
func (s *Server) admitConn(c *conn, frame []byte) (*room, bool) {
	var h netcode.Hello
	if err := netcode.DecodeHello(frame, &h); err != nil {
		s.refuseConn(c, netcode.CodeProtocolError, "first frame must be hello or resume")
		return nil, false
	}
	if h.Version != netcode.Version {
		s.refuseConn(c, netcode.CodeVersionMismatch, fmt.Sprintf("server speaks protocol version %d, client %d", netcode.Version, h.Version))
		return nil, false
	}
	// The signature names the room; a ticket for a room not hosted here is
	// refused before it is spent.
	claims, err := s.tickets.CheckIgnoringExpiry(h.Ticket, KindJoin)
	if err != nil {
		s.refuseConn(c, ticketCode(err), err.Error())
		return nil, false
	}
	r, ok := s.reg.get(claims.Room)
	if !ok && h.Resume() {
		// The room is gone (ended, or never here): nothing to resume.
		s.refuseConn(c, netcode.CodeResumeFailed, "no room "+claims.Room+" on this server")
		return nil, false
	}
	if !ok {
		err := fmt.Errorf("room %s: %w", claims.Room, ErrTicketWrongRoom)
		s.refuseConn(c, ticketCode(err), err.Error())
		return nil, false
	}
	if !h.Resume() {
		// A resume names its seat with the join ticket redeemed at the
		// first join (possibly expired since); the room's one-time resume
		// token is what proves that session. A join spends the ticket.
		if claims, err = s.tickets.Redeem(h.Ticket, KindJoin, time.Now()); err != nil {
			s.refuseConn(c, ticketCode(err), err.Error())
			return nil, false
		}
	}
	j := joinReq{c: c, claims: claims, resume: h.Resume(), token: h.ResumeToken, lastAck: h.LastAckTick}
	if !r.offerJoin(j) {
		s.refuseConn(c, netcode.CodeInternal, "room busy; retry")
		return nil, false
	}
	if sh := r.shard; sh != nil {
		sh.poke()
	}
	t := time.NewTimer(admitTimeout)
	defer t.Stop()
	select {
	case <-c.admitted:
		return r, true
	case <-c.closing:
		return nil, false
	case <-t.C:
		s.refuseConn(c, netcode.CodeInternal, "room did not seat the connection in time")
		return nil, false
	}
}

// refuseConn closes a connection that was not admitted.
func (s *Server) refuseConn(c *conn, code netcode.Code, msg string) {
	s.metrics.refused(code).Inc()
	s.log.Info("session refused", "transport", c.transport, "addr", c.w.RemoteAddr().String(), "code", code.String(), "why", msg)
	c.closeCode(code, msg)
}

// ticketCode maps a ticket error to its wire code.
func ticketCode(err error) netcode.Code {
	switch {
	case errors.Is(err, ErrTicketExpired):
		return netcode.CodeTicketExpired
	case errors.Is(err, ErrTicketReused):
		return netcode.CodeTicketReused
	case errors.Is(err, ErrTicketWrongRoom):
		return netcode.CodeWrongRoom
	}
	return netcode.CodeBadTicket
}

// readFrames reads an admitted session's frames: inputs into the inbox
// (duplicates and old sequence numbers dropped, floods rate limited), acks,
// pings. Rates are per tick of the room (Config.InputsPerTick). A client
// over its rate keeps losing inputs; once its drops outnumber what was
// accepted by Config.FloodLimit it is closed with rate_limited.
func (s *Server) readFrames(c *conn, r *room, bytesIn interface{ Add(float64) }) {
	hz := float64(time.Second) / float64(r.clock.Step())
	inputs := rate.NewLimiter(rate.Limit(s.cfg.InputsPerTick*hz), s.cfg.InputBurst)
	// Frames: the budget admits an input frame, an ack and now and then a
	// ping per tick. The project's clients carry the ack in the input frame
	// (PROTOCOL.md 6), but the protocol lets any client send it alone.
	frames := rate.NewLimiter(rate.Limit((s.cfg.InputsPerTick+2)*hz), 3*s.cfg.InputBurst)
	lastQueued := c.startSeq
	flood := 0 // drops minus accepted inputs and frames, never below 0
	var f netcode.InputFrame
	var pong []byte // reused: offerControl copies the frame
	for {
		frame, err := c.w.ReadFrame()
		if err != nil {
			s.framingError(c, err)
			return
		}
		bytesIn.Add(float64(len(frame)))
		if !frames.Allow() {
			flood++
			s.drops.rateLimited.Inc()
			if flood > s.cfg.FloodLimit {
				s.closeFlood(c, r)
				return
			}
			continue
		}
		flood = max(0, flood-1)
		kind, err := netcode.PeekKind(frame)
		if err != nil {
			s.protocolError(c, err)
			return
		}
		switch kind {
		case netcode.KindInput:
			if err := netcode.DecodeInputFrame(frame, &f); err != nil {
				s.protocolError(c, err)
				return
			}
			if f.AckTick > r.tick.Load() {
				s.protocolError(c, errAckAhead)
				return
			}
			c.storeAck(f.AckTick)
			for _, in := range f.Inputs {
				if in.Seq <= lastQueued {
					continue // a resend of an input already queued
				}
				if !inputs.Allow() {
					flood++
					s.drops.rateLimited.Inc()
					continue
				}
				flood = max(0, flood-1)
				lastQueued = in.Seq
				if !c.push(in) {
					s.drops.inboxFull.Inc()
				}
			}
			if flood > s.cfg.FloodLimit {
				s.closeFlood(c, r)
				return
			}
		case netcode.KindAck:
			tick, err := netcode.DecodeAck(frame)
			if err != nil {
				s.protocolError(c, err)
				return
			}
			if tick > r.tick.Load() {
				s.protocolError(c, errAckAhead)
				return
			}
			c.storeAck(tick)
		case netcode.KindPing:
			var p netcode.Ping
			if err := netcode.DecodePing(frame, &p); err != nil {
				s.protocolError(c, err)
				return
			}
			pong = netcode.AppendPong(pong[:0], &netcode.Pong{ID: p.ID, ClientTimeUs: p.ClientTimeUs, ServerTick: r.tick.Load(), ServerTimeUs: time.Now().UnixMicro()})
			c.offerControl(pong)
		case netcode.KindClientBye:
			c.closeWith(nil)
			return
		case netcode.KindHello, netcode.KindResume:
			// A duplicated hello (the client resends it until the welcome
			// arrives): answer with the same welcome (PROTOCOL.md 5.1).
			if w := c.lastWelcome(); w != nil {
				c.offerControl(w)
			}
		default:
			s.protocolError(c, netcode.ErrUnknownKind)
			return
		}
	}
}

// closeFlood closes a flooding connection with rate_limited and the
// server's back-off (Config.RateLimitBackoff), which its seat then
// enforces on the next resume.
func (s *Server) closeFlood(c *conn, r *room) {
	s.metrics.closes.WithLabelValues(netcode.CodeRateLimited.String()).Inc()
	s.log.Info("flooding client closed", "room", r.id, "transport", c.transport, "backoff", s.cfg.RateLimitBackoff)
	c.closeBackoff(netcode.CodeRateLimited, "too many inputs", s.now(), s.cfg.RateLimitBackoff)
}

// errAckAhead is the protocol error of an ack for a tick the room has not
// reached: the server cannot have sent it, and an ack from the future
// would pin the seat to full snapshots.
var errAckAhead = errors.New("ack for a tick newer than the room's")

// framingError closes a session whose transport refused a frame after
// admission: a frame over the size cap gets frame_too_large, a malformed
// one (a zero KCP length prefix, a WebSocket text message)
// protocol_error; an idle timeout or a closed socket gets nothing.
func (s *Server) framingError(c *conn, err error) {
	switch {
	case errors.Is(err, transport.ErrFrameTooLarge):
		s.metrics.closes.WithLabelValues(netcode.CodeFrameTooLarge.String()).Inc()
		c.closeCode(netcode.CodeFrameTooLarge, err.Error())
	case errors.Is(err, transport.ErrBadFrame):
		s.protocolError(c, err)
	}
}

func (s *Server) protocolError(c *conn, err error) {
	s.metrics.closes.WithLabelValues(netcode.CodeProtocolError.String()).Inc()
	c.closeCode(netcode.CodeProtocolError, err.Error())
}

// storeAck records a snapshot ack if it is newer than the last one.
// Called by the reader only.
func (c *conn) storeAck(tick uint32) {
	if tick > c.ackTick.Load() {
		c.ackTick.Store(tick)
	}
}
