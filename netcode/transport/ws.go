package transport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pantheon-oracles/pantheon/internal/connlimit"
	"github.com/pantheon-oracles/pantheon/internal/origin"
)

// WSConfig configures WebSocket listeners and dialers.
type WSConfig struct {
	Config
	// AllowedOrigins is the origin policy for browser clients
	// (internal/origin syntax): a request with an Origin header is upgraded
	// only when the origin is listed exactly (e.g.
	// "https://play.example.com"), matches a scheme://host:* entry on any
	// port, or the list holds "*". Requests without Origin (native
	// clients, bots) are always allowed. Any other origin is answered 403
	// with a JSON body {"code":"origin_not_allowed","message":...} naming
	// it. Default empty: no browser origin allowed.
	AllowedOrigins []string
	// OriginHint ends the message of that 403, saying how to allow an
	// origin (the room server names its --ws-origins flag). Optional.
	OriginHint string
	// PingInterval is how often the server sends a WebSocket ping, which
	// keeps proxies and NATs from dropping a quiet connection and finds a
	// dead TCP peer by the failed write. Default 5 s; 0 disables.
	PingInterval time.Duration
	// BufferSize is the read and write buffer of each connection, bytes.
	// Default 4096.
	BufferSize int
	// ConnsPerIP (ListenWS only) caps the TCP connections one source IP
	// may hold open on the port, upgraded or not; more are closed unread
	// and counted in Stats.OverIP. Default 64; negative means no cap.
	ConnsPerIP int
}

// DefaultWSConfig returns the defaults around base (ServerConfig or
// ClientConfig).
func DefaultWSConfig(base Config) WSConfig {
	return WSConfig{Config: base, PingInterval: 5 * time.Second, BufferSize: 4096, ConnsPerIP: 64}
}

// Validate reports the first field out of range.
func (c *WSConfig) Validate() error {
	if err := c.Config.Validate(); err != nil {
		return err
	}
	if c.PingInterval < 0 || c.BufferSize < 256 || c.ConnsPerIP == 0 {
		return fmt.Errorf("transport: ws PingInterval %v negative, BufferSize %d under 256 or ConnsPerIP 0", c.PingInterval, c.BufferSize)
	}
	if _, err := origin.Parse(c.AllowedOrigins); err != nil {
		return fmt.Errorf("transport: ws AllowedOrigins: %w", err)
	}
	return nil
}

// WSListener is an http.Handler that upgrades requests to WebSocket
// sessions (binary frames, one protocol message each) and a Listener that
// hands them out after the admission gate. Mount it on any mux, or use
// ListenWS to serve it on its own address.
type WSListener struct {
	cfg      WSConfig
	upgrader websocket.Upgrader
	origins  origin.Policy
	gate     *gate
	addr     net.Addr
	srv      *http.Server
	limit    *connlimit.Listener // ListenWS only
	wg       sync.WaitGroup
}

