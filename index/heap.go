package index

// Neighbor is a search result: a node id and its distance to the query
// (smaller is closer; see Metric).
type Neighbor struct {
	ID   uint32
	Dist float32
}

// less orders neighbours by distance, ties by id.
func less(a, b Neighbor) bool {
	return a.Dist < b.Dist || (a.Dist == b.Dist && a.ID < b.ID)
}

// minHeap is a binary heap of neighbours, closest on top. It is written out
// by hand (no container/heap interfaces) because it sits in the search loop.
type minHeap []Neighbor

func (h *minHeap) push(n Neighbor) {
	s := append(*h, n)
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !less(n, s[p]) {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = n
	*h = s
}

// pop removes and returns the closest neighbour. The heap must not be empty.
func (h *minHeap) pop() Neighbor {
	s := *h
	top := s[0]
	last := s[len(s)-1]
	s = s[:len(s)-1]
	n := len(s)
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && less(s[c+1], s[c]) {
			c++
		}
		if !less(s[c], last) {
			break
		}
		s[i] = s[c]
		i = c
	}
	if n > 0 {
		s[i] = last
	}
	*h = s
	return top
}

// maxHeap is a binary heap of neighbours, farthest on top.
type maxHeap []Neighbor

func (h *maxHeap) push(n Neighbor) {
	s := append(*h, n)
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !less(s[p], n) {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = n
	*h = s
}

// pop removes and returns the farthest neighbour. The heap must not be empty.
func (h *maxHeap) pop() Neighbor {
	s := *h
	top := s[0]
	last := s[len(s)-1]
	s = s[:len(s)-1]
	n := len(s)
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && less(s[c], s[c+1]) {
			c++
		}
		if !less(last, s[c]) {
			break
		}
		s[i] = s[c]
		i = c
	}
	if n > 0 {
		s[i] = last
	}
	*h = s
	return top
}

// drainSorted empties h into dst[:0] in ascending order (closest first) and
// returns dst.
func (h *maxHeap) drainSorted(dst []Neighbor) []Neighbor {
	n := len(*h)
	if cap(dst) < n {
		dst = make([]Neighbor, n)
	}
	dst = dst[:n]
	for i := n - 1; i >= 0; i-- {
		dst[i] = h.pop()
	}
	return dst
}
