package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/redis/go-redis/v9"
)

// RedisConfig configures a Redis store.
type RedisConfig struct {
	// URL is the Redis URL, e.g. redis://127.0.0.1:6379/0. Required.
	URL string
	// Prefix starts every key and channel name, so several deployments (or
	// tests) can share one Redis. Default "pantheon:".
	Prefix string
	// DialTimeout bounds connecting. Default 250 ms.
	DialTimeout time.Duration
	// IOTimeout bounds each read and write. Default 500 ms.
	IOTimeout time.Duration
	// Retention keeps ticket records readable after their last change; it
	// must exceed the matchmaker's ticket TTL. Default 10 minutes.
	Retention time.Duration
	// SubscriberBuffer is each subscription's buffer, in payloads; a full
	// buffer drops new payloads for that subscriber. Default 64.
	SubscriberBuffer int
}

// Validate reports a config NewRedis cannot use.
func (c RedisConfig) Validate() error {
	if c.URL == "" {
		return errors.New("store: redis: URL is required")
	}
	if _, err := redis.ParseURL(c.URL); err != nil {
		return fmt.Errorf("store: redis: %w", err)
	}
	if c.DialTimeout < 0 || c.IOTimeout < 0 || c.Retention < 0 || c.SubscriberBuffer < 0 {
		return errors.New("store: redis: timeouts, retention and buffer must not be negative")
	}
	return nil
}

func (c RedisConfig) withDefaults() RedisConfig {
	if c.Prefix == "" {
		c.Prefix = "pantheon:"
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = 250 * time.Millisecond
	}
	if c.IOTimeout == 0 {
		c.IOTimeout = 500 * time.Millisecond
	}
	if c.Retention == 0 {
		c.Retention = 10 * time.Minute
	}
	if c.SubscriberBuffer == 0 {
		c.SubscriberBuffer = 64
	}
	return c
}

// Redis is the Store shared by lobby replicas. It does not need Redis to be
// up when created: every call fails fast with ErrUnavailable while Redis is
// down and works again once it is back.
type Redis struct {
	cfg RedisConfig
	rdb *redis.Client
	hub *redisHub
}

// NewRedis returns a Redis store for cfg (after Validate).
func NewRedis(cfg RedisConfig) (*Redis, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	opt, _ := redis.ParseURL(cfg.URL)
	opt.DialTimeout = cfg.DialTimeout
	opt.ReadTimeout = cfg.IOTimeout
	opt.WriteTimeout = cfg.IOTimeout
	opt.PoolTimeout = cfg.IOTimeout
	opt.MaxRetries = 1
	opt.MinRetryBackoff = 8 * time.Millisecond
	opt.MaxRetryBackoff = 32 * time.Millisecond
	opt.DialerRetries = 1
	opt.DialerRetryTimeout = 10 * time.Millisecond
	opt.DisableIdentity = true
	r := &Redis{cfg: cfg, rdb: redis.NewClient(opt)}
	r.hub = newRedisHub(r.rdb, cfg.Prefix+"ev:", cfg.SubscriberBuffer, cfg.IOTimeout)
	return r, nil
}

// unavailable wraps a Redis error as ErrUnavailable.
func unavailable(op string, err error) error {
	return fmt.Errorf("redis %s: %w (%w)", op, ErrUnavailable, err)
}

func (r *Redis) key(parts ...string) string {
	return r.cfg.Prefix + strings.Join(parts, "")
}

// redisRecord is a TicketRecord as stored (state kept beside it).
type redisRecord struct {
	ID         string    `json:"id"`
	Mode       string    `json:"mode"`
	PlayerIDs  []string  `json:"players"`
	EnqueuedAt time.Time `json:"enq"`
	Data       []byte    `json:"data"`
}

// Enqueue implements Queues.
func (r *Redis) Enqueue(ctx context.Context, rec TicketRecord, maxLen int) error {
	enc, err := json.Marshal(redisRecord{ID: rec.ID, Mode: rec.Mode, PlayerIDs: rec.PlayerIDs, EnqueuedAt: rec.EnqueuedAt, Data: rec.Data})
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", rec.ID, err)
	}
	keys := []string{r.key("q:", rec.Mode), r.key("t:", rec.ID)}
	for _, p := range rec.PlayerIDs {
		keys = append(keys, r.key("pl:", p))
	}
	n, err := enqueueScript.Run(ctx, r.rdb, keys, maxLen, rec.ID, enc, r.cfg.Retention.Milliseconds(), rec.Mode).Int()
	switch {
	case err != nil:
		return unavailable("enqueue", err)
	case n == -1:
		return fmt.Errorf("enqueue %s: %s: %w", rec.ID, rec.Mode, ErrQueueFull)
	case n == -2:
		return fmt.Errorf("enqueue %s: %w", rec.ID, ErrAlreadyQueued)
	case n == -3:
		return fmt.Errorf("enqueue %s: id exists: %w", rec.ID, ErrStateConflict)
	}
	return nil
}

