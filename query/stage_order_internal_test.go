package query

import "testing"

// TestStageOrderDefault: OrderAuto at a bulk build stays OrderAuto (so
// Commit renumbers from MinReorderLen records, in DefaultOrder for
// float32 and DefaultOrderINT8 for int8) only for a float32 or int8
// collection that starts empty; an explicit order is kept as is.
func TestStageOrderDefault(t *testing.T) {
	f32 := CollectionConfig{Dim: 4, Metric: L2}
	i8 := CollectionConfig{Dim: 4, Metric: L2, Quantize: "int8"}
	f16 := CollectionConfig{Dim: 4, Metric: Cosine, Quantize: "fp16"}
	for _, x := range []struct {
		order string
		empty bool
		cfg   CollectionConfig
		want  string
	}{
		{OrderAuto, true, f32, OrderAuto},
		{OrderAuto, false, f32, OrderNone},
		{OrderAuto, true, i8, OrderAuto},
		{OrderAuto, true, f16, OrderNone},
		{OrderNone, true, f32, OrderNone},
		{OrderGorder, true, i8, OrderGorder},
		{OrderBFS, false, f16, OrderBFS},
	} {
		if got := stageOrder(StageOptions{Order: x.order}, x.empty, x.cfg); got != x.want {
			t.Errorf("stageOrder(%q, empty %v, %q) = %q, want %q", x.order, x.empty, x.cfg.Quantize, got, x.want)
		}
	}
	for _, x := range []struct {
		cfg  CollectionConfig
		want string
	}{{f32, DefaultOrder}, {i8, DefaultOrderINT8}} {
		auto := autoOrder(x.cfg)
		if o, do, _ := resolveOrder(OrderAuto, auto, MinReorderLen); !do || o.String() != x.want {
			t.Errorf("resolveOrder(auto %q, %d) = %v %v, want %s", auto, MinReorderLen, o, do, x.want)
		}
		if _, do, _ := resolveOrder(OrderAuto, auto, MinReorderLen-1); do {
			t.Errorf("resolveOrder(auto %q, %d) renumbers", auto, MinReorderLen-1)
		}
	}
}
