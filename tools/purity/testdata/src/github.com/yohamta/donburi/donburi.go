package donburi

type World interface{}

func NewWorld() World { return nil }

type Entry struct{}

type Query struct{}

func NewQuery() *Query { return &Query{} }

func (q *Query) Each(w World, fn func(*Entry)) {}

type ComponentType[T any] struct{ query *Query }

func NewComponentType[T any]() *ComponentType[T] { return &ComponentType[T]{} }

func (c *ComponentType[T]) Each(w World, fn func(*Entry)) {}

func (c *ComponentType[T]) Get(e *Entry) *T { return nil }
