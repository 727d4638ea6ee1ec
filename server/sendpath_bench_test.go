package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	rtmetrics "runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/internal/proccpu"
	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
	"github.com/prometheus/client_golang/prometheus"
	kcp "github.com/xtaci/kcp-go/v5"
)

// BenchmarkSendPath measures the per-connection send path (issue 14): each
// iteration is one tick that offers a snapshot frame to every one of 64
// server-side connections over real loopback sockets (with frames=2, an
// events frame before it, as on a tick where something happened), then
// waits until every client has read them all (so no snapshot is coalesced
// away by the latest-wins mailbox and each iteration pays for 64
// deliveries). The
// clients read and never write, so what is measured is the server's
// sending, plus the clients' reading in the process-wide figures.
//
// Reported, per snapshot delivered:
//   - ns/snap: wall time;
//   - cpu-ns/snap: process CPU (user+system), the clients' reads included;
//   - writes/snap (ws): write system calls on the server's TCP sockets,
//     counted exactly by a wrapping net.Conn (every Write call and every
//     RawConn.Write callback is one write or writev);
//   - datagrams/snap (kcp): UDP datagrams sent by the whole process (kcp-go's
//     OutPkts: the server's data datagrams and the clients' KCP acks; kcp-go
//     sends them with sendmmsg or WriteTo, which this does not separate);
//   - sched/snap: goroutines made runnable and then run, process-wide
//     (runtime/metrics /sched/latencies:seconds counts one in 8 of them;
//     the figure is that count times 8): the clients' readers contribute
//     about one per snapshot, the rest is the server's writers and the
//     netpoller;
//   - ctxsw/snap: OS thread context switches of the process (voluntary and
//     not, from /proc/self/task/*/status): threads parking and waking.
func BenchmarkSendPath(b *testing.B) {
	frame := make([]byte, 320)                            // a raid snapshot delta of 8 players and a boss is a few hundred bytes
	frame[0], frame[1] = 0x93, byte(netcode.KindSnapshot) // the header of a frame (PeekKind); the rest is not decoded
	events := make([]byte, 60)                            // a couple of damage events
	events[0], events[1] = 0x93, byte(netcode.KindEvents)
	for _, tr := range []string{"ws", "kcp"} {
		for _, frames := range []int{1, 2} {
			b.Run(fmt.Sprintf("transport=%s/conns=64/frames=%d", tr, frames), func(b *testing.B) {
				ev := events
				if frames == 1 {
					ev = nil
				}
				benchSendPath(b, tr, 64, ev, frame)
			})
		}
	}
}

// sendPathRig is the benchmark's listener, clients and server-side conns.
type sendPathRig struct {
	conns   []*conn
	got     atomic.Int64 // frames read by all clients
	target  atomic.Int64 // got value that completes the tick
	done    chan struct{}
	writes  *atomic.Int64 // ws: server socket write calls
	cleanup []func()
}

// benchSendPath runs ticks of events (if not nil) and frame to n conns.
func benchSendPath(b *testing.B, tr string, n int, events, frame []byte) {
	rig := newSendPathRig(b, tr, n)
	defer func() {
		for i := len(rig.cleanup) - 1; i >= 0; i-- {
			rig.cleanup[i]()
		}
	}()
	tick := func() {
		per := 1
		if events != nil {
			per = 2
		}
		rig.target.Add(int64(n * per))
		for _, c := range rig.conns {
			if events != nil {
				c.queueControl(events)
			}
			c.offerSnapshot(frame)
			c.send()
		}
		select {
		case <-rig.done:
		case <-time.After(time.Minute):
			b.Fatalf("clients read %d frames, want %d", rig.got.Load(), rig.target.Load())
		}
	}
	for range 50 { // warm up buffers and windows
		tick()
	}
	samples := []rtmetrics.Sample{{Name: "/sched/latencies:seconds"}}
	sched := func() uint64 {
		rtmetrics.Read(samples)
		var sum uint64
		for _, c := range samples[0].Value.Float64Histogram().Counts {
			sum += c
		}
		return sum * 8
	}
	w0, pk0, s0, cs0, cpu0 := rig.writes.Load(), kcp.DefaultSnmp.Copy().OutPkts, sched(), ctxSwitches(), proccpu.Time()
	b.ReportAllocs()
	b.ResetTimer()
	t0 := time.Now()
	for range b.N {
		tick()
	}
	wall := time.Since(t0)
	b.StopTimer()
	snaps := float64(b.N * n) // snapshots, not frames: an events frame rides with its tick's snapshot
	cpu := proccpu.Time() - cpu0
	b.ReportMetric(float64(wall.Nanoseconds())/snaps, "ns/snap")
	b.ReportMetric(float64(cpu.Nanoseconds())/snaps, "cpu-ns/snap")
	if tr == "ws" {
		b.ReportMetric(float64(rig.writes.Load()-w0)/snaps, "writes/snap")
	} else {
		b.ReportMetric(float64(kcp.DefaultSnmp.Copy().OutPkts-pk0)/snaps, "datagrams/snap")
	}
	b.ReportMetric(float64(sched()-s0)/snaps, "sched/snap")
	b.ReportMetric(float64(ctxSwitches()-cs0)/snaps, "ctxsw/snap")
}