// NewWSListener returns a handler-listener for mounting on a mux; its
// Addr is nil.
func NewWSListener(cfg WSConfig) (*WSListener, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.validateListener(); err != nil {
		return nil, err
	}
	wl := &WSListener{cfg: cfg, gate: newGate(cfg.Config)}
	wl.origins, _ = origin.Parse(cfg.AllowedOrigins) // checked by Validate
	wl.upgrader = websocket.Upgrader{
		HandshakeTimeout: cfg.HelloTimeout,
		ReadBufferSize:   cfg.BufferSize,
		WriteBufferSize:  cfg.BufferSize,
		// ServeHTTP has checked the origin before the upgrade.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	return wl, nil
}

// ListenWS serves a WSListener at path on addr ("127.0.0.1:0" in tests).
// Close also shuts the HTTP server down. The HTTP server gives a request
// HelloTimeout to arrive whole (header and body) and to be answered, and
// closes a keep-alive connection idle for HelloTimeout: the port serves
// upgrades only, so nothing legitimate waits longer. An upgraded
// connection is then under the session's own read and write deadlines.
func ListenWS(addr, path string, cfg WSConfig) (*WSListener, error) {
	wl, err := NewWSListener(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("transport: ws listen %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle(path, wl)
	wl.addr = ln.Addr()
	if cfg.ConnsPerIP >= 0 {
		wl.limit = connlimit.Wrap(ln, connlimit.Config{PerIP: cfg.ConnsPerIP})
		ln = wl.limit
	}
	wl.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: cfg.HelloTimeout,
		ReadTimeout:       cfg.HelloTimeout,
		WriteTimeout:      cfg.HelloTimeout,
		IdleTimeout:       cfg.HelloTimeout,
		MaxHeaderBytes:    8 << 10,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	wl.wg.Add(1)
	go func() {
		defer wl.wg.Done()
		_ = wl.srv.Serve(ln)
	}()
	return wl, nil
}

// ServeHTTP upgrades the request (refusing disallowed origins with a 403
// JSON body) and passes the session to the admission gate.
func (wl *WSListener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" && !wl.origins.Allows(o) {
		msg := fmt.Sprintf("origin %s is not allowed on this WebSocket endpoint", o)
		if wl.cfg.OriginHint != "" {
			msg += "; " + wl.cfg.OriginHint
		}
		body, _ := json.Marshal(struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}{"origin_not_allowed", msg})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write(append(body, '\n'))
		return
	}
	c, err := wl.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has already answered with an HTTP error
	}
	wl.gate.admit(newWSConn(c, wl.cfg, true))
}

// Accept returns the next admitted session.
func (wl *WSListener) Accept(ctx context.Context) (Conn, error) { return wl.gate.accept(ctx) }

// Addr is the TCP address from ListenWS, or nil for a mounted handler.
func (wl *WSListener) Addr() net.Addr { return wl.addr }

// Stats reports the admission gate's counters, and for ListenWS the
// connections refused by the per-IP cap.
func (wl *WSListener) Stats() Stats {
	st := wl.gate.stats()
	if wl.limit != nil {
		st.OverIP = wl.limit.Refused()
	}
	return st
}

// OpenConns is the number of TCP connections open on a ListenWS port
// (upgraded or not); 0 for a mounted handler.
func (wl *WSListener) OpenConns() int {
	if wl.limit == nil {
		return 0
	}
	return wl.limit.Open()
}

// Close stops admitting sessions and, for ListenWS, closes the HTTP
// server's listener. Accepted sessions stay open.
func (wl *WSListener) Close() error {
	var err error
	if wl.srv != nil {
		err = wl.srv.Close()
		wl.wg.Wait()
	}
	wl.gate.close()
	return err
}

// WSDialer dials a WebSocket endpoint.
type WSDialer struct {
	URL    string // ws:// or wss:// URL of the play endpoint
	Config WSConfig
	Header http.Header // extra request headers (e.g. Origin), optional
}

// Dial performs the WebSocket handshake.
func (d WSDialer) Dial(ctx context.Context) (Conn, error) {
	if err := d.Config.Validate(); err != nil {
		return nil, err
	}
	wd := websocket.Dialer{
		HandshakeTimeout: d.Config.HelloTimeout,
		ReadBufferSize:   d.Config.BufferSize,
		WriteBufferSize:  d.Config.BufferSize,
	}
	c, resp, err := wd.DialContext(ctx, d.URL, d.Header)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("transport: ws dial %s: %w", d.URL, err)
	}
	return newWSConn(c, d.Config, false), nil
}

// wsConn carries one frame per binary WebSocket message.
//
// Every write to the socket happens under wmu: gorilla/websocket's own
// writes (WriteFrame's messages, pings, the pong and close replies its
// reader sends) and TryWriteFrames's raw writev of whole WebSocket frames
// (ws_batch.go), which must not interleave with a frame half on the wire.
type wsConn struct {
	c      *websocket.Conn
	cfg    Config
	rbuf   []byte
	wmu    sync.Mutex
	batch  wsBatch // guarded by wmu
	pinger *time.Timer
	pingIv time.Duration
	once   sync.Once
}

