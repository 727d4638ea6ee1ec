package ecs

// Fixed-point arithmetic. Positions are int32 millimetres, times are ticks,
// energy is milli-energy; nothing in the simulation is a float.

// mmPerCm converts content and wire centimetres to sim millimetres.
const mmPerCm = 10

// msToTicks converts a content duration to ticks at hz, rounding up so that
// any positive duration lasts at least one tick.
func msToTicks(ms, hz int32) int32 {
	if ms <= 0 {
		return 0
	}
	return int32((int64(ms)*int64(hz) + 999) / 1000)
}

// perTick converts a per-second rate (scaled by scale) to a per-tick rate.
func perTick(perSecond, scale, hz int32) int32 {
	return int32(int64(perSecond) * int64(scale) / int64(hz))
}

// pct scales v by p percent.
func pct(v, p int32) int32 { return int32(int64(v) * int64(p) / 100) }

// dist2 is the squared distance between two points in mm².
func dist2(ax, ay, bx, by int32) int64 {
	dx, dy := int64(ax)-int64(bx), int64(ay)-int64(by)
	return dx*dx + dy*dy
}

// within reports whether two points are at most r apart.
func within(ax, ay, bx, by, r int32) bool {
	return dist2(ax, ay, bx, by) <= int64(r)*int64(r)
}

// isqrt returns floor(sqrt(v)) for v >= 0 (Newton's method on integers).
func isqrt(v int64) int64 {
	if v <= 0 {
		return 0
	}
	x := v
	y := (x + 1) / 2
	for y < x {
		x = y
		y = (x + v/x) / 2
	}
	return x
}

// stepToward moves (x, y) at most step toward (tx, ty), stopping short of
// it by stop, and returns the new position.
func stepToward(x, y, tx, ty, step, stop int32) (int32, int32) {
	dx, dy := int64(tx)-int64(x), int64(ty)-int64(y)
	d := isqrt(dx*dx + dy*dy)
	if d <= int64(stop) || d == 0 {
		return x, y
	}
	move := min(int64(step), d-int64(stop))
	return x + int32(dx*move/d), y + int32(dy*move/d)
}

// clamp bounds v to [lo, hi].
func clamp(v, lo, hi int32) int32 { return max(lo, min(v, hi)) }

// tanTable holds tan(k/256 turn) * 65536 for k = 0..32 (the first octant).
// It is a read-only table.
var tanTable = [33]int64{0, 1609, 3220, 4834, 6455, 8083, 9721, 11372, 13036, 14717,
	16416, 18136, 19880, 21650, 23449, 25280, 27146, 29050, 30996, 32988, 35030,
	37126, 39281, 41500, 43790, 46156, 48605, 51145, 53784, 56532, 59398, 62395, 65536}

// facingOf returns the direction of (dx, dy) in 1/256 turns, 0 along +x and
// 64 along +y, to the nearest step. (0, 0) faces 0.
func facingOf(dx, dy int32) uint8 {
	ax, ay := int64(dx), int64(dy)
	if ax < 0 {
		ax = -ax
	}
	if ay < 0 {
		ay = -ay
	}
	if ax == 0 && ay == 0 {
		return 0
	}
	swap := ay > ax
	if swap {
		ax, ay = ay, ax
	}
	t := ay * 65536 / ax // tan of the angle within the octant
	k := 0
	for lo, hi := 0, 32; lo <= hi; {
		mid := (lo + hi) / 2
		if tanTable[mid] <= t {
			k = mid
			lo = mid + 1
		} else {
			hi = mid - 1
		}
	}
	if k < 32 && tanTable[k+1]-t < t-tanTable[k] {
		k++
	}
	a := k
	if swap {
		a = 64 - k
	}
	switch {
	case dx >= 0 && dy >= 0:
	case dx < 0 && dy >= 0:
		a = 128 - a
	case dx < 0:
		a = 128 + a
	default:
		a = 256 - a
	}
	return uint8(a & 255)
}
