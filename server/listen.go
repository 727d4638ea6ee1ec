package server

import (
	"context"
	"fmt"

	"github.com/pantheon-oracles/pantheon/netcode/transport"
)

// netListener adapts a netcode transport listener to the server's listener.
type netListener struct {
	transport.Listener
	name string
}

func (l netListener) Transport() string { return l.name }
func (l netListener) Addr() string      { return l.Listener.Addr().String() }

// SealStats reports a sealing KCP listener's drops; zero for the others.
func (l netListener) SealStats() transport.SealStats {
	if sl, ok := l.Listener.(interface{ SealStats() transport.SealStats }); ok {
		return sl.SealStats()
	}
	return transport.SealStats{}
}

func (l netListener) Accept(ctx context.Context) (transport.Conn, error) {
	return l.Listener.Accept(ctx)
}

// listen binds the KCP and WebSocket listeners.
func (s *Server) listen() ([]listener, error) {
	base := transport.ServerConfig()
	base.HelloTimeout = s.cfg.HelloTimeout
	base.MaxPendingPerAddr, base.MaxPendingPerPrefix = s.cfg.PendingPerAddr, s.cfg.PendingPerPrefix
	kc := transport.DefaultKCPConfig(base)
	kc.Addr = s.cfg.KCPAddr
	kc.Keys = s.keys // per-seat keys (keys.go); nil: plaintext
	kl, err := transport.ListenKCP(kc)
	if err != nil {
		return nil, fmt.Errorf("server: kcp: %w", err)
	}
	ws, err := s.listenWS(base)
	if err != nil {
		kl.Close()
		return nil, err
	}
	return []listener{netListener{Listener: kl, name: "kcp"}, ws}, nil
}

// listenWS binds the WebSocket listener (path wsPath).
func (s *Server) listenWS(base transport.Config) (listener, error) {
	wc := transport.DefaultWSConfig(base)
	wc.AllowedOrigins = s.cfg.AllowedOrigins
	wc.OriginHint = "allow it with the room server's --ws-origins flag (pantheon room --ws-origins, pantheon dev --ws-origins; env PANTHEON_WS_ORIGINS)"
	wc.ConnsPerIP = s.cfg.ConnsPerIP
	wl, err := transport.ListenWS(s.cfg.WSAddr, wsPath, wc)
	if err != nil {
		return nil, fmt.Errorf("server: ws: %w", err)
	}
	return netListener{Listener: wl, name: "ws"}, nil
}
