package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/pantheon-oracles/pantheon/internal/origin"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
	"github.com/prometheus/client_golang/prometheus"
)

// MinFleetSecretBytes is the shortest fleet secret a room server or lobby
// accepts: 32 bytes, as from `head -c 32 /dev/urandom | base64`.
const MinFleetSecretBytes = 32

// Config configures a room server. The zero value of every field but
// TicketKey and FleetSecret means its documented default (see
// WithDefaults); Validate reports what is wrong with the rest.
type Config struct {
	// ServerID names this process to the lobby and in match records.
	// Default "room-1".
	ServerID string
	// Region is reported in heartbeats. Default "local".
	Region string

	// KCPAddr is the UDP listen address for KCP clients. Default "127.0.0.1:7000".
	KCPAddr string
	// WSAddr is the TCP listen address for WebSocket clients (path /v1/play).
	// Default "127.0.0.1:7001".
	WSAddr string
	// AdminAddr is the TCP listen address of the control API, /metrics and
	// /debug/pprof. Default "127.0.0.1:7002".
	AdminAddr string
	// PublicKCPAddr, PublicWSURL and PublicControlURL are what the server
	// advertises to the lobby and players. Default: derived from the bound
	// listen addresses.
	PublicKCPAddr    string
	PublicWSURL      string
	PublicControlURL string
	// Listeners are more transport listeners players may connect through,
	// besides the KCP and WebSocket listeners the server binds itself: an
	// in-memory network (transport.MemNetwork) for tests, benchmarks and
	// bots in the same process, or a KCP or WebSocket listener configured
	// otherwise. The server accepts from them from Start and closes them
	// on Shutdown (or when Start fails). A sealing KCP listener among them
	// must use KCPKeys. Default none.
	Listeners []Listener
	// KCPKeys is the ring the server puts each seat's KCP keys in when
	// KCPKey is set (keys.go): give the same ring to a sealing KCP
	// listener in Listeners. Default (nil): the server makes a ring of its
	// own.
	KCPKeys *transport.KeyRing

	// ConnsPerIP caps the TCP connections one source IP may hold open on
	// the WebSocket port, and separately on the admin port; more are
	// closed unread (README, "Descriptor budget"). Default 64.
	ConnsPerIP int
	// HelloTimeout is how long a new KCP or WebSocket session has to send
	// its hello or resume, and how long the WebSocket port's HTTP server
	// waits for an upgrade request and keeps an idle keep-alive
	// connection. Default 3 s.
	HelloTimeout time.Duration
	// PendingPerAddr and PendingPerPrefix cap the sessions of one source
	// IP, and of one /24 (IPv4) or /64 (IPv6), waiting for their hello on
	// each listener (256 may wait in all); a source holding none always
	// gets a slot, by closing the oldest waiting session of the source
	// holding the most. Defaults 8 and 32; raise both for load tests that
	// dial many clients at once from one address.
	PendingPerAddr, PendingPerPrefix int
	// AdminReadTimeout bounds reading one admin request, header and body.
	// Default 10 s.
	AdminReadTimeout time.Duration
	// AdminWriteTimeout bounds writing one admin response; it must cover
	// the longest CPU profile or trace asked of /debug/pprof. Default 2 min.
	AdminWriteTimeout time.Duration
	// AdminIdleTimeout closes an admin keep-alive connection idle this
	// long. Default 30 s.
	AdminIdleTimeout time.Duration

	// AllowedOrigins is the WebSocket origin policy for browser clients:
	// exact origins, scheme://host:* for a host on any port, or "*" for
	// any (internal/origin). Requests without an Origin header (native
	// clients, bots) are always allowed; other origins get 403 with a JSON
	// body naming the origin and --ws-origins. Default none.
	AllowedOrigins []string

	// TicketKey signs join tickets and resume tokens (HS256). Required, at
	// least MinTicketKeyBytes bytes.
	TicketKey []byte
	// FleetSecret is the bearer secret shared with the lobby for the control
	// API, /metrics, /debug/pprof and heartbeats. Required, at least
	// MinFleetSecretBytes bytes (draw them at random).
	FleetSecret string
	// KCPKey is the master key (16, 24 or 32 bytes) of sealed KCP: it
	// never leaves the server, which derives from it one key per seat and
	// connection generation (keys.go); the control API hands each seat's
	// join key out with that seat's ticket. Empty means KCP is plaintext.
	KCPKey []byte

	// LobbyURLs are the lobby replicas' base URLs (http or https, no
	// query) for heartbeats: each round is posted to every one (POST
	// {url}/v1/servers/heartbeat) concurrently, each with its own timeout,
	// so a dead replica delays no other. A single load-balanced URL works
	// too, but then a replica behind it sees only some rounds. Empty
	// disables heartbeats.
	LobbyURLs []string
	// Heartbeat is the interval between heartbeats. Default 2 s.
	Heartbeat time.Duration

	// MaxRooms caps the rooms hosted at once (waiting + running); creation
	// beyond it gets 503 server_full. Default 256.
	MaxRooms int
	// Shards is the number of scheduler goroutines stepping rooms; each room
	// is owned by exactly one of them for its whole life. Default 0 means
	// runtime.GOMAXPROCS(0).
	Shards int
	// TickRates overrides the clock rate per mode, in Hz (10..120): the
	// simulation still counts its own ticks, so a match runs faster or
	// slower in wall time.
	// Missing modes use the content's rate.
	TickRates map[string]int
	// MaxCatchUp is the most ticks a room runs in one go after a stall; the
	// rest are skipped and counted. Default 4.
	MaxCatchUp int

	// WaitDeadline is how long a room waits for all its players before it
	// starts with those present (at least one) or ends aborted (none).
	// Default 60 s.
	WaitDeadline time.Duration
	// Grace is the per-mode time a dropped player's seat is held for a
	// resume. Missing modes use DefaultGrace.
	Grace map[string]time.Duration
	// DefaultGrace is the grace for modes not in Grace. Default 30 s.
	DefaultGrace time.Duration
	// TicketTTL is the lifetime of the join tickets the control API issues.
	// Default 5 min.
	TicketTTL time.Duration

	// InboxSize is the per-connection input queue, in inputs; overflow drops
	// the newest input and counts it. Default 64.
	InboxSize int
	// InputsPerTick is the sustained rate of new inputs a connection may
	// send, per tick of its room: the limiter refills at InputsPerTick times
	// the room's tick rate per second, so a client sending one input a tick
	// is never limited at any tick rate. InputBurst is the bucket size.
	// Frames (inputs, acks, pings) may come at InputsPerTick+2 a tick.
	// Defaults 1.5 and 30.
	InputsPerTick float64
	InputBurst    int
	// FloodLimit is how far a connection's rate-limited inputs and frames
	// may outnumber its accepted ones before it is closed with
	// rate_limited: every drop adds one, every accepted input or frame takes
	// one away, so a client above its rate loses inputs and one sending at
	// more than twice its rate is closed. Default 150.
	FloodLimit int
	// RateLimitBackoff is how long a seat closed with rate_limited must
	// wait before it may connect again: the error frame states it
	// (retry_after_ms), and a resume (or join) of the seat before it ends
	// is refused with rate_limited and the time left, the seat still held
	// and its resume token still valid. Keep it well below the grace, which
	// runs from the drop. Default 2 s.
	RateLimitBackoff time.Duration
	// SlowConsumerTicks is how many consecutive ticks a connection's writer
	// may leave a snapshot untaken before the connection is closed with
	// slow_consumer. Default 60 (2 s at 30 Hz).
	SlowConsumerTicks int
	// JoinQueue bounds the joins and resumes waiting for a room's goroutine;
	// a connection arriving when it is full is closed with server_busy.
	// Default 32.
	JoinQueue int

	// ResultQueue bounds finished matches waiting for the ResultSink. A room
	// whose result does not fit keeps it and retries next tick. Default 1024.
	ResultQueue int
	// Journal is the path of the room journal (a file beside the result
	// outbox): every room is journaled there before its creation is
	// answered, so that after a crash the next start records each room
	// that had no result yet as aborted. "" disables crash recovery (tests
	// only: a production server must set it).
	Journal string
	// ResultWait is how long a finished room holds its clients' match end
	// (the final tick's events and the bye) waiting for the sink to make
	// the result durable. Past it the clients get result_pending instead
	// of an end they could take for settled. Default 10 s.
	ResultWait time.Duration
	// ResultWorkers is how many goroutines submit results to the sink
	// concurrently (an outbox shares one fsync between them). Default 4.
	ResultWorkers int
	// SubmitRetry is the first back-off after a failed Submit; it doubles up
	// to 30 s. Default 250 ms.
	SubmitRetry time.Duration
	// DrainTimeout is how long a drain lets running rooms finish before it
	// aborts them. Default 5 min.
	DrainTimeout time.Duration
	// FlushTimeout is how long a drain waits for queued results to reach the
	// sink before giving up (they are logged), and then for queued log
	// records to be written. Default 30 s.
	FlushTimeout time.Duration

	// Logger receives structured logs. The server never calls it from a
	// room's goroutine: records go through a bounded queue (LogQueue) to a
	// logger goroutine of the server, so a slow or blocked log writer
	// delays only that goroutine. Default slog.Default().
	Logger *slog.Logger
	// LogQueue bounds the log records waiting for the logger goroutine, in
	// records. When it is full a new record is dropped and counted in
	// pantheon_room_log_records_dropped_total, and the logger writes one
	// warning with the count once it catches up. Default 4096.
	LogQueue int
	// now is the clock the shards service rooms at and back-offs are
	// measured with; nil: time.Now (left nil by WithDefaults, so configs
	// built alike compare equal). Tests in this package set a synthetic
	// one (a shifted wall clock) to skip waits.
	now func() time.Time

	// Registry is where the server registers its metrics (and the Go and
	// process collectors); /metrics serves it. Share it to put other
	// components' metrics (the persistence outbox) on the same page.
	// Default: a new registry (never the global default).
	Registry *prometheus.Registry
}

