package transport

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/pantheon-oracles/pantheon/netcode"
)

// TestWSTryWriteFrames: a server conn's TryWriteFrames sends frames whole
// in one go while the socket has room, takes nothing more once a client
// stops reading fills it (holding the rest of a frame cut short), and
// after Flush and blocking writes every frame arrives intact and in
// order.
func TestWSTryWriteFrames(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the raw writev path is Linux only")
	}
	cfg := DefaultWSConfig(ServerConfig())
	wl, err := ListenWS("127.0.0.1:0", "/v1/play", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer wl.Close()
	cc := DefaultWSConfig(ClientConfig())
	cli, err := WSDialer{URL: "ws://" + wl.Addr().String() + "/v1/play", Config: cc}.Dial(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if err := cli.WriteFrame(netcode.AppendHello(nil, &netcode.Hello{Version: netcode.Version, Ticket: "t"})); err != nil {
		t.Fatal(err)
	}
	srv, err := wl.Accept(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tw, ok := srv.(TryWriter)
	if !ok {
		t.Fatal("an accepted WebSocket conn is not a TryWriter")
	}
	// Frames of every header size; the client reads nothing yet.
	frame := func(i int) []byte {
		n := []int{10, 125, 126, 300, 65535, 65536, 200000}[i%7]
		p := bytes.Repeat([]byte{byte(i)}, n)
		return append(fmt.Appendf(nil, "%08d", i), p...)
	}
	var sent [][]byte
	n, err := tw.TryWriteFrames([][]byte{frame(0), frame(1)})
	if n != 2 || err != nil {
		t.Fatalf("first batch: took %d, %v", n, err)
	}
	sent = append(sent, frame(0), frame(1))
	blocked := false
	for i := 2; i < 400 && !blocked; i += 3 {
		batch := [][]byte{frame(i), frame(i + 1), frame(i + 2)}
		n, err := tw.TryWriteFrames(batch)
		sent = append(sent, batch[:n]...)
		switch {
		case errors.Is(err, ErrWouldBlock):
			blocked = true
			if n2, err := tw.TryWriteFrames([][]byte{frame(1000)}); n2 != 0 || !errors.Is(err, ErrWouldBlock) {
				t.Fatalf("a blocked conn took %d frames, %v", n2, err)
			}
			// The rest goes the waiting way, after Flush.
			rest := batch[n:]
			var wg sync.WaitGroup
			wg.Go(func() {
				if err := tw.Flush(); err != nil {
					t.Error(err)
				}
				for _, f := range rest {
					if err := srv.WriteFrame(f); err != nil {
						t.Error(err)
					}
				}
			})
			sent = append(sent, rest...)
			for j, want := range sent {
				got, err := cli.ReadFrame()
				if err != nil {
					t.Fatalf("frame %d: %v", j, err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("frame %d: %d bytes %.8q, want %d bytes %.8q", j, len(got), got, len(want), want)
				}
			}
			wg.Wait()
		case err != nil:
			t.Fatal(err)
		}
	}
	if !blocked {
		t.Fatal("the socket never filled")
	}
	// Unblocked again: a try goes through whole.
	if n, err := tw.TryWriteFrames([][]byte{frame(7)}); n != 1 || err != nil {
		t.Fatalf("after the drain: took %d, %v", n, err)
	}
	if got, err := cli.ReadFrame(); err != nil || !bytes.Equal(got, frame(7)) {
		t.Fatalf("after the drain: %d bytes, %v", len(got), err)
	}
}
