package transport

import (
	"net"
	"sync"
)

// pushSocket is a client's UDP socket that feeds kcp-go through its
// PacketPusher hook instead of letting kcp-go start its own reader.
// kcp-go's Linux client reader preallocates a recvmmsg batch of 256
// packet buffers (~377 KiB per session, measured with
// BenchmarkKCPSessionCost); a client receives a handful of packets per
// tick, so one 1500-byte buffer and a plain ReadFrom loop keep a thousand
// bots in one process affordable.
type pushSocket struct {
	*net.UDPConn
	mu      sync.Mutex
	fn      func(b []byte, addr net.Addr, err error)
	started bool
	done    chan struct{}
}

func newPushSocket(c *net.UDPConn) *pushSocket {
	return &pushSocket{UDPConn: c, done: make(chan struct{})}
}

// SetPacketReceiver implements kcp.PacketPusher. The first call starts the
// reader goroutine; a nil fn (kcp-go closing the session) stops delivery.
// The goroutine ends when the socket is closed (kcp-go closes it, as the
// session owns it).
func (p *pushSocket) SetPacketReceiver(fn func(b []byte, addr net.Addr, err error)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fn = fn
	if fn != nil && !p.started {
		p.started = true
		go p.readLoop()
	}
}

func (p *pushSocket) readLoop() {
	defer close(p.done)
	buf := make([]byte, 1500)
	for {
		n, addr, err := p.ReadFrom(buf)
		p.mu.Lock()
		fn := p.fn
		p.mu.Unlock()
		if fn == nil {
			if err != nil {
				return
			}
			continue
		}
		if err != nil {
			fn(nil, nil, err)
			return
		}
		fn(buf[:n], addr, nil)
	}
}
