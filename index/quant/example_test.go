package quant_test

import (
	"errors"
	"fmt"
	"math"

	"github.com/vecbolt/vecbolt/index/quant"
)

// Train INT8 parameters on a collection's vectors, encode them, and rank
// them against a query by the approximate distance.
func ExampleTrain() {
	vectors := [][]float32{{0.6, 0.8, 0}, {0, 0.6, 0.8}, {0.8, 0, -0.6}, {-0.6, -0.8, 0}}
	q, err := quant.Train(3, quant.Cosine, vectors, quant.TrainOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	codes := make([][]int8, len(vectors))
	corr := make([]float32, len(vectors))
	for i, v := range vectors {
		codes[i] = make([]int8, q.Dim())
		corr[i], _ = q.Encode(codes[i], v)
	}
	var query quant.Query
	if err := q.PrepareQuery(&query, []float32{0.6, 0.8, 0}); err != nil {
		fmt.Println(err)
		return
	}
	for i := range codes {
		fmt.Printf("%d: %.2f\n", i, q.Distance(&query, codes[i], corr[i]))
	}
	// Output:
	// 0: 0.00
	// 1: 0.52
	// 2: 0.52
	// 3: 2.00
}

// The parameters travel as bytes with a version and a checksum: damaged
// bytes are refused, never misread.
func ExampleInt8_MarshalBinary() {
	q, _ := quant.Default(100, quant.Cosine)
	blob, _ := q.MarshalBinary()
	fmt.Println(len(blob), "bytes")

	blob[9] ^= 1 // one flipped bit in the bound
	var back quant.Int8
	err := back.UnmarshalBinary(blob)
	fmt.Println(errors.Is(err, quant.ErrCorrupt))
	// Output:
	// 16 bytes
	// true
}

// FP16 keeps 2 bytes a component; values beyond the half range are refused.
func ExampleEncodeFP16() {
	v := []float32{1.0 / 3, -2, 1e-7}
	h := make([]uint16, len(v))
	if err := quant.EncodeFP16(h, v); err != nil {
		fmt.Println(err)
		return
	}
	back := make([]float32, len(v))
	quant.DecodeFP16(back, h)
	fmt.Println(back)
	fmt.Printf("%.4f\n", quant.DistanceFP16(quant.Dot, []float32{3, 0, 0}, h))

	err := quant.EncodeFP16(h, []float32{0, float32(math.Inf(1)), 70000})
	fmt.Println(err)
	// Output:
	// [0.33325195 -2 1.1920929e-07]
	// -0.9998
	// quant: component 1 is infinite (+Inf)
}
