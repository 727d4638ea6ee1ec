package server

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
)

// nextKind reads frames from c until one of kind k, and returns it (a
// copy), failing after 10 s.
func nextKind(t *testing.T, c transport.Conn, k netcode.Kind) []byte {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		f, err := c.ReadFrame()
		if err != nil {
			t.Fatalf("waiting for kind %d: %v", k, err)
		}
		if got, _ := netcode.PeekKind(f); got == k {
			return bytes.Clone(f)
		}
	}
	t.Fatalf("no frame of kind %d in 10 s", k)
	return nil
}

// joined dials transport name and joins seat 0 of a new room; it returns
// the session after its welcome.
func joined(t *testing.T, h *harness, name, match string) (transport.Conn, []byte) {
	t.Helper()
	resp := h.create(battleSpec(match))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := h.dialer(name).Dial(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	hello := netcode.AppendHello(nil, &netcode.Hello{Version: netcode.Version, Ticket: resp.Seats[0].Ticket})
	if err := c.WriteFrame(hello); err != nil {
		t.Fatal(err)
	}
	return c, nextKind(t, c, netcode.KindWelcome)
}

// closedWith reads until an error frame and returns its code.
func closedWith(t *testing.T, c transport.Conn) netcode.Code {
	t.Helper()
	f := nextKind(t, c, netcode.KindError)
	var e netcode.ErrorFrame
	if err := netcode.DecodeError(f, &e); err != nil {
		t.Fatal(err)
	}
	return e.Code
}

// TestRepeatedHelloSameWelcome: a hello repeated after the welcome is
// answered with the same welcome (PROTOCOL.md 5.1), on both transports.
func TestRepeatedHelloSameWelcome(t *testing.T) {
	h := startHarness(t, testConfig(), scriptFactory(30, 0))
	for _, name := range []string{"kcp", "ws"} {
		t.Run(name, func(t *testing.T) {
			c, first := joined(t, h, name, "m_rehello_"+name)
			var w netcode.Welcome
			if err := netcode.DecodeWelcome(first, &w); err != nil {
				t.Fatal(err)
			}
			// The same hello again (as a client whose welcome was late).
			if err := c.WriteFrame(netcode.AppendHello(nil, &netcode.Hello{Version: netcode.Version, Ticket: "resent"})); err != nil {
				t.Fatal(err)
			}
			if again := nextKind(t, c, netcode.KindWelcome); !bytes.Equal(again, first) {
				t.Fatalf("second welcome differs:\n%x\n%x", again, first)
			}
		})
	}
}

// TestAckAheadIsProtocolError: an ack, or an input frame's ack_tick, for a
// tick the room has not reached closes the session with protocol_error
// (it would otherwise pin the seat to full snapshots).
func TestAckAheadIsProtocolError(t *testing.T) {
	h := startHarness(t, testConfig(), scriptFactory(30, 0))
	c, _ := joined(t, h, "ws", "m_ack_ahead")
	if err := c.WriteFrame(netcode.AppendAck(nil, 1<<32-1)); err != nil {
		t.Fatal(err)
	}
	if code := closedWith(t, c); code != netcode.CodeProtocolError {
		t.Fatalf("closed with %v, want protocol_error", code)
	}
	c2, _ := joined(t, h, "kcp", "m_ack_ahead2")
	in := &netcode.InputFrame{AckTick: 1 << 30, Inputs: []netcode.Input{{Seq: 1, CastSlot: -1}}}
	if err := c2.WriteFrame(netcode.AppendInputFrame(nil, in)); err != nil {
		t.Fatal(err)
	}
	if code := closedWith(t, c2); code != netcode.CodeProtocolError {
		t.Fatalf("input ack_tick ahead: closed with %v, want protocol_error", code)
	}
}

// TestKCPFramingErrorGetsErrorFrame: a zero length prefix after the
// welcome gets an error frame (protocol_error) before the session is
// dropped, as on WebSocket.
func TestKCPFramingErrorGetsErrorFrame(t *testing.T) {
	h := startHarness(t, testConfig(), scriptFactory(30, 0))
	c, _ := joined(t, h, "kcp", "m_kcp_zero")
	if err := c.WriteFrame(nil); err != nil { // a frame of length 0
		t.Fatal(err)
	}
	if code := closedWith(t, c); code != netcode.CodeProtocolError {
		t.Fatalf("closed with %v, want protocol_error", code)
	}
}

// TestWSTextFrameIsProtocolError: a WebSocket text message, as the first
// frame or after the welcome, gets error protocol_error.
func TestWSTextFrameIsProtocolError(t *testing.T) {
	h := startHarness(t, testConfig(), scriptFactory(30, 0))
	read := func(ws *websocket.Conn) netcode.Code {
		t.Helper()
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			mt, p, err := ws.ReadMessage()
			if err != nil {
				t.Fatalf("no error frame: %v", err)
			}
			if k, _ := netcode.PeekKind(p); mt == websocket.BinaryMessage && k == netcode.KindError {
				var e netcode.ErrorFrame
				if err := netcode.DecodeError(p, &e); err != nil {
					t.Fatal(err)
				}
				return e.Code
			}
		}
	}
	dial := func() *websocket.Conn {
		ws, resp, err := websocket.DefaultDialer.Dial(h.srv.PublicWSURL(), http.Header{})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		t.Cleanup(func() { ws.Close() })
		return ws
	}
	first := dial()
	if err := first.WriteMessage(websocket.TextMessage, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if code := read(first); code != netcode.CodeProtocolError {
		t.Fatalf("text first frame: %v", code)
	}
	resp := h.create(battleSpec("m_ws_text"))
	later := dial()
	hello := netcode.AppendHello(nil, &netcode.Hello{Version: netcode.Version, Ticket: resp.Seats[0].Ticket})
	if err := later.WriteMessage(websocket.BinaryMessage, hello); err != nil {
		t.Fatal(err)
	}
	if err := later.WriteMessage(websocket.TextMessage, []byte(`{"kind":"input"}`)); err != nil {
		t.Fatal(err)
	}
	if code := read(later); code != netcode.CodeProtocolError {
		t.Fatalf("text after the welcome: %v", code)
	}
}