func decodeRecord(enc string) (TicketRecord, error) {
	var rr redisRecord
	if err := json.Unmarshal([]byte(enc), &rr); err != nil {
		return TicketRecord{}, err
	}
	return TicketRecord{ID: rr.ID, Mode: rr.Mode, PlayerIDs: rr.PlayerIDs, EnqueuedAt: rr.EnqueuedAt, Data: rr.Data, State: StateQueued}, nil
}

// Ticket implements Queues.
func (r *Redis) Ticket(ctx context.Context, id string) (TicketRecord, error) {
	h, err := r.rdb.HGetAll(ctx, r.key("t:", id)).Result()
	if err != nil {
		return TicketRecord{}, unavailable("ticket", err)
	}
	if len(h) == 0 {
		return TicketRecord{}, fmt.Errorf("ticket %s: %w", id, ErrNotFound)
	}
	rec, err := decodeRecord(h["rec"])
	if err != nil {
		return TicketRecord{}, fmt.Errorf("ticket %s: decode: %w", id, err)
	}
	rec.State, rec.MatchID, rec.Reason, rec.Outcome = TicketState(h["state"]), h["match"], h["reason"], contract.Outcome(h["outcome"])
	if a := h["assign"]; a != "" {
		rec.Assignment = []byte(a)
	}
	if c := h["claimed"]; c != "" {
		ms, err := strconv.ParseInt(c, 10, 64)
		if err != nil {
			return TicketRecord{}, fmt.Errorf("ticket %s: decode claim time: %w", id, err)
		}
		rec.ClaimedAt = time.UnixMilli(ms).UTC()
	}
	return rec, nil
}

// PlayerTicket implements Queues.
func (r *Redis) PlayerTicket(ctx context.Context, player string) (string, error) {
	id, err := r.rdb.Get(ctx, r.key("pl:", player)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", unavailable("player ticket", err)
	}
	return id, nil
}

// Queued implements Queues.
func (r *Redis) Queued(ctx context.Context, mode string) ([]TicketRecord, error) {
	h, err := r.rdb.HGetAll(ctx, r.key("q:", mode)).Result()
	if err != nil {
		return nil, unavailable("queued", err)
	}
	out := make([]TicketRecord, 0, len(h))
	for id, enc := range h {
		rec, err := decodeRecord(enc)
		if err != nil {
			return nil, fmt.Errorf("queued %s: decode %s: %w", mode, id, err)
		}
		out = append(out, rec)
	}
	return out, nil
}

// QueueLen implements Queues.
func (r *Redis) QueueLen(ctx context.Context, mode string) (int, error) {
	n, err := r.rdb.HLen(ctx, r.key("q:", mode)).Result()
	if err != nil {
		return 0, unavailable("queue length", err)
	}
	return int(n), nil
}

// Claim implements Queues. The claim time is kept to the millisecond.
func (r *Redis) Claim(ctx context.Context, mode, matchID string, ids []string, claimedAt time.Time) (bool, error) {
	keys := []string{r.key("q:", mode), r.key("mt:", mode)}
	args := []any{matchID, r.cfg.Retention.Milliseconds(), claimedAt.UnixMilli()}
	for _, id := range ids {
		keys = append(keys, r.key("t:", id))
		args = append(args, id)
	}
	n, err := claimScript.Run(ctx, r.rdb, keys, args...).Int()
	if err != nil {
		return false, unavailable("claim", err)
	}
	return n == 1, nil
}

// Settle implements Queues.
func (r *Redis) Settle(ctx context.Context, id, matchID string, out Outcome) error {
	if out.State == StateMatched {
		return fmt.Errorf("ticket %s: settle to %s: %w", id, out.State, ErrBadTransition)
	}
	n, err := settleScript.Run(ctx, r.rdb, []string{r.key("t:", id)},
		matchID, out.State.String(), string(out.Assignment), out.Reason, r.cfg.Retention.Milliseconds(), r.cfg.Prefix, id).Int()
	return moveResult("settle", id, n, err, "not matched under "+strconv.Quote(matchID))
}

// moveResult translates the answer of the transition and settle scripts:
// -1 for an unknown ticket, -2 for one not in the expected state
// (described by conflict), 0 for done.
func moveResult(op, id string, n int, err error, conflict string) error {
	switch {
	case err != nil:
		return unavailable(op, err)
	case n == -1:
		return fmt.Errorf("ticket %s: %w", id, ErrNotFound)
	case n == -2:
		return fmt.Errorf("ticket %s: %s: %w", id, conflict, ErrStateConflict)
	}
	return nil
}

