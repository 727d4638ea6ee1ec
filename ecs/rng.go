package ecs

import "math/bits"

// rng is the match's one random number generator: xoshiro256** seeded
// through splitmix64. It is part of the sim state (hashed every tick), and
// every draw happens in a fixed order inside Step, so a seed and the inputs
// fix every roll.
type rng struct {
	s [4]uint64
}

// newRNG seeds the generator; any seed, including 0, gives a usable state.
func newRNG(seed uint64) rng {
	var r rng
	x := seed
	for i := range r.s {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		r.s[i] = z ^ (z >> 31)
	}
	return r
}

// next returns 64 uniformly random bits.
func (r *rng) next() uint64 {
	result := bits.RotateLeft64(r.s[1]*5, 7) * 9
	t := r.s[1] << 17
	r.s[2] ^= r.s[0]
	r.s[3] ^= r.s[1]
	r.s[1] ^= r.s[2]
	r.s[0] ^= r.s[3]
	r.s[2] ^= t
	r.s[3] = bits.RotateLeft64(r.s[3], 45)
	return result
}

// intn returns a uniform integer in [0, n); n must be positive.
// Lemire's multiply-and-reject method: no modulo bias.
func (r *rng) intn(n int32) int32 {
	if n <= 0 {
		panic("ecs: rng.intn with n <= 0")
	}
	bound := uint64(n)
	hi, lo := bits.Mul64(r.next(), bound)
	if lo < bound {
		threshold := -bound % bound
		for lo < threshold {
			hi, lo = bits.Mul64(r.next(), bound)
		}
	}
	return int32(hi)
}

// between returns a uniform integer in [lo, hi]; lo <= hi.
func (r *rng) between(lo, hi int32) int32 {
	return lo + r.intn(hi-lo+1)
}
