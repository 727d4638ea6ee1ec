package connlimit

import (
	"net"
	"net/netip"
	"testing"
	"time"
)

// TestPerIPCap: the third connection from one address is closed unread;
// another address still gets in; closing a connection frees its slot.
func TestPerIPCap(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedFrom := make(chan netip.Addr, 8)
	cl := Wrap(ln, Config{PerIP: 2, OnRefuse: func(a netip.Addr) { refusedFrom <- a }})
	defer cl.Close()
	accepted := make(chan net.Conn, 8)
	go func() {
		for {
			c, err := cl.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	dial := func(src string) net.Conn {
		t.Helper()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		c, err := d.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	wait := func() net.Conn {
		t.Helper()
		select {
		case c := <-accepted:
			return c
		case <-time.After(10 * time.Second):
			t.Fatal("no connection accepted")
		}
		return nil
	}
	a1, a2 := dial("127.0.0.1"), dial("127.0.0.1")
	s1, _ := wait(), wait()
	a3 := dial("127.0.0.1")
	select {
	case got := <-refusedFrom:
		if got != netip.MustParseAddr("127.0.0.1") {
			t.Fatalf("refused %v", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("third connection from one address was not refused")
	}
	// The refused connection reads EOF.
	_ = a3.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := a3.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("refused connection read %d, %v", n, err)
	}
	b := dial("127.0.0.2")
	wait()
	if got := cl.OpenFrom(netip.MustParseAddr("127.0.0.1")); got != 2 {
		t.Fatalf("open from 127.0.0.1 = %d, want 2", got)
	}
	if cl.Open() != 3 || cl.Refused() != 1 {
		t.Fatalf("open %d refused %d, want 3 and 1", cl.Open(), cl.Refused())
	}
	s1.Close()
	s1.Close() // a second Close must not release twice
	if got := cl.OpenFrom(netip.MustParseAddr("127.0.0.1")); got != 1 {
		t.Fatalf("after close: open from 127.0.0.1 = %d, want 1", got)
	}
	a4 := dial("127.0.0.1")
	wait()
	for _, c := range []net.Conn{a1, a2, a3, a4, b} {
		c.Close()
	}
}

// TestExempt: an exempt address is counted but never refused.
func TestExempt(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := Wrap(ln, Config{PerIP: 1, Exempt: func(netip.Addr) bool { return true }})
	defer cl.Close()
	var clients []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
		s, err := cl.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
	}
	if cl.Refused() != 0 || cl.Open() != 3 {
		t.Fatalf("refused %d open %d", cl.Refused(), cl.Open())
	}
	for _, c := range clients {
		c.Close()
	}
}
