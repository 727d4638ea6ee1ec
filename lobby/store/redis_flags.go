package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// putFlagScript: KEYS = flags hash, audit list; ARGV = key, definition (""
// deletes), audit entry JSON without old, audit cap. Returns the old
// definition, or false (nil) when there was none.
var putFlagScript = redis.NewScript(`
local old = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[2] == '' then
  if not old then return false end
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
local entry = cjson.decode(ARGV[3])
if old then entry['old'] = old end
redis.call('LPUSH', KEYS[2], cjson.encode(entry))
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[4]) - 1)
return old
`)

// redisFlagChange is a FlagChange as stored: definitions as strings.
type redisFlagChange struct {
	Key   string `json:"key"`
	Actor string `json:"actor"`
	AtMs  int64  `json:"at"`
	Old   string `json:"old,omitempty"`
	New   string `json:"new,omitempty"`
}

func (r *Redis) writeFlag(ctx context.Context, key string, def []byte, actor string, at time.Time) ([]byte, error) {
	entry, err := json.Marshal(redisFlagChange{Key: key, Actor: actor, AtMs: at.UnixMilli(), New: string(def)})
	if err != nil {
		return nil, err
	}
	old, err := putFlagScript.Run(ctx, r.rdb, []string{r.key("flags"), r.key("flags:audit")}, key, string(def), string(entry), FlagAuditCap).Text()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, unavailable("put flag", err)
	}
	return []byte(old), nil
}

// PutFlag implements Flags (one Lua script: definition and audit entry).
func (r *Redis) PutFlag(ctx context.Context, key string, def []byte, actor string, at time.Time) ([]byte, error) {
	if len(def) == 0 {
		return nil, fmt.Errorf("store: put flag %s: empty definition", key)
	}
	return r.writeFlag(ctx, key, def, actor, at)
}

// DeleteFlag implements Flags.
func (r *Redis) DeleteFlag(ctx context.Context, key, actor string, at time.Time) ([]byte, error) {
	old, err := r.writeFlag(ctx, key, nil, actor, at)
	if err == nil && old == nil {
		return nil, ErrNotFound
	}
	return old, err
}

// AllFlags implements Flags.
func (r *Redis) AllFlags(ctx context.Context) (map[string][]byte, error) {
	m, err := r.rdb.HGetAll(ctx, r.key("flags")).Result()
	if err != nil {
		return nil, unavailable("flags", err)
	}
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = []byte(v)
	}
	return out, nil
}

// FlagAudit implements Flags.
func (r *Redis) FlagAudit(ctx context.Context, limit int) ([]FlagChange, error) {
	out := []FlagChange{}
	if limit <= 0 {
		return out, nil
	}
	raw, err := r.rdb.LRange(ctx, r.key("flags:audit"), 0, int64(limit)-1).Result()
	if err != nil {
		return nil, unavailable("flag audit", err)
	}
	for _, s := range raw {
		var c redisFlagChange
		if err := json.Unmarshal([]byte(s), &c); err != nil {
			return nil, fmt.Errorf("store: flag audit entry: %w", err)
		}
		fc := FlagChange{Key: c.Key, Actor: c.Actor, At: time.UnixMilli(c.AtMs).UTC()}
		if c.Old != "" {
			fc.Old = []byte(c.Old)
		}
		if c.New != "" {
			fc.New = []byte(c.New)
		}
		out = append(out, fc)
	}
	return out, nil
}
