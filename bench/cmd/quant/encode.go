package main

import (
	"fmt"

	"github.com/vecbolt/vecbolt/bench"
	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/index/quant"
)

// encode sets v's encoding on its FP32 graph ("build on FP32, then
// quantize"), INT8 with parameters trained on every base row (quant's
// default scheme), and points rescoring at the exact base rows.
func encode(v *variant, base *bench.Matrix) error {
	if v.enc == "none" {
		return nil
	}
	enc, err := quant.ParseEncoding(v.enc)
	if err != nil {
		return err
	}
	var params *quant.Int8
	if enc == quant.INT8 {
		rows := make([][]float32, base.Rows)
		for i := range rows {
			rows[i] = base.Row(i)
		}
		if params, err = quant.Train(base.Dim, quant.Metric(v.g.Metric()), rows, quant.TrainOptions{}); err != nil {
			return fmt.Errorf("int8 parameters: %w", err)
		}
	}
	if err := v.g.SetEncoding(enc, params); err != nil {
		return err
	}
	rowOf := v.rowOf
	v.exact = func(id uint32, _ []float32) []float32 {
		if int(id) >= len(rowOf) {
			return nil
		}
		return base.Row(rowOf[id])
	}
	return nil
}

// search runs one query on v's graph: rescored on an encoded graph.
func (v *variant) search(dst []index.Neighbor, q []float32, k, ef int) []index.Neighbor {
	if v.exact != nil {
		return v.g.SearchRescore(dst, q, k, ef, nil, v.oversample, v.exact)
	}
	return v.g.SearchInto(dst, q, k, ef, nil)
}
