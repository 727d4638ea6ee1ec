package store

import (
	"context"
	"maps"
	"slices"
	"time"
)

// memFlags is the Memory store's flag state, guarded by Memory.mu.
type memFlags struct {
	defs  map[string][]byte
	audit []FlagChange // oldest first
}

func (m *Memory) flagAuditLocked(c FlagChange) {
	m.flags.audit = append(m.flags.audit, c)
	if n := len(m.flags.audit); n > FlagAuditCap {
		m.flags.audit = slices.Clone(m.flags.audit[n-FlagAuditCap:])
	}
}

// PutFlag implements Flags.
func (m *Memory) PutFlag(_ context.Context, key string, def []byte, actor string, at time.Time) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.flags.defs == nil {
		m.flags.defs = map[string][]byte{}
	}
	old := m.flags.defs[key]
	m.flags.defs[key] = slices.Clone(def)
	m.flagAuditLocked(FlagChange{Key: key, Actor: actor, At: at, Old: old, New: slices.Clone(def)})
	return slices.Clone(old), nil
}

// DeleteFlag implements Flags.
func (m *Memory) DeleteFlag(_ context.Context, key, actor string, at time.Time) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.flags.defs[key]
	if !ok {
		return nil, ErrNotFound
	}
	delete(m.flags.defs, key)
	m.flagAuditLocked(FlagChange{Key: key, Actor: actor, At: at, Old: old})
	return slices.Clone(old), nil
}

// AllFlags implements Flags.
func (m *Memory) AllFlags(context.Context) (map[string][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := maps.Clone(m.flags.defs)
	if out == nil {
		out = map[string][]byte{}
	}
	return out, nil
}

// FlagAudit implements Flags.
func (m *Memory) FlagAudit(_ context.Context, limit int) ([]FlagChange, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []FlagChange{}
	for i := len(m.flags.audit) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, m.flags.audit[i])
	}
	return out, nil
}
