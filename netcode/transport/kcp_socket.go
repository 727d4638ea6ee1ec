package transport

import (
	"net"
	"sync"
)

// pusher feeds kcp-go through its PacketPusher hook instead of letting
// kcp-go start its own reader: kcp-go's Linux client reader preallocates a
// recvmmsg batch of 256 packet buffers (~377 KiB per session, measured
// with BenchmarkKCPSessionCost); a client receives a handful of packets
// per tick, so one buffer and a plain ReadFrom loop keep a thousand bots
// in one process affordable. The client sockets (plain and sealed) share
// it; each says what a datagram is by its per-datagram function.
type pusher struct {
	pc   *net.UDPConn
	size int // read buffer bytes
	// each turns a datagram read into the packet handed to kcp-go (which
	// may alias it), or false to drop it; nil hands datagrams on as read.
	each func(d []byte) ([]byte, bool)

	mu      sync.Mutex
	fn      func(b []byte, addr net.Addr, err error)
	started bool
}

// SetPacketReceiver implements kcp.PacketPusher. The first call starts the
// reader goroutine; a nil fn (kcp-go closing the session) stops delivery.
// The goroutine ends when the socket is closed (kcp-go closes it, as the
// session owns it).
func (p *pusher) SetPacketReceiver(fn func(b []byte, addr net.Addr, err error)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fn = fn
	if fn != nil && !p.started {
		p.started = true
		go p.readLoop()
	}
}

func (p *pusher) readLoop() {
	buf := make([]byte, p.size)
	for {
		n, addr, err := p.pc.ReadFrom(buf)
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
		pkt := buf[:n]
		if p.each != nil {
			var ok bool
			if pkt, ok = p.each(pkt); !ok {
				continue
			}
		}
		fn(pkt, addr, nil)
	}
}

// pushSocket is a client's plaintext UDP socket, read through pusher.
type pushSocket struct {
	*net.UDPConn
	pusher
}

func newPushSocket(c *net.UDPConn) *pushSocket {
	return &pushSocket{UDPConn: c, pusher: pusher{pc: c, size: 1500}}
}

// SetPacketReceiver implements kcp.PacketPusher (see pusher).
func (p *pushSocket) SetPacketReceiver(fn func(b []byte, addr net.Addr, err error)) {
	p.pusher.SetPacketReceiver(fn)
}
