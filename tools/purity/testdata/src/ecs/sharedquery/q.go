package sharedquery

import "github.com/yohamta/donburi"

type pos struct{ x, y int32 }

var posC = donburi.NewComponentType[pos]() // a component type is fine

var everyone = donburi.NewQuery() // want `package-level donburi query everyone is shared by every world`

type sim struct {
	w donburi.World
	q *donburi.Query // a query per Sim is fine
}

func (s *sim) step() {
	posC.Each(s.w, func(e *donburi.Entry) {}) // want `ComponentType.Each uses the component type's one query`
	s.q.Each(s.w, func(e *donburi.Entry) { _ = posC.Get(e) })
	everyone.Each(s.w, func(*donburi.Entry) {})
}
