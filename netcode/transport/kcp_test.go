package transport

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/xtaci/kcp-go/v5"
)

// kcpPush builds a raw KCP data segment (kcp-go's wire layout, little
// endian): conv, cmd 81 (push), frg 0, wnd, ts, sn, una, len, data.
func kcpPush(conv, sn uint32, data []byte) []byte {
	p := binary.LittleEndian.AppendUint32(nil, conv)
	p = append(p, 81, 0)
	p = binary.LittleEndian.AppendUint16(p, 128)
	p = binary.LittleEndian.AppendUint32(p, 0)
	p = binary.LittleEndian.AppendUint32(p, sn)
	p = binary.LittleEndian.AppendUint32(p, 0)
	p = binary.LittleEndian.AppendUint32(p, uint32(len(data)))
	return append(p, data...)
}

// TestKCPSplitsLargeWrites records the kcp-go v5.7.5 behaviour the
// framing exists for: one Write larger than the MSS reaches the peer as
// several messages, so a single Read never returns the whole write.
func TestKCPSplitsLargeWrites(t *testing.T) {
	l, err := kcp.ListenWithOptions("127.0.0.1:0", nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := kcp.DialWithOptions(l.Addr().String(), nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := bytes.Repeat([]byte{7}, 5000)
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	_ = l.SetDeadline(time.Now().Add(5 * time.Second))
	s, err := l.AcceptKCP()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_ = s.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64<<10)
	n, err := s.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if n >= len(msg) {
		t.Fatalf("a %d-byte write arrived in one read: framing would be unnecessary", len(msg))
	}
	t.Logf("kcp-go: a %d-byte Write arrived as a first message of %d bytes (MSS %d at the default MTU)", len(msg), n, 1400-24)
}

// TestKCPSpoofedResetNeedsEncryption records why sealing exists: on a
// plaintext listener one packet with another conversation id and sn 0 from
// a live session's address closes that session (kcp-go replaces it); on a
// sealing listener the same packet is dropped before KCP and the session
// lives on.
func TestKCPSpoofedResetNeedsEncryption(t *testing.T) {
	for _, key := range [][]byte{nil, testKey} {
		name := "plaintext"
		if key != nil {
			name = "sealed"
		}
		t.Run(name, func(t *testing.T) {
			cfg := DefaultKCPConfig(ServerConfig())
			cfg.Addr, cfg.Key = "127.0.0.1:0", key
			kl, err := ListenKCP(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer kl.Close()
			// The client owns its UDP socket so the test can also send
			// from the very same address, as a spoofer would.
			udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			var pc net.PacketConn = udp
			if key != nil {
				if pc, err = newSealedDialConn(udp, key); err != nil {
					t.Fatal(err)
				}
			}
			sess, err := kcp.NewConn3(1234, kl.Addr(), nil, 0, 0, pc)
			if err != nil {
				t.Fatal(err)
			}
			dc := DefaultKCPConfig(ClientConfig())
			dc.tune(sess)
			c := newKCPConn(sess, &dc)
			defer func() { c.Close(); udp.Close() }()
			if err := c.WriteFrame(hello()); err != nil {
				t.Fatal(err)
			}
			s, err := kl.Accept(ctxT(t))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.ReadFrame(); err != nil {
				t.Fatal(err)
			}
			if _, err := udp.WriteTo(kcpPush(999, 0, nil), kl.Addr()); err != nil {
				t.Fatal(err)
			}
			// The spoof has been processed once a frame the real client
			// sends afterwards has been (same socket, same order).
			_ = c.WriteFrame(netcode.AppendAck(nil, 1))
			_, err = s.ReadFrame()
			if key == nil {
				if !errors.Is(err, ErrClosed) && !errors.Is(err, ErrIdle) {
					t.Fatalf("plaintext session survived a spoofed reset: %v", err)
				}
				t.Logf("kcp-go, plaintext: a spoofed conv-change packet closed the live session (%v)", err)
				return
			}
			if err != nil {
				t.Fatalf("sealed session was reset by an unauthenticated packet: %v", err)
			}
		})
	}
}

// TestKCPHalfOpenFlood: hundreds of addresses each send one KCP packet and
// never a hello. Sessions awaiting hello stay under MaxPending, the rest are
// closed at once, all are gone after the hello timeout, memory stays
// bounded, and a real client is admitted afterwards.
func TestKCPHalfOpenFlood(t *testing.T) {
	cfg := DefaultKCPConfig(ServerConfig())
	// The flood must outpace the hello timeout for the pending cap to be
	// reached: 300 datagrams take milliseconds, the timeout is 2 s.
	cfg.Addr, cfg.HelloTimeout, cfg.MaxPending, cfg.Linger = "127.0.0.1:0", 2*time.Second, 32, 0
	kl, err := ListenKCP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer kl.Close()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	estab := kcp.DefaultSnmp.Copy().CurrEstab
	const flood = 300
	var socks []*net.UDPConn
	defer func() {
		for _, s := range socks {
			s.Close()
		}
	}()
	partial := []byte{0, 0, 0, 100, 1, 2} // a frame header promising 100 bytes, never completed
	for i := range flood {
		// Each from its own address, in 127.0.3.0/24 and 127.0.4.0/24: the
		// real client below (127.0.0.1) holds no slot and must get one.
		u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 3+byte(i/250), 1+byte(i%250))})
		if err != nil {
			t.Fatal(err)
		}
		socks = append(socks, u)
		if _, err := u.WriteTo(kcpPush(uint32(i+1), 0, partial), kl.Addr()); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 10*time.Second, "every flood session refused or timed out", func() bool {
		st := kl.Stats()
		return st.Refused()+st.Evicted > 0 && st.HelloTimeouts > 0 && kcp.DefaultSnmp.Copy().CurrEstab <= estab
	})
	st := kl.Stats()
	// Loopback UDP may drop some of the flood before kcp-go reads it, so
	// the sessions refused and timed out add up to at most the flood.
	if st.Admitted != 0 || st.BadHellos != 0 || st.OverPending+st.HelloTimeouts > flood {
		t.Fatalf("stats %+v: want none admitted or bad, at most %d sessions refused or timed out", st, flood)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("flood of %d addresses: %+v; heap in use grew %d KiB", flood, st, grown/1024)
	if grown > 16<<20 {
		t.Fatalf("heap grew %d MiB after the flood was cleared", grown>>20)
	}
	dc := DefaultKCPConfig(ClientConfig())
	c, s := connect(t, rig{"kcp", kl, KCPDialer{Addr: kl.Addr().String(), Config: dc}})
	c.Close()
	s.Close()
}

// TestKCPEncryptedIgnoresGarbage: with sealing, datagrams that do not
// authenticate never become sessions.
func TestKCPEncryptedIgnoresGarbage(t *testing.T) {
	cfg := DefaultKCPConfig(ServerConfig())
	cfg.Addr, cfg.Key = "127.0.0.1:0", testKey // the default hello timeout: a slow run must not time the real client out
	kl, err := ListenKCP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer kl.Close()
	u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	for i := range 200 {
		_, _ = u.WriteTo(kcpPush(uint32(i), 0, bytes.Repeat([]byte{byte(i)}, i)), kl.Addr())
	}
	// A real encrypted client sent after the garbage is the first and
	// only session the listener sees.
	dc := DefaultKCPConfig(ClientConfig())
	dc.Key = testKey
	c, s := connect(t, rig{"kcp-aes", kl, KCPDialer{Addr: kl.Addr().String(), Config: dc}})
	defer c.Close()
	defer s.Close()
	if st := kl.Stats(); st.Admitted != 1 || st.HelloTimeouts != 0 || st.BadHellos != 0 || st.Refused() != 0 {
		t.Fatalf("garbage reached the gate: %+v", st)
	}
}
