package lobby

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/pantheon-oracles/pantheon/internal/origin"
	"github.com/pantheon-oracles/pantheon/lobby/auth"
	"github.com/pantheon-oracles/pantheon/lobby/match"
	"github.com/pantheon-oracles/pantheon/lobby/store"
)

// Limits are the lobby's rate limits, each a token bucket (events per
// second, burst). They are kept in the state store, so replicas sharing
// Redis share them.
type Limits struct {
	// PerIP bounds every request from one client IP. Default 20/s, burst 40.
	PerIP store.Limit
	// LoginPerIP bounds logins and refreshes from one IP. Default 2/s, burst 10.
	LoginPerIP store.Limit
	// LoginPerAccount bounds logins and refreshes of one account (device id,
	// platform subject or session). Default 0.2/s, burst 5.
	LoginPerAccount store.Limit
	// FailuresPerIP bounds failed credentials from one IP; once exceeded the
	// IP is blocked from auth endpoints for FailureBlock. Default 0.1/s,
	// burst 10.
	FailuresPerIP store.Limit
	// FailureBlock is how long a brute-forcing IP is blocked. Default 1 minute.
	FailureBlock time.Duration
	// TicketsPerPlayer bounds ticket creations and cancels of one player.
	// Default 1/s, burst 5.
	TicketsPerPlayer store.Limit
}

// PushConfig configures the push channel (GET /v1/events).
type PushConfig struct {
	// SendQueue is each connection's send queue, in events; a connection
	// whose queue overflows is closed as a slow consumer. Default 32.
	SendQueue int
	// PingInterval is how often the server pings. Default 20 s.
	PingInterval time.Duration
	// PongWait closes a connection that sends nothing (no pong) for this
	// long. Default 45 s; must exceed PingInterval.
	PongWait time.Duration
	// WriteWait bounds each write. Default 5 s.
	WriteWait time.Duration
	// PerToken is the most push connections one access token's session
	// may hold open on this replica, PerPlayer the most for one player
	// across sessions; one more is refused with 429 rate_limited before
	// the upgrade. Defaults 2 and 4.
	PerToken, PerPlayer int
}