func newWSConn(c *websocket.Conn, cfg WSConfig, server bool) *wsConn {
	c.SetReadLimit(int64(cfg.MaxReadFrame))
	wc := &wsConn{c: c, cfg: cfg.Config}
	if server {
		wc.batch.init(c.NetConn())
	}
	// The reader's replies go through wmu like every other write.
	c.SetPingHandler(func(data string) error {
		err := wc.writeControl(websocket.PongMessage, []byte(data), time.Now().Add(wc.cfg.WriteTimeout))
		if err == nil || errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil
		}
		return err
	})
	c.SetCloseHandler(func(code int, _ string) error {
		_ = wc.writeControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
		return nil
	})
	if server && cfg.PingInterval > 0 {
		wc.pingIv = cfg.PingInterval
		wc.pinger = time.AfterFunc(cfg.PingInterval, wc.ping)
	}
	return wc
}

// ping runs on a timer (no goroutine of its own per connection).
func (c *wsConn) ping() {
	if err := c.writeControl(websocket.PingMessage, nil, time.Now().Add(c.cfg.WriteTimeout)); err != nil {
		c.Close()
		return
	}
	c.pinger.Reset(c.pingIv)
}

// writeControl writes a control message under wmu, after the rest of a
// frame TryWriteFrames left half sent.
func (c *wsConn) writeControl(mt int, data []byte, deadline time.Time) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.batch.flush(c.cfg.WriteTimeout); err != nil {
		return wsErr(err)
	}
	return c.c.WriteControl(mt, data, deadline)
}

func (c *wsConn) ReadFrame() ([]byte, error) {
	return c.readFrameBy(time.Now().Add(c.cfg.IdleTimeout))
}

func (c *wsConn) readFrameBy(deadline time.Time) ([]byte, error) {
	_ = c.c.SetReadDeadline(deadline)
	mt, r, err := c.c.NextReader()
	if err != nil {
		return nil, wsErr(err)
	}
	if mt != websocket.BinaryMessage {
		return nil, fmt.Errorf("%w: websocket text message", ErrBadFrame)
	}
	c.rbuf = c.rbuf[:0]
	for {
		if len(c.rbuf) == cap(c.rbuf) {
			c.rbuf = slices.Grow(c.rbuf, max(512, cap(c.rbuf)))
		}
		n, err := r.Read(c.rbuf[len(c.rbuf):cap(c.rbuf)])
		c.rbuf = c.rbuf[:len(c.rbuf)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, wsErr(err)
		}
	}
	if len(c.rbuf) == 0 {
		return nil, fmt.Errorf("%w: empty frame", ErrBadFrame)
	}
	return c.rbuf, nil
}

func (c *wsConn) WriteFrame(p []byte) error {
	if len(p) > c.cfg.MaxWriteFrame {
		return fmt.Errorf("%w: %d bytes over %d", ErrFrameTooLarge, len(p), c.cfg.MaxWriteFrame)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.batch.flush(c.cfg.WriteTimeout); err != nil {
		return wsErr(err)
	}
	_ = c.c.SetWriteDeadline(time.Now().Add(c.cfg.WriteTimeout))
	if err := c.c.WriteMessage(websocket.BinaryMessage, p); err != nil {
		return wsErr(err)
	}
	return nil
}

func (c *wsConn) Close() error {
	c.once.Do(func() {
		if c.pinger != nil {
			c.pinger.Stop()
		}
		// The close message goes out only if no write is in progress and
		// no frame is half sent: Close must not wait on a stuck writer
		// (it is how a stuck writer is ended), and a close message in the
		// middle of a frame would corrupt the stream.
		if c.wmu.TryLock() {
			if !c.batch.holding() {
				msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
				_ = c.c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(100*time.Millisecond))
			}
			c.wmu.Unlock()
		}
	})
	_ = c.c.Close()
	return nil
}

func (c *wsConn) RemoteAddr() net.Addr { return c.c.RemoteAddr() }
func (c *wsConn) Transport() string    { return "ws" }

// wsErr maps gorilla/websocket and net errors to the package's sentinels.
func wsErr(err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, websocket.ErrReadLimit):
		return fmt.Errorf("%w: %v", ErrFrameTooLarge, err)
	case errors.As(err, &ne) && ne.Timeout():
		return ErrIdle
	case errors.Is(err, net.ErrClosed), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseAbnormalClosure):
		return ErrClosed
	}
	return fmt.Errorf("transport: ws: %w", err)
}
