package rating

import (
	"errors"
	"fmt"
	"math"
)

// ErrInvalid reports a malformed Rate call (no teams, an empty team, ranks of
// the wrong length, or a non-positive sigma).
var ErrInvalid = errors.New("rating: invalid input")

// Rating is one player's skill belief.
type Rating struct {
	Mu    float64 // mean skill
	Sigma float64 // standard deviation of the belief; > 0
}

// Ordinal is a conservative skill estimate for leaderboards: Mu - 3*Sigma.
func (r Rating) Ordinal() float64 { return r.Mu - 3*r.Sigma }

// Model holds the constants of the rating system. The zero value is not
// usable; start from DefaultModel.
type Model struct {
	// Mu is a new player's mean. Default 25.
	Mu float64
	// Sigma is a new player's uncertainty. Default 25/3.
	Sigma float64
	// Beta is the performance variance per player: the skill gap that gives
	// about a 76% chance of winning. Default Sigma/2.
	Beta float64
	// Kappa is the floor on the multiplicative sigma shrink per match, keeping
	// sigma positive. Default 0.0001.
	Kappa float64
	// Tau is the additive dynamics factor: sigma grows by it (in quadrature)
	// before each match so ratings keep moving. Default Mu/300; 0 disables it.
	Tau float64
}

// DefaultModel returns the constants of the paper and of OpenSkill.
func DefaultModel() Model {
	return Model{Mu: 25, Sigma: 25.0 / 3, Beta: 25.0 / 6, Kappa: 0.0001, Tau: 25.0 / 300}
}

// Validate reports whether the constants are usable.
func (m Model) Validate() error {
	switch {
	case !(m.Sigma > 0):
		return fmt.Errorf("rating: model: Sigma %v must be > 0", m.Sigma)
	case !(m.Beta > 0):
		return fmt.Errorf("rating: model: Beta %v must be > 0", m.Beta)
	case !(m.Kappa > 0):
		return fmt.Errorf("rating: model: Kappa %v must be > 0", m.Kappa)
	case m.Tau < 0:
		return fmt.Errorf("rating: model: Tau %v must be >= 0", m.Tau)
	case math.IsNaN(m.Mu) || math.IsInf(m.Mu, 0):
		return fmt.Errorf("rating: model: Mu %v must be finite", m.Mu)
	}
	return nil
}

// New returns a new player's rating.
func (m Model) New() Rating { return Rating{Mu: m.Mu, Sigma: m.Sigma} }

// Rate returns the ratings after one match. teams[i] are the players of team
// i and ranks[i] its finishing place: lower is better, equal ranks tie. The
// result has the shape of teams; the inputs are not modified. A match with a
// single team leaves mu unchanged (there is no opponent to learn from).
func (m Model) Rate(teams [][]Rating, ranks []int) ([][]Rating, error) {
	if len(teams) == 0 || len(ranks) != len(teams) {
		return nil, fmt.Errorf("%w: %d teams, %d ranks", ErrInvalid, len(teams), len(ranks))
	}
	type team struct {
		mu, sigma2 float64
		rank       int
	}
	ts := make([]team, len(teams))
	out := make([][]Rating, len(teams))
	for i, players := range teams {
		if len(players) == 0 {
			return nil, fmt.Errorf("%w: team %d is empty", ErrInvalid, i)
		}
		out[i] = make([]Rating, len(players))
		for j, p := range players {
			if !(p.Sigma > 0) {
				return nil, fmt.Errorf("%w: team %d player %d sigma %v", ErrInvalid, i, j, p.Sigma)
			}
			p.Sigma = math.Sqrt(p.Sigma*p.Sigma + m.Tau*m.Tau)
			out[i][j] = p
			ts[i].mu += p.Mu
			ts[i].sigma2 += p.Sigma * p.Sigma
		}
		ts[i].rank = ranks[i]
	}

	// c: the overall spread (equation in Algorithm 4).
	var c2 float64
	for _, t := range ts {
		c2 += t.sigma2 + m.Beta*m.Beta
	}
	c := math.Sqrt(c2)

	// sumQ[q]: sum of exp(mu_i/c) over teams finishing at or below q.
	// ties[q]: how many teams share q's rank.
	sumQ := make([]float64, len(ts))
	ties := make([]float64, len(ts))
	for q := range ts {
		for i := range ts {
			if ts[i].rank >= ts[q].rank {
				sumQ[q] += math.Exp(ts[i].mu / c)
			}
			if ts[i].rank == ts[q].rank {
				ties[q]++
			}
		}
	}

	for i, ti := range ts {
		expI := math.Exp(ti.mu / c)
		var omega, delta float64
		for q, tq := range ts {
			if tq.rank > ti.rank {
				continue
			}
			p := expI / sumQ[q]
			if q == i {
				omega += (1 - p) / ties[q]
			} else {
				omega -= p / ties[q]
			}
			delta += p * (1 - p) / ties[q]
		}
		gamma := math.Sqrt(ti.sigma2) / c
		omega *= ti.sigma2 / c
		delta *= gamma * ti.sigma2 / c2
		for j, p := range out[i] {
			share := p.Sigma * p.Sigma / ti.sigma2
			p.Mu += share * omega
			p.Sigma *= math.Sqrt(math.Max(1-share*delta, m.Kappa))
			out[i][j] = p
		}
	}
	return out, nil
}
