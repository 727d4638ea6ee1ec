// Package rating is a pure team rating system: the Weng-Lin Bayesian
// approximation with the Plackett-Luce model, the algorithm the OpenSkill
// libraries implement.
//
// Reference: Ruby C. Weng and Chih-Jen Lin, "A Bayesian Approximation Method
// for Online Ranking", Journal of Machine Learning Research 12 (2011)
// 267-300, Algorithm 4 (Plackett-Luce).
//
// A rating is a Gaussian belief about skill: Mu is the mean, Sigma the
// uncertainty. Rate takes the teams of one match with their ranks (0 is
// first; equal ranks are a draw) and returns the updated ratings. It does no
// I/O and keeps no state, so it is safe for concurrent use.
//
//	m := rating.DefaultModel()
//	a, b := m.New(), m.New()
//	out, err := m.Rate([][]rating.Rating{{a}, {b}}, []int{0, 1}) // a beat b
//	if err != nil { ... }
//	a, b = out[0][0], out[1][0] // a.Mu > 25 > b.Mu, both Sigmas smaller
package rating
