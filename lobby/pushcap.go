package lobby

import "github.com/pantheon-oracles/pantheon/lobby/auth"

// pushCounts are the open push connections of this replica by session
// (one access token's refresh family) and by player, guarded by Lobby.mu.
// Counts are per replica: with several replicas behind a balancer a
// player may hold PerPlayer on each.
type pushCounts struct {
	bySession map[string]int
	byPlayer  map[string]int
}

func newPushCounts() pushCounts {
	return pushCounts{bySession: map[string]int{}, byPlayer: map[string]int{}}
}

// takePush counts one more push connection for c, or reports false when
// its session or player is at its cap (Config.Push.PerToken, PerPlayer).
func (l *Lobby) takePush(c auth.Claims) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.push.bySession[c.SessionID] >= l.cfg.Push.PerToken || l.push.byPlayer[c.PlayerID] >= l.cfg.Push.PerPlayer {
		return false
	}
	l.push.bySession[c.SessionID]++
	l.push.byPlayer[c.PlayerID]++
	return true
}

// releasePush undoes one takePush.
func (l *Lobby) releasePush(c auth.Claims) {
	l.mu.Lock()
	defer l.mu.Unlock()
	dec := func(m map[string]int, k string) {
		if m[k] <= 1 {
			delete(m, k)
		} else {
			m[k]--
		}
	}
	dec(l.push.bySession, c.SessionID)
	dec(l.push.byPlayer, c.PlayerID)
}
