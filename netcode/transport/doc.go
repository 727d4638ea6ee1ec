// Package transport carries netcode frames over KCP (kcp-go, UDP),
// WebSocket (gorilla/websocket) and an in-memory lossy network for tests,
// behind one small interface: a Listener hands out Conns, a Dialer opens
// them, and a Conn reads and writes whole frames. Shared code never asks
// which transport it has.
//
// Every listener runs the same admission gate: a new session must send a
// well-formed hello or resume within Config.HelloTimeout; at most
// Config.MaxPending sessions may be waiting for theirs, MaxPendingPerAddr
// from one source address and MaxPendingPerPrefix from one /24 or /64
// (more are closed at once), yet a source holding none always gets in, by
// evicting the oldest waiting session of the source holding the most; and
// Accept only ever sees admitted sessions, whose first ReadFrame returns
// that hello. KCP sessions run with small windows until their hello
// arrives. This is what bounds a half-open KCP flood
// (kcp-go creates a session for any datagram from a new address).
//
// Server side:
//
//	kc := transport.DefaultKCPConfig(transport.ServerConfig())
//	kc.Addr, kc.Key = ":7000", aesKey // key optional: AES-GCM on every datagram
//	kl, err := transport.ListenKCP(kc)
//	wl, err := transport.ListenWS(":7001", "/v1/play", transport.DefaultWSConfig(transport.ServerConfig()))
//	for _, ln := range []transport.Listener{kl, wl} {
//		go func() {
//			for {
//				conn, err := ln.Accept(ctx)
//				if err != nil { return }
//				go serve(conn) // conn.ReadFrame() first returns the hello
//			}
//		}()
//	}
//
// A server writing many conns from one goroutine uses TryWriter where a
// conn has it (server WebSocket conns on Linux, the in-memory transport):
// TryWriteFrames sends several frames in one writev without waiting and
// says what it could not take, for a goroutine that may wait to finish
// with Flush. KCP conns do not have it (kcp-go's Write waits when the send
// window is full and has no try path).
//
// Client side:
//
//	d := transport.KCPDialer{Addr: addr, Config: transport.DefaultKCPConfig(transport.ClientConfig())}
//	conn, err := d.Dial(ctx)
//	err = conn.WriteFrame(netcode.AppendHello(nil, &hello))
//
// Tests use the in-memory network:
//
//	mn, _ := transport.NewMemNetwork(transport.LinkConfig{Loss: 0.05, Latency: 20 * time.Millisecond, Seed: 1})
//	ln, _ := mn.Listen("room", transport.ServerConfig())
//	conn, _ := mn.Dialer("room", transport.ClientConfig()).Dial(ctx)
package transport
