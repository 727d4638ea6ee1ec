package lobby

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/pantheon-oracles/pantheon/lobby/store"
)

// clientIP returns the request's client address. X-Forwarded-For is read
// only when the peer is a trusted proxy: the header is walked from the right,
// skipping trusted proxies, and the first untrusted address is the client.
// Otherwise the peer address is the client, whatever the header says.
func (l *Lobby) clientIP(r *http.Request) netip.Addr {
	peer := peerAddr(r.RemoteAddr)
	if !l.trusted(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer // a malformed hop: trust nothing beyond the proxy
		}
		a = a.Unmap()
		if !l.trusted(a) {
			return a
		}
	}
	return peer
}

func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.IPv4Unspecified()
	}
	return a.Unmap()
}

func (l *Lobby) trusted(a netip.Addr) bool {
	for _, p := range l.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Names of the limits in the rate_limited_total metric.
const (
	limitPerIP           = "per_ip"
	limitConnsPerIP      = "conns_per_ip"
	limitPushConns       = "push_connections"
	limitLoginPerIP      = "login_per_ip"
	limitLoginPerAccount = "login_per_account"
	limitIPBlocked       = "ip_blocked"
	limitTickets         = "tickets_per_player"
	limitQueueFull       = "queue_full"
)

// limit takes a token from key's bucket or returns a 429 with Retry-After,
// counting the refusal under name.
func (l *Lobby) limit(ctx context.Context, name, key string, lim store.Limit) error {
	ok, retry, err := l.st.Allow(ctx, key, lim, l.now())
	if err != nil {
		return err
	}
	if !ok {
		l.met.rateLimited.WithLabelValues(name).Inc()
		e := fail(http.StatusTooManyRequests, CodeRateLimited, "too many requests; retry later")
		e.retryAfter = max(retry, time.Second)
		return e
	}
	return nil
}
