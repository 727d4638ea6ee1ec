package client

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/internal/proccpu"
	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
)

// BenchmarkClientSwarm runs N clients in this process against a 30 Hz
// test room (32-entity combat world) over KCP or the in-memory transport.
// One op is one 30 Hz tick in which every client sends an input. It
// reports the memory and goroutines each connected client costs, and the
// process CPU per tick (room and clients together: one process holds
// both) as cpu-ms/tick; 33.3 cpu-ms/tick is one full core.
func BenchmarkClientSwarm(b *testing.B) {
	for _, tc := range []struct {
		transport string
		clients   int
	}{{"mem", 1000}, {"kcp", 250}, {"kcp", 1000}} {
		b.Run(fmt.Sprintf("transport=%s/clients=%d", tc.transport, tc.clients), func(b *testing.B) {
			swarm(b, tc.transport, tc.clients)
		})
	}
}

func swarm(b *testing.B, kind string, n int) {
	srv := transport.ServerConfig()
	srv.MaxPending, srv.AcceptQueue = n, n
	srv.MaxPendingPerAddr, srv.MaxPendingPerPrefix = n, n // every client is on 127.0.0.1
	var ln transport.Listener
	var d transport.Dialer
	switch kind {
	case "kcp":
		kc := transport.DefaultKCPConfig(srv)
		kc.Addr = "127.0.0.1:0"
		kl, err := transport.ListenKCP(kc)
		if err != nil {
			b.Fatal(err)
		}
		ln, d = kl, transport.KCPDialer{Addr: kl.Addr().String(), Config: transport.DefaultKCPConfig(transport.ClientConfig())}
	default:
		mn, _ := transport.NewMemNetwork(transport.LinkConfig{})
		ml, err := mn.Listen("room", srv)
		if err != nil {
			b.Fatal(err)
		}
		ln, d = ml, mn.Dialer("room", transport.ClientConfig())
	}
	defer ln.Close()
	room := newTestRoom(b, 32, time.Second/30, ln)
	defer room.close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	g0 := runtime.NumGoroutine()
	clients := make([]*Client, 0, n)
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	cfg := DefaultConfig("bench")
	cfg.Baselines = 16
	for range n {
		c, err := Connect(ctx, d, cfg)
		if err != nil {
			b.Fatal(err)
		}
		clients = append(clients, c)
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	g1 := runtime.NumGoroutine()

	tk := time.NewTicker(time.Second / 30)
	defer tk.Stop()
	var applied0 uint64
	for _, c := range clients {
		applied0 += c.Stats().SnapshotsApplied
	}
	cpu0 := proccpu.Time()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		<-tk.C
		for _, c := range clients {
			if _, err := c.SendInput(netcode.Input{MoveX: int32(i % 3), MoveY: 1, CastSlot: -1}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	cpu := proccpu.Time() - cpu0
	var applied uint64
	var maxDelay time.Duration
	for _, c := range clients {
		st := c.Stats()
		applied += st.SnapshotsApplied
		maxDelay = max(maxDelay, st.MaxInputAckDelay)
	}
	inuse := func(m *runtime.MemStats) float64 { return float64(m.HeapInuse + m.StackInuse) }
	b.ReportMetric((inuse(&m1)-inuse(&m0))/float64(n), "B/client")
	b.ReportMetric(float64(g1-g0)/float64(n), "goroutines/client")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/tick")
	b.ReportMetric(float64(applied-applied0)/float64(b.N)/float64(n), "snapshots/client/tick")
	b.ReportMetric(float64(maxDelay.Microseconds())/1000, "max-input-ack-ms")
}
