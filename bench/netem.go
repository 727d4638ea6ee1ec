package bench

import "errors"

// netem is the bench's loopback network impairment proxy (not yet built).
type netem struct{}

func newNetem(n Network, cfg Config) *netem { return &netem{} }

func (n *netem) udpFront(addr string) (string, error) {
	return "", errors.New("bench: network conditions not implemented yet")
}
func (n *netem) wsFront(u string) (string, error) {
	return "", errors.New("bench: network conditions not implemented yet")
}
func (n *netem) close() {}
