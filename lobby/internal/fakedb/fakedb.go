package fakedb

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/persistence"
)

// DB is the fake store. It is safe for concurrent use.
type DB struct {
	down atomic.Bool

	mu         sync.Mutex
	nextID     int
	players    map[string]persistence.Player
	identities map[string]persistence.Identity // provider|subject
	families   map[string]persistence.RefreshFamily
	oracles    map[string]map[string]contract.Oracle
	ratings    map[string]persistence.Rating // mode|player
}

// New returns an empty DB.
func New() *DB {
	return &DB{
		players:    map[string]persistence.Player{},
		identities: map[string]persistence.Identity{},
		families:   map[string]persistence.RefreshFamily{},
		oracles:    map[string]map[string]contract.Oracle{},
		ratings:    map[string]persistence.Rating{},
	}
}

// SetDown makes every call fail with persistence.ErrUnavailable (or stop).
func (d *DB) SetDown(down bool) { d.down.Store(down) }

func (d *DB) check() error {
	if d.down.Load() {
		return fmt.Errorf("fakedb: %w", persistence.ErrUnavailable)
	}
	return nil
}

// LoginIdentity implements persistence.Accounts.
func (d *DB) LoginIdentity(_ context.Context, provider, subject, name string) (persistence.Player, bool, error) {
	if err := d.check(); err != nil {
		return persistence.Player{}, false, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if id, ok := d.identities[provider+"|"+subject]; ok {
		return d.players[id.PlayerID], false, nil
	}
	d.nextID++
	p := persistence.Player{ID: fmt.Sprintf("p_%d", d.nextID), DisplayName: name, CreatedAt: time.Now().UTC()}
	d.players[p.ID] = p
	d.identities[provider+"|"+subject] = persistence.Identity{Provider: provider, Subject: subject, PlayerID: p.ID, LinkedAt: p.CreatedAt}
	return p, true, nil
}

// LinkIdentity implements persistence.Accounts.
func (d *DB) LinkIdentity(_ context.Context, playerID, provider, subject string) error {
	if err := d.check(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.players[playerID]; !ok {
		return persistence.ErrNotFound
	}
	if id, ok := d.identities[provider+"|"+subject]; ok {
		if id.PlayerID == playerID {
			return nil
		}
		return persistence.ErrIdentityTaken
	}
	d.identities[provider+"|"+subject] = persistence.Identity{Provider: provider, Subject: subject, PlayerID: playerID, LinkedAt: time.Now().UTC()}
	return nil
}

// Identities implements persistence.Accounts.
func (d *DB) Identities(_ context.Context, playerID string) ([]persistence.Identity, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []persistence.Identity
	for _, id := range d.identities {
		if id.PlayerID == playerID {
			out = append(out, id)
		}
	}
	slices.SortFunc(out, func(a, b persistence.Identity) int {
		if c := a.LinkedAt.Compare(b.LinkedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Provider+a.Subject, b.Provider+b.Subject)
	})
	return out, nil
}

// Player implements persistence.Accounts.
func (d *DB) Player(_ context.Context, playerID string) (persistence.Player, error) {
	if err := d.check(); err != nil {
		return persistence.Player{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.players[playerID]
	if !ok {
		return persistence.Player{}, persistence.ErrNotFound
	}
	return p, nil
}

// CreateRefreshFamily implements persistence.RefreshTokens.
func (d *DB) CreateRefreshFamily(_ context.Context, f persistence.RefreshFamily) error {
	if err := d.check(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.families[f.ID] = f
	return nil
}

// RotateRefresh implements persistence.RefreshTokens.
func (d *DB) RotateRefresh(_ context.Context, id string, presented, next []byte, now time.Time) (persistence.RefreshFamily, error) {
	if err := d.check(); err != nil {
		return persistence.RefreshFamily{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	f, ok := d.families[id]
	switch {
	case !ok:
		return persistence.RefreshFamily{}, persistence.ErrNotFound
	case !f.RevokedAt.IsZero() || !now.Before(f.ExpiresAt):
		return f, persistence.ErrRevoked
	case !bytes.Equal(f.CurrentHash, presented):
		f.RevokedAt = now
		d.families[id] = f
		return f, persistence.ErrRefreshReused
	}
	f.CurrentHash = slices.Clone(next)
	f.Generation++
	d.families[id] = f
	return f, nil
}

// RevokeFamily implements persistence.RefreshTokens.
func (d *DB) RevokeFamily(_ context.Context, id string, now time.Time) error {
	if err := d.check(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if f, ok := d.families[id]; ok && f.RevokedAt.IsZero() {
		f.RevokedAt = now
		d.families[id] = f
	}
	return nil
}

// RevokePlayerFamilies implements persistence.RefreshTokens.
func (d *DB) RevokePlayerFamilies(_ context.Context, playerID string, now time.Time) error {
	if err := d.check(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for id, f := range d.families {
		if f.PlayerID == playerID && f.RevokedAt.IsZero() {
			f.RevokedAt = now
			d.families[id] = f
		}
	}
	return nil
}

// PlayerFamilies implements persistence.RefreshTokens.
func (d *DB) PlayerFamilies(_ context.Context, playerID string, now time.Time, limit int) ([]persistence.RefreshFamily, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []persistence.RefreshFamily
	for _, f := range d.families {
		if f.PlayerID == playerID && now.Before(f.ExpiresAt) {
			f.CurrentHash = nil
			out = append(out, f)
		}
	}
	return persistence.NewestFamilies(out, limit), nil
}

// Oracles implements persistence.Rosters.
func (d *DB) Oracles(_ context.Context, playerID string) ([]contract.Oracle, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []contract.Oracle
	for _, o := range d.oracles[playerID] {
		o.Loadout = slices.Clone(o.Loadout)
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b contract.Oracle) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// SaveOracle implements persistence.Rosters.
func (d *DB) SaveOracle(_ context.Context, o contract.Oracle) error {
	if err := d.check(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.oracles[o.PlayerID] == nil {
		d.oracles[o.PlayerID] = map[string]contract.Oracle{}
	}
	o.Loadout = slices.Clone(o.Loadout)
	d.oracles[o.PlayerID][o.ID] = o
	return nil
}

// DeleteOracle implements persistence.Rosters.
func (d *DB) DeleteOracle(_ context.Context, playerID, oracleID string) error {
	if err := d.check(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.oracles[playerID][oracleID]; !ok {
		return persistence.ErrNotFound
	}
	delete(d.oracles[playerID], oracleID)
	return nil
}

// SetRating stores a player's rating in a mode.
func (d *DB) SetRating(r persistence.Rating) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ratings[r.Mode+"|"+r.PlayerID] = r
}

// Ratings implements persistence.Ratings; unknown players get Mu 25,
// Sigma 25/3, Matches 0.
func (d *DB) Ratings(_ context.Context, mode string, ids []string) ([]persistence.Rating, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]persistence.Rating, len(ids))
	for i, id := range ids {
		r, ok := d.ratings[mode+"|"+id]
		if !ok {
			r = persistence.Rating{PlayerID: id, Mode: mode, Mu: 25, Sigma: 25.0 / 3}
		}
		out[i] = r
	}
	return out, nil
}