// Listener is a transport listener of Config.Listeners.
type Listener struct {
	// Transport names the listener's transport in logs and metrics
	// ("mem", "kcp", "ws"). The public KCP address and WebSocket URL
	// derive from the server's own listeners, never from these.
	Transport string
	// Listener is the bound listener.
	Listener transport.Listener
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	defInt := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	defDur := func(p *time.Duration, v time.Duration) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.ServerID, "room-1")
	def(&c.Region, "local")
	def(&c.KCPAddr, "127.0.0.1:7000")
	def(&c.WSAddr, "127.0.0.1:7001")
	def(&c.AdminAddr, "127.0.0.1:7002")
	defInt(&c.ConnsPerIP, 64)
	defDur(&c.HelloTimeout, 3*time.Second)
	defInt(&c.PendingPerAddr, 8)
	defInt(&c.PendingPerPrefix, 32)
	defDur(&c.AdminReadTimeout, 10*time.Second)
	defDur(&c.AdminWriteTimeout, 2*time.Minute)
	defDur(&c.AdminIdleTimeout, 30*time.Second)
	defDur(&c.Heartbeat, 2*time.Second)
	defInt(&c.MaxRooms, 256)
	defInt(&c.MaxCatchUp, 4)
	defDur(&c.WaitDeadline, 60*time.Second)
	defDur(&c.DefaultGrace, 30*time.Second)
	defDur(&c.TicketTTL, 5*time.Minute)
	defInt(&c.InboxSize, 64)
	if c.InputsPerTick == 0 {
		c.InputsPerTick = 1.5
	}
	defInt(&c.InputBurst, 30)
	defInt(&c.FloodLimit, 150)
	defDur(&c.RateLimitBackoff, 2*time.Second)
	defInt(&c.SlowConsumerTicks, 60)
	defInt(&c.JoinQueue, 32)
	defInt(&c.ResultQueue, 1024)
	defDur(&c.ResultWait, 10*time.Second)
	defInt(&c.ResultWorkers, 4)
	defInt(&c.LogQueue, 4096)
	defDur(&c.SubmitRetry, 250*time.Millisecond)
	defDur(&c.DrainTimeout, 5*time.Minute)
	defDur(&c.FlushTimeout, 30*time.Second)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
	}
	return c
}

