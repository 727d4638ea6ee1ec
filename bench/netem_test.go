package bench

import (
	"bufio"
	"encoding/binary"
	"math"
	"net"
	"slices"
	"testing"
	"time"
)

// TestNetemUDP sends datagrams one way through the proxy and checks that
// what arrives was delayed by at least latency-jitter and by about the
// latency asked, and that losses and duplicates are within 5 sigma of the
// probabilities asked.
func TestNetemUDP(t *testing.T) {
	sink, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	const (
		n       = 2000
		latency = 40 * time.Millisecond
		jitter  = 10 * time.Millisecond
		loss    = 0.2
		dup     = 0.1
	)
	e := newNetem(Network{Latency: Duration(latency), Jitter: Duration(jitter), Loss: loss, Duplicate: dup, Seed: 42}, Config{})
	defer e.close()
	front, err := e.udpFront(sink.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("udp", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	type arrival struct {
		seq   uint32
		delay time.Duration
	}
	got := make(chan []arrival, 1)
	go func() {
		var out []arrival
		buf := make([]byte, 64)
		for {
			sink.SetReadDeadline(time.Now().Add(2 * time.Second))
			k, err := sink.Read(buf)
			if err != nil {
				got <- out
				return
			}
			if k == 12 {
				sent := time.Unix(0, int64(binary.BigEndian.Uint64(buf[4:12])))
				out = append(out, arrival{binary.BigEndian.Uint32(buf), time.Since(sent)})
			}
		}
	}()
	var msg [12]byte
	for i := range n {
		binary.BigEndian.PutUint32(msg[:], uint32(i))
		binary.BigEndian.PutUint64(msg[4:], uint64(time.Now().UnixNano()))
		if _, err := c.Write(msg[:]); err != nil {
			t.Fatal(err)
		}
		if i%10 == 9 {
			time.Sleep(time.Millisecond) // about 10,000/s: a swarm's rate, under the socket buffers
		}
	}
	arr := <-got
	seen := map[uint32]int{}
	var delays []time.Duration
	for _, a := range arr {
		seen[a.seq]++
		delays = append(delays, a.delay)
	}
	dups := len(arr) - len(seen)
	within := func(what string, k int, p float64, total int) {
		t.Helper()
		mean, sd := p*float64(total), math.Sqrt(p*(1-p)*float64(total))
		if math.Abs(float64(k)-mean) > 5*sd {
			t.Errorf("%s: %d of %d, asked %.0f%% (expected %.0f ± %.0f at 5 sigma)", what, k, total, 100*p, mean, 5*sd)
		}
	}
	within("lost", n-len(seen), loss, n)
	within("duplicated", dups, dup, len(seen))
	slices.Sort(delays)
	if len(delays) == 0 {
		t.Fatal("nothing arrived")
	}
	lo, med := delays[0], delays[len(delays)/2]
	if lo < latency-jitter-time.Millisecond {
		t.Errorf("a datagram arrived after %v, before latency-jitter %v", lo, latency-jitter)
	}
	// The median of latency ± uniform jitter is the latency; allow for a
	// loaded machine above it.
	if med < latency-jitter/2 || med > latency+30*time.Millisecond {
		t.Errorf("median one-way delay %v, asked %v ± %v", med, latency, jitter)
	}
	t.Logf("%d sent, %d arrived (%d distinct, %d duplicates), delay min %v median %v max %v", n, len(arr), len(seen), dups, lo, med, delays[len(delays)-1])
}

// TestNetemUDPReorder checks that held-back datagrams are overtaken.
func TestNetemUDPReorder(t *testing.T) {
	sink, _ := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	defer sink.Close()
	e := newNetem(Network{Latency: Duration(5 * time.Millisecond), Reorder: 0.2, Seed: 7}, Config{})
	defer e.close()
	front, err := e.udpFront(sink.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, _ := net.Dial("udp", front)
	defer c.Close()
	const n = 500
	type result struct{ got, inversions int }
	done := make(chan result, 1)
	go func() {
		buf := make([]byte, 8)
		prev, r := -1, result{}
		for r.got < n {
			sink.SetReadDeadline(time.Now().Add(2 * time.Second))
			k, err := sink.Read(buf)
			if err != nil || k != 2 {
				break
			}
			r.got++
			seq := int(buf[0])<<8 | int(buf[1])
			if seq < prev {
				r.inversions++
			}
			prev = max(prev, seq)
		}
		done <- r
	}()
	for i := range n {
		c.Write([]byte{byte(i >> 8), byte(i)})
		time.Sleep(200 * time.Microsecond)
	}
	r := <-done
	got, inversions := r.got, r.inversions
	if got != n {
		t.Fatalf("%d of %d arrived with no loss asked", got, n)
	}
	if inversions < n/20 {
		t.Errorf("%d datagrams overtaken of %d with 20%% reordering", inversions, n)
	}
}

// TestNetemTCP runs a ping-pong over the TCP front and checks that each
// round trip took about twice the latency, in order, with nothing lost.
func TestNetemTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadBytes('\n')
			if err != nil {
				return
			}
			c.Write(line)
		}
	}()
	const latency = 25 * time.Millisecond
	e := newNetem(Network{Latency: Duration(latency), Jitter: Duration(5 * time.Millisecond), Loss: 0.5, Seed: 1}, Config{})
	defer e.close()
	front, err := e.wsFront("ws://" + ln.Addr().String() + "/v1/play")
	if err != nil {
		t.Fatal(err)
	}
	u := front[len("ws://"):]
	u = u[:len(u)-len("/v1/play")]
	c, err := net.Dial("tcp", u)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	var rtts []time.Duration
	for i := range 20 {
		start := time.Now()
		msg := []byte{byte('a' + i), '\n'}
		c.Write(msg)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := r.ReadBytes('\n')
		if err != nil || line[0] != msg[0] {
			t.Fatalf("round %d: %q %v (TCP must not lose or reorder)", i, line, err)
		}
		rtts = append(rtts, time.Since(start))
	}
	slices.Sort(rtts)
	if rtts[0] < 2*(latency-5*time.Millisecond)-time.Millisecond || rtts[len(rtts)/2] > 2*latency+40*time.Millisecond {
		t.Errorf("round trips %v, asked 2 x %v ± 5ms", rtts, latency)
	}
}

func TestNetemRefusesOtherHosts(t *testing.T) {
	e := newNetem(Network{Latency: Duration(time.Millisecond)}, Config{})
	defer e.close()
	if _, err := e.udpFront("10.1.2.3:7000"); err == nil {
		t.Error("proxied a non-loopback address")
	}
}
