package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisHub multiplexes every subscription of one Redis store over a single
// Redis pub/sub connection. One goroutine (run) reads it and delivers to
// local subscribers; go-redis reconnects and resubscribes after an outage.
type redisHub struct {
	ps      *redis.PubSub
	prefix  string
	buf     int
	timeout time.Duration
	cancel  context.CancelFunc
	done    chan struct{}

	mu      sync.Mutex // guards subs and ready, and orders SUBSCRIBE/UNSUBSCRIBE
	subs    map[string]map[*redisSub]struct{}
	ready   map[string][]chan struct{}
	dropped int
}

func newRedisHub(rdb *redis.Client, prefix string, buf int, timeout time.Duration) *redisHub {
	ctx, cancel := context.WithCancel(context.Background())
	h := &redisHub{
		ps:      rdb.Subscribe(ctx),
		prefix:  prefix,
		buf:     buf,
		timeout: timeout,
		cancel:  cancel,
		done:    make(chan struct{}),
		subs:    map[string]map[*redisSub]struct{}{},
		ready:   map[string][]chan struct{}{},
	}
	go h.run(ctx)
	return h
}

// redisSub is one local subscription.
type redisSub struct {
	h     *redisHub
	topic string
	c     chan []byte
	once  sync.Once
}

func (s *redisSub) C() <-chan []byte { return s.c }

func (s *redisSub) Close() { s.once.Do(func() { s.h.unsubscribe(s) }) }

// subscribe registers a local subscriber and, for the topic's first one,
// subscribes the shared connection and waits for Redis to confirm.
func (h *redisHub) subscribe(ctx context.Context, topic string) (Subscription, error) {
	s := &redisSub{h: h, topic: topic, c: make(chan []byte, h.buf)}
	h.mu.Lock()
	if len(h.subs[topic]) > 0 && len(h.ready[topic]) == 0 {
		h.subs[topic][s] = struct{}{}
		h.mu.Unlock()
		return s, nil
	}
	if h.subs[topic] == nil {
		h.subs[topic] = map[*redisSub]struct{}{}
	}
	h.subs[topic][s] = struct{}{}
	ready := make(chan struct{})
	h.ready[topic] = append(h.ready[topic], ready)
	wctx, cancel := context.WithTimeout(ctx, h.timeout)
	err := h.ps.Subscribe(wctx, h.prefix+topic)
	cancel()
	h.mu.Unlock()
	if err != nil {
		s.Close()
		return nil, unavailable("subscribe", err)
	}
	t := time.NewTimer(h.timeout)
	defer t.Stop()
	select {
	case <-ready:
		return s, nil
	case <-t.C:
		s.Close()
		return nil, unavailable("subscribe", errors.New("no confirmation"))
	case <-ctx.Done():
		s.Close()
		return nil, fmt.Errorf("subscribe %s: %w", topic, ctx.Err())
	}
}

func (h *redisHub) unsubscribe(s *redisSub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs[s.topic], s)
	if len(h.subs[s.topic]) > 0 {
		return
	}
	delete(h.subs, s.topic)
	delete(h.ready, s.topic)
	ctx, cancel := context.WithTimeout(context.Background(), h.timeout)
	defer cancel()
	// An error leaves the channel subscribed on a dead connection; go-redis
	// forgets it either way, so it is not resubscribed on reconnect.
	_ = h.ps.Unsubscribe(ctx, h.prefix+s.topic)
}

// run reads the shared connection until close. A quiet connection is pinged
// so a dead Redis is noticed; errors back off up to one second while go-redis
// reconnects.
func (h *redisHub) run(ctx context.Context) {
	defer close(h.done)
	backoff := 10 * time.Millisecond
	for ctx.Err() == nil {
		msg, err := h.ps.ReceiveTimeout(ctx, 5*time.Second)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				pctx, cancel := context.WithTimeout(ctx, h.timeout)
				_ = h.ps.Ping(pctx)
				cancel()
				continue
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 10 * time.Millisecond
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				h.confirm(strings.TrimPrefix(m.Channel, h.prefix))
			}
		case *redis.Message:
			h.deliver(strings.TrimPrefix(m.Channel, h.prefix), []byte(m.Payload))
		}
	}
}

func (h *redisHub) confirm(topic string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.ready[topic] {
		close(c)
	}
	delete(h.ready, topic)
}

func (h *redisHub) deliver(topic string, payload []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs[topic] {
		select {
		case s.c <- payload:
		default:
			h.dropped++
		}
	}
}

func (h *redisHub) close() {
	h.cancel()
	_ = h.ps.Close()
	<-h.done
}
