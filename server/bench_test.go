package server

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/bot"
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/internal/proccpu"
	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
)

// benchClient is a minimal in-memory client for BenchmarkRooms: it acks
// every snapshot (so the server encodes real deltas against acknowledged
// baselines) without rebuilding the world, so the heap measured is the
// server's, not 8 clients' baseline rings per room.
type benchClient struct {
	c    transport.Conn
	seq  uint32
	ack  uint32 // written by the reader, read by the driver under mu
	mu   sync.Mutex
	buf  []byte
	done chan struct{}
}

func (bc *benchClient) read() {
	defer close(bc.done)
	var f netcode.SnapshotFrame
	var ack []byte
	for {
		frame, err := bc.c.ReadFrame()
		if err != nil {
			return
		}
		if k, _ := netcode.PeekKind(frame); k != netcode.KindSnapshot {
			continue
		}
		if netcode.DecodeSnapshot(frame, &f) != nil {
			return
		}
		ack = netcode.AppendAck(ack[:0], f.Tick)
		_ = bc.c.WriteFrame(ack)
		bc.mu.Lock()
		bc.ack = f.Tick
		bc.mu.Unlock()
	}
}

// send sends the next input: walk in a slowly turning circle, cast slot 1
// every 16th input.
func (bc *benchClient) send() {
	bc.seq++
	in := netcode.Input{Seq: bc.seq, MoveX: int32(bc.seq%64) * 16, MoveY: 500 - int32(bc.seq%32)*32, CastSlot: -1}
	if bc.seq%16 == 0 {
		in.CastSlot = 0
	}
	bc.mu.Lock()
	ack := bc.ack
	bc.mu.Unlock()
	bc.buf = netcode.AppendInputFrame(bc.buf[:0], &netcode.InputFrame{AckTick: ack, Inputs: []netcode.Input{in}})
	_ = bc.c.WriteFrame(bc.buf)
}

// BenchmarkRooms steps N raid rooms of 8 players each at 30 Hz on one
// goroutine (one core's worth of scheduler), with clients on the in-memory
// transport sending an input per tick and acking every snapshot. Time is
// synthetic: each iteration is one 30 Hz period, so every room ticks once.
// Reported: ns/room-tick (mean time of one room's tick: inputs, step,
// snapshots for 8 clients), p99-tick-ns, rooms/core (how many such rooms
// one core sustains at 30 Hz), cpu-ns/room-tick (process CPU including the
// in-process clients and transports; an upper bound), heap-bytes/room and
// replay-bytes/room-tick (how a room's heap grows as its match records). allocs/op and B/op count the whole process,
// clients and the in-memory transport included (BenchmarkRoomTick
// isolates the room's tick).
func BenchmarkRooms(b *testing.B) {
	bundle, err := content.Load()
	if err != nil {
		b.Fatal(err)
	}
	for _, rooms := range []int{16, 64, 128} {
		b.Run(fmt.Sprintf("rooms=%d/players=8/hz=30", rooms), func(b *testing.B) {
			benchRooms(b, bundle, rooms)
		})
	}
}

