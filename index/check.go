package index

func (g *Graph) Check() error { return nil }
