package index_test

import (
	"fmt"

	"github.com/vecbolt/vecbolt/index"
)

func Example() {
	g, err := index.New(2, index.L2, index.Options{Seed: 1})
	if err != nil {
		panic(err)
	}
	for _, v := range [][]float32{{0, 0}, {1, 0}, {0, 1}, {5, 5}, {1, 1}} {
		if _, err := g.Add(v); err != nil {
			panic(err)
		}
	}
	for _, n := range g.Search([]float32{0.9, 0.8}, 3, 0, nil) {
		fmt.Printf("id %d at squared distance %.2f\n", n.ID, n.Dist)
	}
	if err := g.Delete(4); err != nil {
		panic(err)
	}
	fmt.Println("after delete:", g.Search([]float32{0.9, 0.8}, 1, 0, nil)[0].ID, g.Check())
	id, _ := g.Add([]float32{2, 2})
	fmt.Println("freed slot reused:", id)
	// Output:
	// id 4 at squared distance 0.05
	// id 1 at squared distance 0.65
	// id 2 at squared distance 0.85
	// after delete: 1 <nil>
	// freed slot reused: 4
}

func ExampleGraph_Search_filter() {
	g, _ := index.New(1, index.L2, index.Options{})
	for i := 0; i < 100; i++ {
		g.Add([]float32{float32(i)})
	}
	odd := func(id uint32) bool { return id%2 == 1 }
	for _, n := range g.Search([]float32{10}, 3, 0, odd) {
		fmt.Print(n.ID, " ")
	}
	fmt.Println()
	// Output: 9 11 7
}