func newSendPathRig(b *testing.B, tr string, n int) *sendPathRig {
	rig := &sendPathRig{done: make(chan struct{}, 1), writes: new(atomic.Int64)}
	base := transport.ServerConfig()
	base.MaxPending, base.MaxPendingPerAddr, base.MaxPendingPerPrefix, base.AcceptQueue = 2*n, 2*n, 2*n, 2*n
	var ln transport.Listener
	var dialer transport.Dialer
	switch tr {
	case "ws":
		wl, err := transport.NewWSListener(transport.DefaultWSConfig(base))
		if err != nil {
			b.Fatal(err)
		}
		tl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		srv := &http.Server{Handler: wl}
		go func() { _ = srv.Serve(&countingListener{Listener: tl, writes: rig.writes}) }()
		rig.cleanup = append(rig.cleanup, func() { _ = srv.Close() })
		ln = wl
		dialer = transport.WSDialer{URL: "ws://" + tl.Addr().String() + wsPath, Config: transport.DefaultWSConfig(transport.ClientConfig())}
	case "kcp":
		kc := transport.DefaultKCPConfig(base)
		kc.Addr = "127.0.0.1:0"
		kl, err := transport.ListenKCP(kc)
		if err != nil {
			b.Fatal(err)
		}
		ln = kl
		dialer = transport.KCPDialer{Addr: kl.Addr().String(), Config: transport.DefaultKCPConfig(transport.ClientConfig())}
	default:
		b.Fatalf("transport %q", tr)
	}
	rig.cleanup = append(rig.cleanup, func() { _ = ln.Close() })
	hello := netcode.AppendHello(nil, &netcode.Hello{Version: netcode.Version, Ticket: "bench"})
	var readers sync.WaitGroup
	rig.cleanup = append(rig.cleanup, readers.Wait)
	bytesOut := prometheus.NewCounter(prometheus.CounterOpts{Name: "bench_bytes_out"})
	for range n {
		cl, err := dialer.Dial(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		rig.cleanup = append(rig.cleanup, func() { _ = cl.Close() })
		if err := cl.WriteFrame(hello); err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		tc, err := ln.Accept(ctx)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tc.ReadFrame(); err != nil { // the hello
			b.Fatal(err)
		}
		c := newConn(tc, tr, 64, bytesOut)
		rig.conns = append(rig.conns, c)
		writerDone := make(chan struct{})
		go func() {
			defer close(writerDone)
			c.writeLoop()
		}()
		rig.cleanup = append(rig.cleanup, func() { c.closeWith(nil); <-writerDone })
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				if _, err := cl.ReadFrame(); err != nil {
					return
				}
				if rig.got.Add(1) == rig.target.Load() {
					rig.done <- struct{}{}
				}
			}
		}()
	}
	return rig
}

// countingListener wraps the accepted TCP connections in countingConn.
type countingListener struct {
	net.Listener
	writes *atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, writes: l.writes}, nil
}

// countingConn counts write system calls: each Write, and each callback a
// RawConn.Write runs (a raw write or writev on the socket).
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// SyscallConn exposes the socket with its raw writes counted.
func (c *countingConn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	return countingRawConn{RawConn: rc, writes: c.writes}, nil
}

type countingRawConn struct {
	syscall.RawConn
	writes *atomic.Int64
}

func (rc countingRawConn) Write(f func(fd uintptr) bool) error {
	return rc.RawConn.Write(func(fd uintptr) bool {
		rc.writes.Add(1)
		return f(fd)
	})
}

// ctxSwitches sums the voluntary and involuntary context switches of the
// process's threads (0 where /proc is unavailable).
func ctxSwitches() uint64 {
	tasks, _ := filepath.Glob("/proc/self/task/*/status")
	var sum uint64
	for _, t := range tasks {
		raw, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for line := range strings.SplitSeq(string(raw), "\n") {
			if v, ok := strings.CutPrefix(line, "voluntary_ctxt_switches:"); ok {
				n, _ := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
				sum += n
			} else if v, ok := strings.CutPrefix(line, "nonvoluntary_ctxt_switches:"); ok {
				n, _ := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
				sum += n
			}
		}
	}
	return sum
}
