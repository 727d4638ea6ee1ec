package donburi

type World interface{}

func NewWorld() World { return nil }
