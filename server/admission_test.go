package server

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/netcode/client"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
)

// kcpSegment is a raw KCP push segment (kcp-go's layout, little endian):
// conv, cmd 81, frg 0, wnd, ts, sn, una, len, data.
func kcpSegment(conv uint32, data []byte) []byte {
	p := binary.LittleEndian.AppendUint32(nil, conv)
	p = append(p, 81, 0)
	p = binary.LittleEndian.AppendUint16(p, 128)
	p = binary.LittleEndian.AppendUint32(p, 0)
	p = binary.LittleEndian.AppendUint32(p, 0)
	p = binary.LittleEndian.AppendUint32(p, 0)
	p = binary.LittleEndian.AppendUint32(p, uint32(len(data)))
	return append(p, data...)
}

// flooder opens KCP sessions that never finish their hello and idle
// WebSockets that never send one, from its source addresses, until stop.
type flooder struct {
	t       *testing.T
	srcs    []net.IP
	kcpAddr *net.UDPAddr
	wsURL   string
	stop    chan struct{}
	wg      sync.WaitGroup
	sent    atomic.Int64
	wsOpen  atomic.Int64
}

func startFlooder(t *testing.T, h *harness, srcs []net.IP, portsPerSrc, wsPerSrc int) *flooder {
	kaddr, err := net.ResolveUDPAddr("udp", h.srv.PublicKCPAddr())
	if err != nil {
		t.Fatal(err)
	}
	f := &flooder{t: t, srcs: srcs, kcpAddr: kaddr, wsURL: h.srv.PublicWSURL(), stop: make(chan struct{})}
	var socks []*net.UDPConn
	for _, ip := range srcs {
		for range portsPerSrc {
			u, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip})
			if err != nil {
				t.Fatal(err)
			}
			socks = append(socks, u)
		}
	}
	partial := []byte{0, 0, 0, 100, 1, 2} // a frame header promising 100 bytes, never completed
	f.wg.Add(1)
	go func() { // every socket sends a new conversation (a new session) round-robin
		defer f.wg.Done()
		defer func() {
			for _, u := range socks {
				u.Close()
			}
		}()
		conv := uint32(1)
		for {
			for i, u := range socks {
				select {
				case <-f.stop:
					return
				default:
				}
				conv++
				if _, err := u.WriteTo(kcpSegment(conv, partial), f.kcpAddr); err == nil {
					f.sent.Add(1)
				}
				// At most 500 packets a second per flooder, 1,000 in all: 7
				// times the 133 a second that used to block every join.
				// (Thousands a second of new KCP sessions load the CPU
				// instead: kcp-go builds a session per packet.)
				_ = i
				time.Sleep(2 * time.Millisecond)
			}
		}
	}()
	for _, ip := range srcs {
		for range wsPerSrc {
			f.wg.Add(1)
			go func() { // an idle WebSocket, redialed whenever the server drops it
				defer f.wg.Done()
				d := websocket.Dialer{HandshakeTimeout: 2 * time.Second,
					NetDialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}}).DialContext}
				for {
					c, resp, err := d.Dial(f.wsURL, http.Header{})
					if resp != nil && resp.Body != nil {
						resp.Body.Close()
					}
					if err == nil {
						f.wsOpen.Add(1)
						go func() { <-f.stop; c.Close() }()
						_, _, _ = c.ReadMessage() // until the server closes it
						f.wsOpen.Add(-1)
						c.Close()
					}
					select {
					case <-f.stop:
						return
					case <-time.After(100 * time.Millisecond):
					}
				}
			}()
		}
	}
	return f
}

func (f *flooder) close() {
	close(f.stop)
	f.wg.Wait()
}

