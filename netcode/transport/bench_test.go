package transport

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// BenchmarkKCPSessionCost measures what one admitted KCP session costs:
// heap and stack bytes and goroutines for the server side (sessions share the
// listener's socket and reader) and for the client side (each dialer owns
// a UDP socket and kcp-go's reader goroutine). One op = one session pair.
func BenchmarkKCPSessionCost(b *testing.B) {
	for _, n := range []int{100, 500} {
		b.Run(fmt.Sprintf("sessions=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchSessions(b, n)
			}
		})
	}
}

func benchSessions(b *testing.B, n int) {
	srv := DefaultKCPConfig(ServerConfig())
	srv.Addr, srv.MaxPending, srv.AcceptQueue, srv.Linger = "127.0.0.1:0", n, n, 0
	srv.MaxPendingPerAddr, srv.MaxPendingPerPrefix = n, n // every client is on 127.0.0.1
	kl, err := ListenKCP(srv)
	if err != nil {
		b.Fatal(err)
	}
	defer kl.Close()
	cli := DefaultKCPConfig(ClientConfig())
	cli.Linger = 0
	d := KCPDialer{Addr: kl.Addr().String(), Config: cli}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	runtime.GC()
	var m0, m1, m2 runtime.MemStats
	runtime.ReadMemStats(&m0)
	g0 := runtime.NumGoroutine()
	clients := make([]Conn, 0, n)
	for range n {
		c, err := d.Dial(ctx)
		if err != nil {
			b.Fatal(err)
		}
		clients = append(clients, c)
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	g1 := runtime.NumGoroutine()
	servers := make([]Conn, 0, n)
	for _, c := range clients {
		if err := c.WriteFrame(hello()); err != nil {
			b.Fatal(err)
		}
	}
	for range n {
		s, err := kl.Accept(ctx)
		if err != nil {
			b.Fatal(err)
		}
		servers = append(servers, s)
	}
	runtime.GC()
	runtime.ReadMemStats(&m2)
	g2 := runtime.NumGoroutine()
	inuse := func(m *runtime.MemStats) int64 { return int64(m.HeapInuse + m.StackInuse) }
	b.ReportMetric(float64(inuse(&m1)-inuse(&m0))/float64(n), "client-B/session")
	b.ReportMetric(float64(g1-g0)/float64(n), "client-goroutines/session")
	b.ReportMetric(float64(inuse(&m2)-inuse(&m1))/float64(n), "server-B/session")
	b.ReportMetric(float64(g2-g1)/float64(n), "server-goroutines/session")
	for _, c := range clients {
		c.Close()
	}
	for _, s := range servers {
		s.Close()
	}
}