// Config is the lobby's configuration. Zero fields take the documented
// defaults; Validate reports values the lobby refuses.
type Config struct {
	// ReplicaID names this lobby replica in leases and logs. Default random.
	ReplicaID string
	// Auth configures access tokens (Key is required).
	Auth auth.Config
	// RefreshTTL is a refresh-token family's absolute lifetime. Default 30 days.
	RefreshTTL time.Duration
	// FleetSecret authenticates room servers (heartbeats) and the lobby to
	// them. Required, at least MinFleetSecretBytes bytes.
	FleetSecret string
	// HeartbeatTTL drops a room server that has not heartbeated for this
	// long. Default 6 s (three 2 s heartbeats).
	HeartbeatTTL time.Duration
	// TrustedProxies are the CIDRs whose X-Forwarded-For is believed. Empty:
	// the header is ignored and the peer address is the client.
	TrustedProxies []netip.Prefix
	// CORSOrigins are the browser origins allowed to call the API and open
	// the push channel from another origin (internal/origin syntax: "*",
	// an exact origin, or scheme://host:* for any port). Requests without
	// an Origin header and same-origin requests need no entry. Default
	// empty: cross-origin browser requests get 403 origin_not_allowed.
	CORSOrigins []string
	// MaxBodyBytes bounds request bodies. Default 64 KiB.
	MaxBodyBytes int64
	// MaxHeaderBytes bounds request headers (net/http answers 431). Default 16 KiB.
	MaxHeaderBytes int
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout are the HTTP
	// server's. Defaults 5 s, 10 s, 15 s, 60 s.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// ConnsPerIP caps the TCP connections one client IP may hold open on
	// the API port (push connections included); more are closed unread.
	// Trusted proxies are exempt. Default 256 (players behind one NAT
	// share an address); negative means no cap.
	ConnsPerIP int
	// UnavailableRetryAfter is the Retry-After sent with 503. Default 1 s.
	UnavailableRetryAfter time.Duration
	// Limits are the rate limits.
	Limits Limits
	// QueueCap is the most tickets one mode's queue holds; more get 429.
	// Default 50,000.
	QueueCap int
	// QueueFullRetryAfter is the Retry-After sent when a queue is full.
	// Default 5 s.
	QueueFullRetryAfter time.Duration
	// Policy is the matchmaker's policy. Default match.DefaultPolicy().
	Policy match.Policy
	// ModePolicies are the lobby-only rules of each mode's queue (party
	// size, hosts per team, a one-team mode's minimum and fill wait), keyed
	// by the content's mode id; the modes themselves, their teams and team
	// sizes, come from the content (Deps.Modes). A content mode without an
	// entry gets match.DefaultModePolicy; an entry naming a mode the content
	// lacks makes New fail. Nil means match.DefaultModePolicies() for the
	// modes the content has (content without one of those modes is fine).
	ModePolicies map[string]match.ModePolicy
	// PassInterval is the time between matchmaking passes of each mode.
	// Default 250 ms; negative disables the background loop (tests call Pass).
	PassInterval time.Duration
	// LeaseTTL is how long one replica owns a mode's passes. Default 5 s.
	LeaseTTL time.Duration
	// QueueStatusInterval is how often queued players get a queue_status
	// event. Default 5 s; negative disables periodic status.
	QueueStatusInterval time.Duration
	// AllocTimeout bounds one room creation call. Default 2 s.
	AllocTimeout time.Duration
	// AllocAttempts is how many servers a match tries before requeueing.
	// Default 3.
	AllocAttempts int
	// AllocWorkers is how many room allocations run at once per pass.
	// Default 8.
	AllocWorkers int
	// CapacityRetry is how long a mode's matchmaker holds its matches
	// after no room server could take one, while the registry's candidate
	// servers are unchanged, before it probes again with one match (doc.go,
	// "No room server"). A change of the candidates (a server appears or
	// frees a room) resumes placement at the next pass. Default 2 s.
	CapacityRetry time.Duration
	// LostCheck is how often the replica checks, 1,000 at a time, that
	// the state store still holds the tickets it created, telling players
	// of lost ones with ticket_lost (doc.go, "Lost queue state"). Default
	// 1 s.
	LostCheck time.Duration
	// AssignDeadline is how long a claimed ticket may wait for its room.
	// A ticket still matched after it (its replica died between claim and
	// assignment) is swept: requeued with its original enqueue time, or
	// failed when it is past the ticket TTL. Default 30 s; must exceed
	// AllocAttempts*AllocTimeout, the longest a live replica takes.
	AssignDeadline time.Duration
	// SweepInterval is the time between sweeps of each mode's stuck claims
	// by the background loop. Default 5 s.
	SweepInterval time.Duration
	// SweepBatch is the most stuck tickets one sweep of a mode settles.
	// Default 1000.
	SweepBatch int
	// TickBudgetMs is the tick p99 that counts as one unit of load when
	// ranking servers. Default 10 ms.
	TickBudgetMs float64
	// PlacementSlack is the band of scores, in load units (0.05 is 5% of
	// a server's capacity), within which servers count as near-equal and
	// one is drawn at random, weighted by free rooms (fleet.Placer).
	// Default fleet.DefaultSlack (0.05); negative: no random draw, the
	// best score first, ties by server id.
	PlacementSlack float64
	// ContentVersion, when set, only allocates on servers running it.
	ContentVersion string
	// MaxOracles is the largest roster a player may keep. Default 32.
	MaxOracles int
	// Push configures the push channel.
	Push PushConfig
	// DBTimeout bounds each read of ratings and rosters from the database;
	// a read that fails or takes longer is answered from the cache (doc.go,
	// "Database outages"). Default 300 ms.
	DBTimeout time.Duration
	// DBRetry is how long the lobby answers ratings and rosters from the
	// cache alone after a failed database read before it tries the
	// database again (one read per DBRetry probes while it is down).
	// Default 1 s.
	DBRetry time.Duration
	// HealthInterval is how often the lobby pings the state store and the
	// database (Deps.Database), each ping bounded by it too, to log an
	// outage once when it starts and once when it ends (doc.go, "Outage
	// logs"). Default 1 s.
	HealthInterval time.Duration
	// DBCacheEntries is the most entries each of the ratings cache (one
	// per mode and player) and the rosters cache (one per player) holds;
	// the least recently used go first. Default 100,000.
	DBCacheEntries int
}

// MinFleetSecretBytes is the shortest fleet secret accepted: 32 bytes, as
// from `head -c 32 /dev/urandom | base64`.
const MinFleetSecretBytes = 32

