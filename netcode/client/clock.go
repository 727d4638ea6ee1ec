package client

import "time"

// clockSamples is how many recent pongs the offset estimate looks at.
const clockSamples = 8

// clock estimates round-trip time and the offset between the server's
// clock and this client's, NTP style: each pong gives rtt = receive -
// send and offset = server_time + rtt/2 - receive; the offset of the
// sample with the lowest rtt among the last few is the least skewed by
// queueing, and the smoothed rtt follows RFC 6298's 1/8 gain.
type clock struct {
	srtt    time.Duration
	samples [clockSamples]struct{ rtt, offset time.Duration }
	n       int
}

// observe records one pong; sendUs and recvUs are client Unix µs, serverUs
// the server's.
func (c *clock) observe(sendUs, recvUs, serverUs int64) {
	rtt := time.Duration(recvUs-sendUs) * time.Microsecond
	if rtt < 0 {
		return
	}
	off := time.Duration(serverUs+(recvUs-sendUs)/2-recvUs) * time.Microsecond
	if c.n == 0 {
		c.srtt = rtt
	} else {
		c.srtt += (rtt - c.srtt) / 8
	}
	c.samples[c.n%clockSamples] = struct{ rtt, offset time.Duration }{rtt, off}
	c.n++
}

// rtt returns the smoothed round-trip time, 0 before the first pong.
func (c *clock) rtt() time.Duration { return c.srtt }

// offset returns server clock minus client clock, 0 before the first pong.
func (c *clock) offset() time.Duration {
	best := -1
	for i := range min(c.n, clockSamples) {
		if best < 0 || c.samples[i].rtt < c.samples[best].rtt {
			best = i
		}
	}
	if best < 0 {
		return 0
	}
	return c.samples[best].offset
}

// timeSource is the clock of the client's ping timer and ack policy: the
// real one (wallClock) in production, a synthetic one in tests, which
// advance it by hand and so decide exactly when each timer fires.
type timeSource interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) timer
}

// timer is the part of *time.Timer the client uses.
type timer interface {
	Stop() bool
	Reset(d time.Duration) bool
}

// wallClock is the real time.
type wallClock struct{}

func (wallClock) Now() time.Time                            { return time.Now() }
func (wallClock) AfterFunc(d time.Duration, f func()) timer { return time.AfterFunc(d, f) }
