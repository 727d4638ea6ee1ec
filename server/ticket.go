package server

import (
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Ticket errors. The edge maps each to a wire error code (see wireCode).
var (
	// ErrTicketInvalid: the token is malformed, signed with another key or
	// with an algorithm other than HS256 (alg=none included), or is of the
	// wrong kind (a resume token presented as a join ticket or vice versa).
	ErrTicketInvalid = errors.New("server: ticket invalid")
	// ErrTicketExpired: the token's expiry has passed.
	ErrTicketExpired = errors.New("server: ticket expired")
	// ErrTicketWrongRoom: the token names a room this server does not host.
	ErrTicketWrongRoom = errors.New("server: ticket for another room")
	// ErrTicketReused: the token was already redeemed once.
	ErrTicketReused = errors.New("server: ticket already used")
)

// KindJoin is the kind of a join ticket: it admits one player to one seat
// of one room, once. (Resume tokens are not JWTs: netcode caps them at
// netcode.MaxResumeToken bytes, so a room hands out opaque one-time random
// tokens it checks itself; see seat.go.)
const KindJoin = "join"

// ticketAlg is the only signing algorithm accepted. The parser is given this
// explicit allow-list, so alg=none, RS*/ES* confusion and every other
// algorithm is refused before the signature is even looked at.
const ticketAlg = "HS256"

// MinTicketKeyBytes is the shortest ticket signing key accepted.
const MinTicketKeyBytes = 32

// TicketClaims is what a join ticket asserts.
type TicketClaims struct {
	Kind string `json:"knd"` // KindJoin
	Room string `json:"rid"` // room id
	Seat int    `json:"seat"`
	jwt.RegisteredClaims
}

// Player is the player id the ticket admits (the JWT subject).
func (c TicketClaims) Player() string { return c.Subject }

// Tickets signs and redeems join tickets (HS256 JWTs) and
// remembers redeemed ids until they expire, so each token is accepted at
// most once. It is safe for concurrent use.
type Tickets struct {
	key    []byte
	parser *jwt.Parser

	mu       sync.Mutex
	used     map[string]time.Time // jti -> expiry; entries past expiry are pruned
	lastPrun time.Time
}

// NewTickets returns a ticket authority signing with key, which must be at
// least MinTicketKeyBytes long.
func NewTickets(key []byte) (*Tickets, error) {
	if len(key) < MinTicketKeyBytes {
		return nil, fmt.Errorf("server: ticket key is %d bytes, need at least %d", len(key), MinTicketKeyBytes)
	}
	return &Tickets{
		key: append([]byte(nil), key...),
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{ticketAlg}),
			jwt.WithExpirationRequired(),
			jwt.WithoutClaimsValidation(), // expiry is checked against the caller's now
		),
		used: make(map[string]time.Time),
	}, nil
}

// Issue signs a token of kind for (room, seat, player) valid until now+ttl,
// with a fresh random id.
func (t *Tickets) Issue(kind, room string, seat int, player string, now time.Time, ttl time.Duration) (token string, expires time.Time, err error) {
	expires = now.Add(ttl).Truncate(time.Second)
	claims := TicketClaims{
		Kind: kind,
		Room: room,
		Seat: seat,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   player,
			ID:        rand.Text(),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(expires),
		},
	}
	token, err = jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("server: sign ticket: %w", err)
	}
	return token, expires, nil
}

// Check verifies token's signature, algorithm, kind and expiry at now
// without redeeming it.
func (t *Tickets) Check(token, kind string, now time.Time) (TicketClaims, error) {
	c, err := t.CheckIgnoringExpiry(token, kind)
	if err != nil {
		return TicketClaims{}, err
	}
	if c.ExpiresAt == nil || !now.Before(c.ExpiresAt.Time) {
		return TicketClaims{}, ErrTicketExpired
	}
	return c, nil
}

// CheckIgnoringExpiry verifies token's signature, algorithm and kind but
// not its expiry: a resume names its seat with the (long since redeemed,
// possibly expired) join ticket, and the room's one-time resume token is
// what proves the session.
func (t *Tickets) CheckIgnoringExpiry(token, kind string) (TicketClaims, error) {
	var c TicketClaims
	_, err := t.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.key, nil })
	if err != nil {
		return TicketClaims{}, fmt.Errorf("%w: %v", ErrTicketInvalid, err)
	}
	if c.Kind != kind || c.ID == "" || c.Room == "" || c.Subject == "" || c.Seat < 0 {
		return TicketClaims{}, fmt.Errorf("%w: kind %q, want %q", ErrTicketInvalid, c.Kind, kind)
	}
	return c, nil
}

// Redeem checks token like Check and then marks its id used; a second
// Redeem of the same token returns ErrTicketReused. Room matching is the
// caller's business (it knows which rooms exist).
func (t *Tickets) Redeem(token, kind string, now time.Time) (TicketClaims, error) {
	c, err := t.Check(token, kind, now)
	if err != nil {
		return TicketClaims{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pruneLocked(now)
	if _, ok := t.used[c.ID]; ok {
		return TicketClaims{}, ErrTicketReused
	}
	t.used[c.ID] = c.ExpiresAt.Time
	return c, nil
}

// pruneLocked forgets redeemed ids whose tokens have expired (they can no
// longer pass Check), at most once a second. t.mu must be held.
func (t *Tickets) pruneLocked(now time.Time) {
	if now.Sub(t.lastPrun) < time.Second {
		return
	}
	t.lastPrun = now
	for id, exp := range t.used {
		if !now.Before(exp) {
			delete(t.used, id)
		}
	}
}
