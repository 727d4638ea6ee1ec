package client

import (
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/netcode/transport"
)

// lossyRelay forwards UDP datagrams between one client and a server,
// dropping each with probability loss (seeded), so KCP can be tested on a
// bad link over real sockets.
type lossyRelay struct {
	front, back *net.UDPConn
	server      *net.UDPAddr
	loss        float64
	mu          sync.Mutex
	rng         *rand.Rand
	client      *net.UDPAddr
	wg          sync.WaitGroup
}

func newLossyRelay(t *testing.T, server net.Addr, loss float64, seed uint64) *lossyRelay {
	lo := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	front, err := net.ListenUDP("udp", lo)
	if err != nil {
		t.Fatal(err)
	}
	back, err := net.ListenUDP("udp", lo)
	if err != nil {
		t.Fatal(err)
	}
	r := &lossyRelay{front: front, back: back, server: server.(*net.UDPAddr), loss: loss, rng: rand.New(rand.NewPCG(seed, 3))}
	r.wg.Add(2)
	go r.pump(front, true)
	go r.pump(back, false)
	t.Cleanup(func() { front.Close(); back.Close(); r.wg.Wait() })
	return r
}

func (r *lossyRelay) drop() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rng.Float64() < r.loss
}

func (r *lossyRelay) pump(from *net.UDPConn, upstream bool) {
	defer r.wg.Done()
	buf := make([]byte, 2048)
	for {
		n, addr, err := from.ReadFromUDP(buf)
		if err != nil {
			return
		}
		if r.drop() {
			continue
		}
		if upstream {
			r.mu.Lock()
			r.client = addr
			r.mu.Unlock()
			_, _ = r.back.WriteToUDP(buf[:n], r.server)
			continue
		}
		r.mu.Lock()
		c := r.client
		r.mu.Unlock()
		if c != nil {
			_, _ = r.front.WriteToUDP(buf[:n], c)
		}
	}
}

// TestClientOverLossyKCP: real KCP sockets through a relay that drops 5%
// and 20% of datagrams both ways: KCP retransmits, so every snapshot
// arrives and is correct, and inputs are acked with bounded delay.
func TestClientOverLossyKCP(t *testing.T) {
	for _, loss := range []float64{0.05, 0.20} {
		t.Run(fmt.Sprintf("loss=%v", loss), func(t *testing.T) {
			kc := transport.DefaultKCPConfig(transport.ServerConfig())
			kc.Addr = "127.0.0.1:0"
			kl, err := transport.ListenKCP(kc)
			if err != nil {
				t.Fatal(err)
			}
			defer kl.Close()
			room := newTestRoom(t, 30, 10*time.Millisecond, kl)
			defer room.close()
			relay := newLossyRelay(t, kl.Addr(), loss, uint64(loss*100))
			d := transport.KCPDialer{Addr: relay.front.LocalAddr().String(), Config: transport.DefaultKCPConfig(transport.ClientConfig())}
			c, v := connectVerified(t, room, d)
			defer c.Close()
			first := room.tick()
			play(t, c, 100)
			ticks := room.tick() - first
			n, bad := v.result()
			st := c.Stats()
			if bad != nil {
				t.Fatalf("relay seed %d: %v", uint64(loss*100), bad)
			}
			// KCP retransmits, so snapshots keep coming: at least half the
			// ticks the room ran (counted in ticks, not wall time; a delta
			// whose baseline the client dropped while retransmits were
			// slow is skipped).
			if n < int(ticks)/2 {
				t.Fatalf("relay seed %d: %d snapshots applied over %d room ticks, want at least %d (stats %+v)", uint64(loss*100), n, ticks, ticks/2, st)
			}
			if st.MaxInputAckDelay > maxAckDelay {
				t.Fatalf("relay seed %d: longest input ack delay %v, want at most %v (stats %+v)", uint64(loss*100), st.MaxInputAckDelay, maxAckDelay, st)
			}
			t.Logf("kcp at %v loss: %d snapshots, %d full, input ack delay avg %v max %v, rtt %v",
				loss, n, st.FullSnapshots, st.AvgInputAckDelay, st.MaxInputAckDelay, st.RTT)
		})
	}
}
