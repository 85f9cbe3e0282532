package index

import (
	"testing"
	"unsafe"

	"github.com/vecbolt/vecbolt/index/quant"
)

// TestCodeLayout: INT8 codes are stored without their correction terms,
// at strides that keep a code inside as few cache lines as its size
// allows; FP16 rows are stored as they are.
func TestCodeLayout(t *testing.T) {
	for _, tc := range []struct {
		enc                quant.Encoding
		dim, width, stride int
	}{
		{quant.INT8, 1, 1, 1}, {quant.INT8, 3, 3, 4}, {quant.INT8, 20, 20, 32}, {quant.INT8, 33, 33, 64},
		{quant.INT8, 64, 64, 64}, {quant.INT8, 100, 100, 128}, {quant.INT8, 128, 128, 128},
		{quant.INT8, 300, 300, 320}, {quant.INT8, 768, 768, 768},
		{quant.FP16, 100, 200, 200}, {quant.None, 100, 0, 0},
	} {
		if w, s := codeLayout(tc.enc, tc.dim); w != tc.width || s != tc.stride {
			t.Errorf("codeLayout(%s, %d) = %d, %d; want %d, %d", tc.enc, tc.dim, w, s, tc.width, tc.stride)
		}
	}
}

// TestInt8CodesLineAligned: in a graph large enough for its code chunks to
// be page-aligned allocations, every 128-dimension INT8 code starts on a
// cache line and lies in exactly two, and its correction term is the one
// the stored row (CodeRow) carries.
func TestInt8CodesLineAligned(t *testing.T) {
	const n, dim = 1500, 128
	vecs := make([][]float32, n)
	for i := range vecs {
		vecs[i] = make([]float32, dim)
		for j := range vecs[i] {
			vecs[i][j] = float32((i*7+j*13)%23) - 11
		}
	}
	g, err := New(dim, L2, Options{M: 4, EfConstruction: 8, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vecs {
		if _, err := g.Add(v); err != nil {
			t.Fatal(err)
		}
	}
	params, err := quant.Train(dim, quant.L2, vecs, quant.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.SetEncoding(quant.INT8, params); err != nil {
		t.Fatal(err)
	}
	for id := uint32(0); id < n; id++ {
		c, corr := g.int8Row(id)
		if a := uintptr(unsafe.Pointer(&c[0])); a%64 != 0 {
			t.Fatalf("node %d: code at %#x, not on a cache line", id, a)
		}
		row := g.CodeRow(id)
		codes, want := int8Code(row, dim)
		if corr != want {
			t.Fatalf("node %d: correction term %v, CodeRow says %v", id, corr, want)
		}
		for i := range codes {
			if codes[i] != c[i] {
				t.Fatalf("node %d: code %d differs from CodeRow's", id, i)
			}
		}
	}
}