func lim(rate float64, burst int) store.Limit { return store.Limit{Rate: rate, Burst: burst} }

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	defLimit := func(l *store.Limit, v store.Limit) {
		if *l == (store.Limit{}) {
			*l = v
		}
	}
	if c.ReplicaID == "" {
		c.ReplicaID = auth.NewID("lobby-")
	}
	def(&c.RefreshTTL, 30*24*time.Hour)
	def(&c.HeartbeatTTL, 6*time.Second)
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 64 << 10
	}
	if c.MaxHeaderBytes == 0 {
		c.MaxHeaderBytes = 16 << 10
	}
	def(&c.ReadHeaderTimeout, 5*time.Second)
	def(&c.ReadTimeout, 10*time.Second)
	def(&c.WriteTimeout, 15*time.Second)
	def(&c.IdleTimeout, 60*time.Second)
	def(&c.UnavailableRetryAfter, time.Second)
	defLimit(&c.Limits.PerIP, lim(20, 40))
	defLimit(&c.Limits.LoginPerIP, lim(2, 10))
	defLimit(&c.Limits.LoginPerAccount, lim(0.2, 5))
	defLimit(&c.Limits.FailuresPerIP, lim(0.1, 10))
	def(&c.Limits.FailureBlock, time.Minute)
	defLimit(&c.Limits.TicketsPerPlayer, lim(1, 5))
	if c.QueueCap == 0 {
		c.QueueCap = 50_000
	}
	def(&c.QueueFullRetryAfter, 5*time.Second)
	if c.Policy == (match.Policy{}) {
		c.Policy = match.DefaultPolicy()
	}
	def(&c.PassInterval, 250*time.Millisecond)
	def(&c.LeaseTTL, 5*time.Second)
	def(&c.QueueStatusInterval, 5*time.Second)
	def(&c.AllocTimeout, 2*time.Second)
	if c.AllocAttempts == 0 {
		c.AllocAttempts = 3
	}
	if c.AllocWorkers == 0 {
		c.AllocWorkers = 8
	}
	def(&c.CapacityRetry, 2*time.Second)
	def(&c.LostCheck, time.Second)
	def(&c.AssignDeadline, 30*time.Second)
	def(&c.SweepInterval, 5*time.Second)
	if c.SweepBatch == 0 {
		c.SweepBatch = 1000
	}
	if c.TickBudgetMs == 0 {
		c.TickBudgetMs = 10
	}
	if c.MaxOracles == 0 {
		c.MaxOracles = 32
	}
	if c.Push.SendQueue == 0 {
		c.Push.SendQueue = 32
	}
	def(&c.Push.PingInterval, 20*time.Second)
	def(&c.Push.PongWait, 45*time.Second)
	def(&c.Push.WriteWait, 5*time.Second)
	if c.Push.PerToken == 0 {
		c.Push.PerToken = 2
	}
	if c.Push.PerPlayer == 0 {
		c.Push.PerPlayer = 4
	}
	if c.ConnsPerIP == 0 {
		c.ConnsPerIP = 256
	}
	def(&c.DBTimeout, 300*time.Millisecond)
	def(&c.DBRetry, time.Second)
	def(&c.HealthInterval, time.Second)
	if c.DBCacheEntries == 0 {
		c.DBCacheEntries = 100_000
	}
	return c
}

// Validate reports a configuration New refuses.
func (c Config) Validate() error {
	c = c.withDefaults()
	if err := c.Auth.Validate(); err != nil {
		return fmt.Errorf("lobby: config: %w", err)
	}
	if err := c.Policy.Validate(); err != nil {
		return fmt.Errorf("lobby: config: %w", err)
	}
	if _, err := origin.Parse(c.CORSOrigins); err != nil {
		return fmt.Errorf("lobby: config: cors origins: %w", err)
	}
	for name, l := range map[string]store.Limit{"per_ip": c.Limits.PerIP, "login_per_ip": c.Limits.LoginPerIP,
		"login_per_account": c.Limits.LoginPerAccount, "failures_per_ip": c.Limits.FailuresPerIP, "tickets_per_player": c.Limits.TicketsPerPlayer} {
		if l.Rate <= 0 || l.Burst < 1 {
			return fmt.Errorf("lobby: config: limit %s needs rate > 0 and burst >= 1", name)
		}
	}
	switch {
	case len(c.FleetSecret) < MinFleetSecretBytes:
		return fmt.Errorf("lobby: config: fleet secret of at least %d bytes is required", MinFleetSecretBytes)
	case c.RefreshTTL < time.Minute || c.HeartbeatTTL < time.Second:
		return errors.New("lobby: config: refresh TTL >= 1m and heartbeat TTL >= 1s")
	case c.MaxBodyBytes < 1024 || c.MaxHeaderBytes < 4096:
		return errors.New("lobby: config: max body >= 1 KiB and max header >= 4 KiB")
	case c.QueueCap < 1 || c.AllocAttempts < 1 || c.AllocWorkers < 1 || c.MaxOracles < 1 || c.TickBudgetMs <= 0:
		return errors.New("lobby: config: queue cap, alloc attempts, alloc workers, max oracles and tick budget must be positive")
	case c.LeaseTTL < 100*time.Millisecond || c.AllocTimeout <= 0 || c.CapacityRetry <= 0 || c.LostCheck <= 0:
		return errors.New("lobby: config: lease TTL >= 100ms, alloc timeout > 0, capacity retry > 0 and lost check > 0")
	case c.AssignDeadline <= time.Duration(c.AllocAttempts)*c.AllocTimeout:
		return fmt.Errorf("lobby: config: assign deadline %v must exceed alloc attempts x alloc timeout (%v)",
			c.AssignDeadline, time.Duration(c.AllocAttempts)*c.AllocTimeout)
	case c.SweepInterval <= 0 || c.SweepBatch < 1:
		return errors.New("lobby: config: sweep interval > 0 and sweep batch >= 1")
	case c.Push.SendQueue < 1 || c.Push.PongWait <= c.Push.PingInterval || c.Push.WriteWait <= 0:
		return errors.New("lobby: config: push send queue >= 1, pong wait > ping interval, write wait > 0")
	case c.Push.PerToken < 1 || c.Push.PerPlayer < c.Push.PerToken:
		return errors.New("lobby: config: push connections per token >= 1 and per player >= per token")
	case c.DBTimeout <= 0 || c.DBRetry < 0 || c.DBCacheEntries < 1 || c.HealthInterval <= 0:
		return errors.New("lobby: config: db timeout > 0, db retry >= 0, db cache entries >= 1 and health interval > 0")
	}
	return nil
}