// Stuck implements Queues from the mode's claimed index (a sorted set
// scored by claim time), dropping entries whose record has expired.
func (r *Redis) Stuck(ctx context.Context, mode string, claimedBefore time.Time, limit int) ([]TicketRecord, error) {
	if limit <= 0 {
		return nil, nil
	}
	idx := r.key("mt:", mode)
	ids, err := r.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{
		Key: idx, Start: "-inf", Stop: "(" + strconv.FormatInt(claimedBefore.UnixMilli(), 10),
		ByScore: true, Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, unavailable("stuck", err)
	}
	var out []TicketRecord
	var gone []string
	for _, id := range ids {
		rec, err := r.Ticket(ctx, id)
		switch {
		case errors.Is(err, ErrNotFound):
			gone = append(gone, id)
		case err != nil:
			return nil, err
		case rec.State == StateMatched:
			out = append(out, rec)
		}
	}
	if len(gone) > 0 {
		keys := []string{idx}
		args := make([]any, len(gone))
		for i, id := range gone {
			keys = append(keys, r.key("t:", id))
			args[i] = id
		}
		if err := stuckCleanScript.Run(ctx, r.rdb, keys, args...).Err(); err != nil {
			return nil, unavailable("stuck", err)
		}
	}
	return out, nil
}

// Transition implements Queues.
func (r *Redis) Transition(ctx context.Context, id string, from, to TicketState, assignment []byte) error {
	if to == StateMatched {
		return fmt.Errorf("ticket %s: transition to %s: %w", id, to, ErrBadTransition)
	}
	n, err := transitionScript.Run(ctx, r.rdb, []string{r.key("t:", id)},
		from.String(), to.String(), string(assignment), r.cfg.Retention.Milliseconds(), r.cfg.Prefix, id).Int()
	return moveResult("transition", id, n, err, "not "+from.String())
}

// States implements Queues with one pipeline of HGETs.
func (r *Redis) States(ctx context.Context, ids []string) ([]TicketState, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	pipe := r.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGet(ctx, r.key("t:", id), "state")
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, unavailable("states", err)
	}
	out := make([]TicketState, len(ids))
	for i, c := range cmds {
		v, err := c.Result()
		switch {
		case errors.Is(err, redis.Nil):
		case err != nil:
			return nil, unavailable("states", err)
		default:
			out[i] = TicketState(v)
		}
	}
	return out, nil
}

// EndTicket implements Queues.
func (r *Redis) EndTicket(ctx context.Context, id, matchID string, outcome contract.Outcome, reason string) error {
	n, err := endScript.Run(ctx, r.rdb, []string{r.key("t:", id)},
		matchID, outcome.String(), reason, r.cfg.Retention.Milliseconds(), r.cfg.Prefix, id).Int()
	return moveResult("end ticket", id, n, err, "not assigned to "+matchID)
}

// Revoke implements Revocations.
func (r *Redis) Revoke(ctx context.Context, session string, ttl time.Duration) error {
	if err := r.rdb.Set(ctx, r.key("rev:", session), "1", ttl).Err(); err != nil {
		return unavailable("revoke", err)
	}
	return nil
}

// Revoked implements Revocations.
func (r *Redis) Revoked(ctx context.Context, session string) (bool, error) {
	n, err := r.rdb.Exists(ctx, r.key("rev:", session)).Result()
	if err != nil {
		return false, unavailable("revoked", err)
	}
	return n == 1, nil
}

// RevokePlayer implements Revocations; the cutoff is kept to the
// microsecond.
func (r *Redis) RevokePlayer(ctx context.Context, player string, before time.Time, ttl time.Duration) error {
	if err := revokePlayerScript.Run(ctx, r.rdb, []string{r.key("revp:", player)}, before.UnixMicro(), ttl.Milliseconds()).Err(); err != nil {
		return unavailable("revoke player", err)
	}
	return nil
}

// Revocation implements Revocations with one MGET.
func (r *Redis) Revocation(ctx context.Context, session, player string) (Revocation, error) {
	vals, err := r.rdb.MGet(ctx, r.key("rev:", session), r.key("revp:", player)).Result()
	if err != nil {
		return Revocation{}, unavailable("revocation", err)
	}
	var rv Revocation
	rv.Session = vals[0] != nil
	if s, ok := vals[1].(string); ok {
		us, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return Revocation{}, fmt.Errorf("revocation of %s: decode cutoff: %w", player, err)
		}
		rv.Before = time.UnixMicro(us).UTC()
	}
	return rv, nil
}