// Validate reports every problem with c (after defaults), joined.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for _, u := range c.LobbyURLs {
		if err := checkLobbyURL(u); err != nil {
			bad("lobby URL %q: %v", u, err)
		}
	}
	if len(c.TicketKey) < MinTicketKeyBytes {
		bad("ticket key: %d bytes, need at least %d", len(c.TicketKey), MinTicketKeyBytes)
	}
	if len(c.FleetSecret) < MinFleetSecretBytes {
		bad("fleet secret: %d bytes, need at least %d", len(c.FleetSecret), MinFleetSecretBytes)
	}
	switch len(c.KCPKey) {
	case 0, 16, 24, 32:
	default:
		bad("kcp key: %d bytes, need 16, 24 or 32 (or none)", len(c.KCPKey))
	}
	if c.KCPKeys != nil && len(c.KCPKey) == 0 {
		bad("kcp keys: a key ring without a kcp key (plaintext KCP has no keys)")
	}
	for i, l := range c.Listeners {
		if l.Listener == nil || l.Transport == "" {
			bad("listeners[%d]: need a listener and its transport name", i)
		}
	}
	if _, err := origin.Parse(c.AllowedOrigins); err != nil {
		bad("ws origins: %v", err)
	}
	// Mode names are checked against the content by New.
	for m, hz := range c.TickRates {
		if hz < 10 || hz > 120 {
			bad("tick rate for %s: %d Hz, need 10..120", m, hz)
		}
	}
	for m, g := range c.Grace {
		if g < 0 {
			bad("grace for %s is negative", m)
		}
	}
	positive := []struct {
		name string
		v    int64
	}{
		{"heartbeat", int64(c.Heartbeat)}, {"max rooms", int64(c.MaxRooms)},
		{"max catch-up", int64(c.MaxCatchUp)}, {"wait deadline", int64(c.WaitDeadline)},
		{"default grace", int64(c.DefaultGrace)}, {"ticket ttl", int64(c.TicketTTL)},
		{"inbox size", int64(c.InboxSize)}, {"input burst", int64(c.InputBurst)},
		{"flood limit", int64(c.FloodLimit)}, {"rate limit backoff", int64(c.RateLimitBackoff)},
		{"slow consumer ticks", int64(c.SlowConsumerTicks)},
		{"join queue", int64(c.JoinQueue)}, {"result queue", int64(c.ResultQueue)},
		{"log queue", int64(c.LogQueue)}, {"result wait", int64(c.ResultWait)},
		{"result workers", int64(c.ResultWorkers)},
		{"conns per ip", int64(c.ConnsPerIP)}, {"pending per addr", int64(c.PendingPerAddr)},
		{"pending per prefix", int64(c.PendingPerPrefix)}, {"hello timeout", int64(c.HelloTimeout)},
		{"admin read timeout", int64(c.AdminReadTimeout)}, {"admin write timeout", int64(c.AdminWriteTimeout)},
		{"admin idle timeout", int64(c.AdminIdleTimeout)},
		{"submit retry", int64(c.SubmitRetry)}, {"drain timeout", int64(c.DrainTimeout)},
		{"flush timeout", int64(c.FlushTimeout)},
	}
	for _, p := range positive {
		if p.v <= 0 {
			bad("%s must be positive", p.name)
		}
	}
	if c.InputsPerTick < 1 {
		bad("inputs per tick must be at least 1 (a client sends one input a tick)")
	}
	if c.Shards < 0 {
		bad("shards must not be negative")
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("server: config: %w", errors.Join(errs...))
}

// checkLobbyURL reports why u cannot be a lobby base URL for heartbeats.
func checkLobbyURL(u string) error {
	p, err := url.Parse(u)
	switch {
	case err != nil:
		return err
	case p.Scheme != "http" && p.Scheme != "https":
		return errors.New("scheme must be http or https")
	case p.Host == "" || p.Hostname() == "":
		return errors.New("no host")
	case p.RawQuery != "" || p.Fragment != "" || p.User != nil:
		return errors.New("no query, fragment or user info allowed")
	}
	return nil
}
