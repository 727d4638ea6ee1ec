// Package connlimit caps the connections one source IP may hold open on a
// TCP listener. Wrap a net.Listener before handing it to http.Server (or
// any accept loop): a connection from an address already holding
// PerIP open connections is closed as soon as it is accepted, before a
// byte is read from it, and counted.
//
//	ln, _ := net.Listen("tcp", addr)
//	cl := connlimit.Wrap(ln, connlimit.Config{PerIP: 64})
//	srv := &http.Server{Handler: h, IdleTimeout: time.Minute}
//	go srv.Serve(cl)
//
// The count is per process and per listener; a connection is released
// when it is closed (by either side, through the wrapper's Close, which
// net/http and gorilla/websocket call on hijacked connections too).
package connlimit