// TestAdmissionUnderFlood: one source (127.0.0.3) floods KCP sessions
// that never say hello and holds idle WebSockets, and 300 more addresses
// in other /24s fill the rest of both listeners' pending slots, while a
// player on 127.0.0.1 joins a room over KCP and another over WebSocket,
// plays, and resumes three times on each transport: every join and
// resume is admitted at the first attempt.
func TestAdmissionUnderFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("floods two listeners")
	}
	cfg := testConfig()
	captureLog(t, &cfg) // a failure quotes the server's log: seatings, refusals, closes
	h := startHarness(t, cfg, scriptFactory(30, 0))
	one := startFlooder(t, h, []net.IP{net.IPv4(127, 0, 0, 3)}, 64, 80)
	defer one.close()
	var wide []net.IP
	for i := range 300 {
		wide = append(wide, net.IPv4(127, 0, byte(2+i/100), byte(1+i%100)))
	}
	many := startFlooder(t, h, wide, 1, 1)
	defer many.close()

	gate := func(name string) transport.Stats {
		for _, l := range h.srv.listeners {
			if l.Transport() == name {
				return l.(netListener).Stats()
			}
		}
		t.Fatalf("no %s listener", name)
		return transport.Stats{}
	}
	// The flood is on: both gates refuse or evict flood sessions.
	poll(t, 60*time.Second, 10*time.Millisecond, "the flood filling both gates", func() bool {
		k, w := gate("kcp"), gate("ws")
		return k.Refused()+k.Evicted > 50 && w.Refused()+w.OverIP+w.Evicted > 20
	})

	resp := h.create(battleSpec("m_flood"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	connect := func(seat int, d transport.Dialer) *client.Client {
		cc := client.DefaultConfig(resp.Seats[seat].Ticket)
		cc.ResumeDialers = []transport.Dialer{d}
		// A refused resume is retried at most twice: the gate must admit
		// it, but on a machine running the whole suite beside this flood
		// one attempt's hello can miss its deadline for want of CPU (kcp-go
		// builds a session per flood packet), which is not admission.
		cc.ResumeAttempts = 3
		c, err := client.Connect(ctx, d, cc)
		if err != nil {
			t.Fatalf("seat %d: connect during the flood: %v (kcp gate %+v, ws gate %+v)", seat, err, gate("kcp"), gate("ws"))
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// The players dial the server's own listeners, the ones flooded (not
	// the harness's patient ones).
	cc := transport.ClientConfig()
	kc := transport.DefaultKCPConfig(cc)
	kc.Key = h.srv.cfg.KCPKey
	kcpD := transport.KCPDialer{Addr: h.srv.PublicKCPAddr(), Config: kc}
	wsD := transport.WSDialer{URL: h.srv.PublicWSURL(), Config: transport.DefaultWSConfig(cc)}
	players := []*client.Client{connect(0, kcpD), connect(1, wsD)}
	r, _ := h.srv.reg.get(resp.RoomID)
	play := func(what string) {
		t.Helper()
		for seat, p := range players {
			var snap netcode.Snapshot
			start := p.World(&snap)
			acked := p.Stats().InputsAcked
			// One input per new snapshot, as a client sends: an input on
			// every poll outruns the room's input rate limit (and is closed
			// as a flood) whenever the loaded machine slows the room's
			// ticks more than this loop.
			sentAt := start - 1
			waitFor(t, what, func() bool {
				tick := p.World(&snap)
				if tick != sentAt {
					sentAt = tick
					if _, err := p.SendInput(netcode.Input{MoveX: 1000, CastSlot: -1}); err != nil {
						t.Fatalf("seat %d: %s: send at tick %d: %v", seat, what, tick, err)
					}
				}
				return tick > start+10 && p.Stats().InputsAcked > acked
			})
		}
	}
	play("playing during the flood")
	for round := 1; round <= 3; round++ {
		for seat, p := range players {
			c := r.seatConn(seat)
			if c == nil {
				t.Fatalf("round %d: seat %d has no connection", round, seat)
			}
			before := p.Stats().Resumes
			c.closeCode(netcode.CodeSlowConsumer, "test: cut the session")
			t.Logf("round %d: cut seat %d (%s) after %d resumes", round, seat, c.transport, before)
			waitForOr(t, "resume during the flood", func() bool {
				if err := p.Err(); err != nil {
					t.Fatalf("round %d: seat %d gave up resuming: %v (client %+v; kcp gate %+v, ws gate %+v)", round, seat, err, p.Stats(), gate("kcp"), gate("ws"))
				}
				return p.Stats().Resumes > before
			}, func() string {
				return fmt.Sprintf("round %d: seat %d (%s) resumed %d times, want more than %d; client %+v; kcp gate %+v, ws gate %+v",
					round, seat, c.transport, p.Stats().Resumes, before, p.Stats(), gate("kcp"), gate("ws"))
			})
		}
		play("playing after a resume")
	}
	k, w := gate("kcp"), gate("ws")
	t.Logf("flood: %d KCP packets from 127.0.0.3 and %d from 300 other addresses; kcp gate %+v; ws gate %+v",
		one.sent.Load(), many.sent.Load(), k, w)
	if k.Evicted == 0 && k.OverPending == 0 {
		t.Fatalf("the KCP gate was never full: %+v", k)
	}
	// The refusals are on /metrics by reason.
	body := scrapeAdmin(t, h)
	for _, want := range []string{`pantheon_room_admission_refused_total{reason="per_address",transport="kcp"}`,
		`pantheon_room_admission_refused_total{reason="hello_timeout",transport="ws"}`} {
		if !strings.Contains(body, want) {
			t.Fatalf("/metrics has no %s", want)
		}
	}
}

// scrapeAdmin returns the room server's /metrics page.
func scrapeAdmin(t *testing.T, h *harness) string {
	t.Helper()
	req, _ := http.NewRequest("GET", h.srv.PublicControlURL()+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+testFleetSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return sb.String()
}
