package store

import (
	"context"
	"time"
)

// FlagChange is one audit entry of the feature-flag store: who changed
// flag Key when, from Old to New (flag definitions as the lobby encodes
// them; Old nil for a creation, New nil for a deletion).
type FlagChange struct {
	Key   string    `json:"key"`
	Actor string    `json:"actor"`
	At    time.Time `json:"at"`
	Old   []byte    `json:"old,omitempty"`
	New   []byte    `json:"new,omitempty"`
}

// FlagAuditCap is how many audit entries a store keeps (oldest dropped).
const FlagAuditCap = 1000

// Flags keeps feature-flag definitions (opaque to the store) and their
// audit log, shared by every replica using the store. Replicas learn of
// changes through Events (the lobby publishes after each write).
type Flags interface {
	// PutFlag stores def under key and, atomically with it, appends an
	// audit entry; it returns the definition it replaced (nil if none).
	PutFlag(ctx context.Context, key string, def []byte, actor string, at time.Time) (old []byte, err error)
	// DeleteFlag removes key and appends an audit entry atomically,
	// returning the definition removed, or ErrNotFound.
	DeleteFlag(ctx context.Context, key, actor string, at time.Time) (old []byte, err error)
	// AllFlags returns every definition by key.
	AllFlags(ctx context.Context) (map[string][]byte, error)
	// FlagAudit returns up to limit audit entries, newest first.
	FlagAudit(ctx context.Context, limit int) ([]FlagChange, error)
}