func benchRooms(b *testing.B, content *content.Bundle, rooms int) {
	cfg := testConfig()
	cfg.Shards = 1
	cfg.TickRates = map[string]int{ModeRaid: 30}
	cfg.InboxSize = 64
	// The benchmark's clock is synthetic and runs ahead of the wall clock
	// that stamps a new room's waiting deadline.
	cfg.WaitDeadline = 1000 * time.Hour
	// Ticks come faster than wall time here, and the input rate limit and
	// slow-consumer close count in wall time and ticks respectively: turn
	// both off so no client is dropped for keeping the benchmark's pace.
	cfg.InputsPerTick, cfg.InputBurst, cfg.FloodLimit = 1e6, 1<<20, 1<<30
	cfg.SlowConsumerTicks = 1 << 30
	mem, _ := transport.NewMemNetwork(transport.LinkConfig{QueueLimit: 1 << 16})
	lc := transport.ServerConfig()
	lc.MaxPending, lc.AcceptQueue = 8*rooms+64, 8*rooms+64 // every client dials at once
	ml, _ := mem.Listen("room", lc)
	cfg.Listeners = []Listener{{Transport: "mem", Listener: ml}}
	s, err := New(cfg, content, discardSink{})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	// The rooms run on a shard of the benchmark's own, which it drives
	// itself (no goroutine of the server's steps them); their ticks are
	// timed into the server's heartbeat window, which nothing else drains
	// here (no lobby).
	sh := newShard(&s.env, 0)
	hist := &s.window
	now := time.Now()
	clock := func() time.Time { return now }

	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	heapBefore := ms.HeapAlloc
	// A raid ends (usually a wipe) after a couple of thousand ticks; a room
	// that ends is replaced, outside the timed section, so N rooms stay live.
	type liveRoom struct {
		r       *room
		clients []*benchClient
	}
	made, replaced := 0, 0
	var closed []*benchClient
	newRoom := func() liveRoom {
		seats, err := bot.Seats(content, ModeRaid, 8, uint64(made+1))
		if err != nil {
			b.Fatal(err)
		}
		spec := contract.RoomSpec{MatchID: fmt.Sprintf("m_bench_%d", made), Mode: ModeRaid, Seed: uint64(made)}
		spec.Seats = seatsFromBots(seats)
		made++
		rm, _, err := s.createRoomOn(spec, sh)
		if err != nil {
			b.Fatal(err)
		}
		tickets, _ := s.issueTickets(rm)
		lr := liveRoom{r: rm}
		for _, tk := range tickets {
			c, err := mem.Dialer("room", transport.ClientConfig()).Dial(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			_ = c.WriteFrame(netcode.AppendHello(nil, &netcode.Hello{Version: netcode.Version, Ticket: tk.Ticket}))
			bc := &benchClient{c: c, done: make(chan struct{})}
			go bc.read()
			lr.clients = append(lr.clients, bc)
		}
		return lr
	}
	// seat runs passes (at the same synthetic now: no room ticks) until
	// every room is full.
	seat := func(live []liveRoom) {
		deadline := time.Now().Add(30 * time.Second)
		for _, lr := range live {
			for lr.r.players.Load() < 8 {
				if time.Now().After(deadline) {
					b.Fatalf("room %s (%s) seated %d of 8; made %d rooms; registry %d; admissions %v", lr.r.id, lr.r.loadState(), lr.r.players.Load(), made, s.reg.len(), s.metricValue("pantheon_room_admissions_total", "ok"))
				}
				sh.pass(clock)
				time.Sleep(time.Millisecond) // let the readers queue their joins
			}
		}
	}
	live := make([]liveRoom, rooms)
	for i := range live {
		live[i] = newRoom()
	}
	seat(live)
	// replaceEnded swaps every ended room for a fresh, seated one.
	replaceEnded := func() {
		var fresh []liveRoom
		for i := range live {
			if live[i].r.loadState() == StateEnded || live[i].r.players.Load() < 8 {
				live[i].r.requestAbort(netcode.CodeRoomEnded, "replaced")
				replaced++
				for _, bc := range live[i].clients {
					bc.c.Close()
					closed = append(closed, bc)
				}
				live[i] = newRoom()
				fresh = append(fresh, live[i])
			}
		}
		seat(fresh)
	}
	step := time.Second / 30
	send := func() {
		for _, lr := range live {
			for _, bc := range lr.clients {
				bc.send()
			}
		}
	}
	// Warm up 60 ticks: rings, encoders and sims grow to their steady size.
	for i := 0; i < 60; i++ {
		send()
		now = now.Add(step)
		sh.pass(clock)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	heapWith := ms.HeapAlloc

	var drained [tickBuckets]uint64
	hist.drain(&drained)
	clear(drained[:])
	var ticked time.Duration
	cpu0 := proccpu.Time()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		replaceEnded()
		send()
		now = now.Add(step)
		b.StartTimer()
		t0 := time.Now()
		sh.pass(clock)
		ticked += time.Since(t0)
	}
	b.StopTimer()
	cpu := proccpu.Time() - cpu0
	// The replay record each live room holds: its encoded size is its
	// in-memory size to within a chunk and a header.
	var replayBytes, replayTicks int
	for _, lr := range live {
		sim := lr.r.eng.(*simEngine).sim
		raw, err := ecs.EncodeReplay(sim.Replay())
		if err != nil {
			b.Fatal(err)
		}
		replayBytes, replayTicks = replayBytes+len(raw), replayTicks+sim.Tick()
	}
	hist.drain(&drained)
	var roomTicks uint64
	for _, n := range drained {
		roomTicks += n
	}
	if roomTicks < uint64(b.N*rooms)*9/10 || roomTicks > uint64(b.N*rooms)*11/10 {
		b.Fatalf("%d room-ticks in %d periods of %d rooms, want one per room and period", roomTicks, b.N, rooms)
	}
	b.ReportMetric(float64(replaced)/float64(b.N), "replaced/op")
	perTick := float64(ticked.Nanoseconds()) / float64(roomTicks)
	b.ReportMetric(perTick, "ns/room-tick")
	b.ReportMetric(float64(quantile(&drained, 0.99).Nanoseconds()), "p99-tick-ns")
	b.ReportMetric(float64(step.Nanoseconds())/perTick, "rooms/core")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(roomTicks), "cpu-ns/room-tick")

	for _, lr := range live {
		for _, bc := range lr.clients {
			bc.c.Close()
			closed = append(closed, bc)
		}
	}
	for _, r := range s.reg.rooms() {
		r.requestAbort(netcode.CodeServerDraining, "benchmark over")
	}
	for s.reg.len() > 0 {
		now = now.Add(step)
		sh.pass(clock)
	}
	if err := s.Shutdown(); err != nil {
		b.Fatal(err)
	}
	for _, bc := range closed {
		<-bc.done
	}
	// Heap per room: the live heap with the rooms running (after warm-up,
	// 60 ticks) minus before they were created. It includes each room's sim
	// (and its replay record so far), snapshot ring, and 8 server-side
	// connections. A room's heap then grows by its replay record (inputs
	// and hashes, in 16 KiB chunks), which the match keeps to its end:
	// replay-bytes/room-tick.
	b.ReportMetric(float64(int64(heapWith)-int64(heapBefore))/float64(rooms), "heap-bytes/room")
	b.ReportMetric(float64(replayBytes)/float64(max(replayTicks, 1)), "replay-bytes/room-tick")
}

// discardSink drops results (a MemorySink would keep every replay alive
// and count it in the next run's heap).
type discardSink struct{}

func (discardSink) Submit(context.Context, contract.MatchRecord) error { return nil }
