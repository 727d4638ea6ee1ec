package server

import (
	"log/slog"
	"time"

	"github.com/pantheon-oracles/pantheon/netcode/transport"
)

// RoomState is where a room is in its life. Its String is the name the
// control API (GET /v1/rooms "state") and the pantheon_room_rooms{state}
// gauge use.
type RoomState uint32

// Room lifecycle states, in the order a room goes through them.
const (
	StateWaiting RoomState = iota // created; waiting for its players (up to Config.WaitDeadline)
	StateRunning                  // the simulation is ticking
	StateEnded                    // finished; its clients hear the end once the sink has the result
	numRoomStates
)

// String is the state's name on the wire and in metrics: "waiting",
// "running" or "ended".
func (s RoomState) String() string {
	switch s {
	case StateWaiting:
		return "waiting"
	case StateRunning:
		return "running"
	case StateEnded:
		return "ended"
	default:
		return "unknown"
	}
}

// roomEnv is everything a room reaches beyond itself: the configuration it
// runs under, where it logs and counts, where its result goes and how its
// host forgets it. The server builds one for all its rooms (Server.env);
// a test can build its own and construct, seat and step a room with no
// Server at all.
type roomEnv struct {
	cfg            roomConfig
	contentVersion string       // stamped on records whose sim did not say
	log            *slog.Logger // must not block: the room's goroutine logs
	metrics        *metrics
	drops          inputDrops
	ticks          *tickHist     // every tick's duration (the heartbeats' window)
	results        resultHandoff // where a finished room's record goes
	keys           *transport.KeyRing
	// now is the host's clock: rooms are stamped with it when created and
	// shards service rooms at it.
	now func() time.Time
	// forget is called on the room's goroutine once the room is finished
	// (its result handed on, its clients told): the host drops it.
	forget func(*room)
}

// roomConfig is the part of Config a room reads.
type roomConfig struct {
	serverID          string
	kcpKey            []byte // master key of sealed KCP; nil when plaintext
	joinQueue         int
	waitDeadline      time.Duration
	resultWait        time.Duration
	tickRates         map[string]int // read-only
	maxCatchUp        int
	slowConsumerTicks int
	grace             map[string]time.Duration // read-only
	defaultGrace      time.Duration
}

// roomConfigOf takes a room's part of cfg (after defaults).
func roomConfigOf(cfg Config) roomConfig {
	return roomConfig{
		serverID: cfg.ServerID, kcpKey: cfg.KCPKey, joinQueue: cfg.JoinQueue,
		waitDeadline: cfg.WaitDeadline, resultWait: cfg.ResultWait, tickRates: cfg.TickRates,
		maxCatchUp: cfg.MaxCatchUp, slowConsumerTicks: cfg.SlowConsumerTicks,
		grace: cfg.Grace, defaultGrace: cfg.DefaultGrace,
	}
}

// graceFor returns the seat-hold time for mode.
func (c roomConfig) graceFor(mode string) time.Duration {
	if g, ok := c.grace[mode]; ok {
		return g
	}
	return c.defaultGrace
}

// resultHandoff takes finished rooms' records without blocking (the
// server's resultQueue): offer reports false when it is full, and the room
// keeps its record and offers it again at its next service. Whoever takes
// a record tells its room how it went (queuedResult.tell).
type resultHandoff interface {
	offer(queuedResult) bool
}