// Allow implements Limiter with a GCRA script, so every replica draws from
// the same bucket. Replicas' clocks should agree to within the emission
// interval.
func (r *Redis) Allow(ctx context.Context, key string, l Limit, now time.Time) (bool, time.Duration, error) {
	if l.Rate <= 0 || l.Burst <= 0 {
		return false, time.Second, nil
	}
	interval := float64(time.Second/time.Microsecond) / l.Rate
	res, err := limitScript.Run(ctx, r.rdb, []string{r.key("rl:", key)}, now.UnixMicro(), strconv.FormatFloat(interval, 'f', 3, 64), l.Burst).Slice()
	if err != nil {
		return false, 0, unavailable("rate limit", err)
	}
	if ok, _ := res[0].(int64); ok == 1 {
		return true, 0, nil
	}
	s, _ := res[1].(string)
	us, _ := strconv.ParseInt(s, 10, 64)
	return false, time.Duration(us) * time.Microsecond, nil
}

// redisServer is a ServerRecord as stored.
type redisServer struct {
	ExpiresAt time.Time `json:"exp"`
	Data      []byte    `json:"data"`
}

// PutServer implements Registry: the record, its round and the reset of
// its placed count change in one script (putServerScript).
func (r *Redis) PutServer(ctx context.Context, rec ServerRecord) error {
	enc, err := json.Marshal(redisServer{ExpiresAt: rec.ExpiresAt, Data: rec.Data})
	if err != nil {
		return fmt.Errorf("put server %s: %w", rec.ID, err)
	}
	keys := []string{r.key("srv"), r.key("srvn"), r.key("srvseq")}
	if err := putServerScript.Run(ctx, r.rdb, keys, rec.ID, enc, strconv.FormatUint(rec.Seq, 10)).Err(); err != nil {
		return unavailable("put server", err)
	}
	return nil
}

// AddPlaced implements Registry with HINCRBY.
func (r *Redis) AddPlaced(ctx context.Context, id string) error {
	if err := r.rdb.HIncrBy(ctx, r.key("srvn"), id, 1).Err(); err != nil {
		return unavailable("add placed", err)
	}
	return nil
}

// Servers implements Registry. Entries expired for over an hour are
// deleted on the way.
func (r *Redis) Servers(ctx context.Context, now time.Time) ([]ServerRecord, error) {
	var recs, placed *redis.MapStringStringCmd
	if _, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		recs = p.HGetAll(ctx, r.key("srv"))
		placed = p.HGetAll(ctx, r.key("srvn"))
		return nil
	}); err != nil {
		return nil, unavailable("servers", err)
	}
	h, n := recs.Val(), placed.Val()
	var out []ServerRecord
	var stale []string
	for id, enc := range h {
		var s redisServer
		if err := json.Unmarshal([]byte(enc), &s); err != nil {
			return nil, fmt.Errorf("servers: decode %s: %w", id, err)
		}
		if s.ExpiresAt.After(now) {
			c, _ := strconv.Atoi(n[id])
			out = append(out, ServerRecord{ID: id, ExpiresAt: s.ExpiresAt, Data: s.Data, Placed: c})
		} else if now.Sub(s.ExpiresAt) > time.Hour {
			stale = append(stale, id)
		}
	}
	if len(stale) > 0 {
		if _, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range []string{"srv", "srvn", "srvseq"} {
				p.HDel(ctx, r.key(k), stale...)
			}
			return nil
		}); err != nil {
			return nil, unavailable("servers", err)
		}
	}
	slices.SortFunc(out, func(a, b ServerRecord) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Lease implements Leases.
func (r *Redis) Lease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	n, err := leaseScript.Run(ctx, r.rdb, []string{r.key("lease:", name)}, owner, ttl.Milliseconds()).Int()
	if err != nil {
		return false, unavailable("lease", err)
	}
	return n == 1, nil
}

// Publish implements Events with Redis PUBLISH.
func (r *Redis) Publish(ctx context.Context, topic string, payload []byte) error {
	if err := r.rdb.Publish(ctx, r.cfg.Prefix+"ev:"+topic, payload).Err(); err != nil {
		return unavailable("publish", err)
	}
	return nil
}

// Subscribe implements Events over one shared Redis subscription per store.
// Payloads published while Redis is unreachable are lost; the subscription
// resumes when it is back.
func (r *Redis) Subscribe(ctx context.Context, topic string) (Subscription, error) {
	return r.hub.subscribe(ctx, topic)
}

// Ping implements Store.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.rdb.Ping(ctx).Err(); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// Close implements Store: it stops the subscription and closes the client.
func (r *Redis) Close() error {
	r.hub.close()
	return r.rdb.Close()
}

var _ Store = (*Redis)(nil)
