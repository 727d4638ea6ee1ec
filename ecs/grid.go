package ecs

// grid is a uniform spatial hash of one team's living entities, rebuilt
// every tick by counting sort into flat arrays (no allocation once the
// arrays have grown). Area effects and target searches visit only the cells
// a circle overlaps, so a 40-player, 400-NPC raid costs about O(n) per tick
// rather than O(n²). Within a cell, items keep the order they were added in
// (the fixed query order), so every search visits candidates in a fixed
// order. Searches see positions as of the start of the tick.
type grid struct {
	cell       int32 // cell side, mm
	cols, rows int32
	start      []int32 // start[c]..start[c+1] index items of cell c
	fill       []int32 // scratch for the counting sort
	items      []gridItem
	pending    []gridItem // this tick's items before sorting
	maxRadius  int32      // the largest item radius: queries widen by it
}

// gridItem is one entity in the grid, with the fields searches filter on
// copied in so they need not touch components.
type gridItem struct {
	slot   int32
	x, y   int32
	radius int32
	kind   Kind
}

// init sizes the grid for a w x h mm arena.
func (g *grid) init(w, h, cell int32) {
	g.cell = cell
	g.cols = w/cell + 1
	g.rows = h/cell + 1
	n := g.cols * g.rows
	g.start = make([]int32, n+1)
	g.fill = make([]int32, n)
	g.items = make([]gridItem, 0, 64)
	g.pending = make([]gridItem, 0, 64)
}

func (g *grid) cellOf(x, y int32) int32 {
	cx := clamp(x/g.cell, 0, g.cols-1)
	cy := clamp(y/g.cell, 0, g.rows-1)
	return cy*g.cols + cx
}

// reset empties the grid before this tick's adds.
func (g *grid) reset() { g.pending = g.pending[:0] }

// add queues one entity; build sorts the queued entities into cells.
func (g *grid) add(it gridItem) { g.pending = append(g.pending, it) }

// build sorts the pending items into cells, stably.
func (g *grid) build() {
	clear(g.start)
	g.maxRadius = 0
	for _, it := range g.pending {
		g.start[g.cellOf(it.x, it.y)+1]++
		g.maxRadius = max(g.maxRadius, it.radius)
	}
	for c := 1; c < len(g.start); c++ {
		g.start[c] += g.start[c-1]
	}
	copy(g.fill, g.start[:len(g.fill)])
	if cap(g.items) < len(g.pending) {
		g.items = make([]gridItem, len(g.pending), cap(g.pending))
	}
	g.items = g.items[:len(g.pending)]
	for _, it := range g.pending {
		c := g.cellOf(it.x, it.y)
		g.items[g.fill[c]] = it
		g.fill[c]++
	}
}

// query appends to dst the slots of items whose body overlaps the circle
// (x, y, r), in cell order then the order items were added, and returns dst.
func (g *grid) query(x, y, r int32, dst []int32) []int32 {
	reach := r + g.maxRadius // an item's body can reach in from a farther cell
	x0, x1 := clamp((x-reach)/g.cell, 0, g.cols-1), clamp((x+reach)/g.cell, 0, g.cols-1)
	y0, y1 := clamp((y-reach)/g.cell, 0, g.rows-1), clamp((y+reach)/g.cell, 0, g.rows-1)
	for cy := y0; cy <= y1; cy++ {
		for cx := x0; cx <= x1; cx++ {
			c := cy*g.cols + cx
			for _, it := range g.items[g.start[c]:g.start[c+1]] {
				if within(x, y, it.x, it.y, r+it.radius) {
					dst = append(dst, it.slot)
				}
			}
		}
	}
	return dst
}

// nearest returns the slot of the item closest to (x, y) within r (ties to
// the lower slot), or -1. want filters by kind; nil accepts every kind. It
// searches outward ring by ring of cells and stops once no farther ring can
// hold anything as close, so it finds exactly what a full scan would.
func (g *grid) nearest(x, y, r int32, want func(Kind) bool) int32 {
	cx, cy := clamp(x/g.cell, 0, g.cols-1), clamp(y/g.cell, 0, g.rows-1)
	rings := r/g.cell + 1
	best, bestD := int32(-1), int64(r)*int64(r)+1
	for k := int32(0); k <= rings; k++ {
		for yy := cy - k; yy <= cy+k; yy++ {
			if yy < 0 || yy >= g.rows {
				continue
			}
			step := int32(1)
			if yy != cy-k && yy != cy+k {
				step = 2 * k // only the ring's left and right cells
			}
			for xx := cx - k; xx <= cx+k; xx += max(step, 1) {
				if xx < 0 || xx >= g.cols {
					continue
				}
				c := yy*g.cols + xx
				for _, it := range g.items[g.start[c]:g.start[c+1]] {
					if want != nil && !want(it.kind) {
						continue
					}
					d := dist2(x, y, it.x, it.y)
					if d < bestD || d == bestD && it.slot < best {
						best, bestD = it.slot, d
					}
				}
			}
		}
		// Everything in ring k+1 is at least k cells away from (x, y).
		if edge := int64(k) * int64(g.cell); best >= 0 && bestD < edge*edge {
			break
		}
	}
	return best
}

// buildGrids rebuilds both teams' grids from the living mortal entities.
func (s *Sim) buildGrids() {
	s.grids[0].reset()
	s.grids[1].reset()
	for e := range s.q.mortal.Iter(s.world) {
		t := tagC.Get(e)
		if !t.active || t.team < 0 || t.team > 1 || vitalsC.Get(e).hp <= 0 {
			continue
		}
		b := bodyC.Get(e)
		s.grids[t.team].add(gridItem{slot: t.slot, x: b.x, y: b.y, radius: b.radius, kind: t.kind})
	}
	s.grids[0].build()
	s.grids[1].build()
}
