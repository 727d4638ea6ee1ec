package match

import (
	"math"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
)

// Member is one player of a ticket with the oracle they bring and their
// rating in the ticket's mode.
type Member struct {
	PlayerID string          `json:"player_id"`
	Mu       float64         `json:"mu"`
	Sigma    float64         `json:"sigma"`
	Oracle   contract.Oracle `json:"oracle"`
}

// Ticket is one queue entry: a solo player or a party that must stay on one
// team.
type Ticket struct {
	ID         string    `json:"id"`
	Mode       string    `json:"mode"`
	Members    []Member  `json:"members"`
	EnqueuedAt time.Time `json:"enqueued_at"`
}

// Rating is the ticket's rating for windowing and balancing: its members'
// mean Mu (0 for an empty ticket).
func (t Ticket) Rating() float64 {
	if len(t.Members) == 0 {
		return 0
	}
	var s float64
	for _, m := range t.Members {
		s += m.Mu
	}
	return s / float64(len(t.Members))
}

// Sigma is the deviation of the ticket's rating (the mean of its members'
// Mu): sqrt(sum of Sigma^2) / members, so a party's mean is more certain
// than any one member's (0 for an empty ticket).
func (t Ticket) Sigma() float64 {
	if len(t.Members) == 0 {
		return 0
	}
	var v float64
	for _, m := range t.Members {
		v += m.Sigma * m.Sigma
	}
	return math.Sqrt(v) / float64(len(t.Members))
}

// Hosts counts the members bringing a Host oracle.
func (t Ticket) Hosts() int {
	n := 0
	for _, m := range t.Members {
		if m.Oracle.Role == contract.RoleHost {
			n++
		}
	}
	return n
}

// PlayerIDs lists the ticket's players in member order.
func (t Ticket) PlayerIDs() []string {
	ids := make([]string, len(t.Members))
	for i, m := range t.Members {
		ids[i] = m.PlayerID
	}
	return ids
}
