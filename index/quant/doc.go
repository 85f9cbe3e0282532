// Package quant holds vecbolt's compact vector encodings and their distance
// kernels: FP16 (IEEE half precision, 2 bytes a component) and INT8 scalar
// quantization (1 byte a component plus a float32 per vector). It is pure:
// no I/O, no graph, no storage. The graph (package index) traverses the
// codes; the exact float32 vectors stay in the records, and the caller
// re-ranks the final candidates with them, so results and scores are exact.
//
// # Basics
//
// FP16: EncodeFP16 converts a vector (round to nearest even; NaN, ±Inf and
// components beyond ±65504 are refused), DecodeFP16 converts back exactly,
// DistanceFP16 compares an exact float32 query with a half vector and
// DistanceFP16Codes two half vectors. FromFloat32 and ToFloat32 convert one
// value. FP16 needs no parameters.
//
// INT8: an *Int8 holds the parameters of an affine code per component,
// x[i] ≈ a[i]·q[i] + b[i] with q[i] in -127..127 (see Int8 for the algebra
// of every metric). Make one with Default (no data needed), NewSymmetric or
// Train (from a sample of the collection), store it with MarshalBinary and
// restore it with UnmarshalBinary (versioned, CRC-32C checked). Encode turns
// a vector into Dim codes and one float32 correction term; a graph stores
// both, Dim+4 bytes a vector. A search calls PrepareQuery once, then Distance
// per candidate (one int8 dot product and three float operations);
// neighbour selection between stored vectors calls CodeDistance. CheckCode
// and CheckFP16 let a store's check refuse stored codes that the encoders
// cannot have written (a correction term that does not match its code, an
// int8 -128, a half Inf or NaN).
//
// Distances follow package index: smaller is closer; 1-x·y for Cosine (the
// caller passes unit vectors), -x·y for Dot, Σ(x-y)² for L2.
//
// # Defaults and retraining
//
// A collection filled one upsert at a time has no data to train on when it
// is created: it starts from Default, Symmetric with bound 1, which clips
// nothing for cosine (unit vectors) and clips components beyond ±1 for dot
// and L2. A bulk build or compact trains on the collection (Train with the
// zero TrainOptions: PerDimension, min/max; see the measurement below) and
// re-encodes every vector: codes are only meaningful with the parameters
// that made them, so both must be replaced together.
//
// # Contracts
//
// Concurrency: every function and every method of Int8 is safe for
// concurrent use, except Int8.UnmarshalBinary, which replaces its receiver
// and must not run concurrently with anything else on it. An Int8 is
// immutable once made. A Query is written by PrepareQuery and then only
// read: prepare one per goroutine (reusing it across searches avoids
// allocation), read it from any number.
//
// Ownership: nothing keeps a caller's slice. Encode, EncodeFP16, DecodeFP16,
// Decode and PrepareQuery write into the buffers given; Train reads its
// vectors and keeps only the parameters (O(dim) memory).
//
// Costs: every per-vector operation is O(dim) and allocation-free
// (PrepareQuery allocates only to grow a Query's buffer on first use);
// Train is O(n·dim) (O(n·dim·log n) with a Quantile below 1), where n is
// the number of training vectors; MarshalBinary and UnmarshalBinary are
// O(dim). Nothing depends on the collection size.
//
// Errors: bad input at the API boundary returns an error wrapping one of the
// sentinels in errors.go (ErrValue, ErrDimension, ErrParams, ErrCorrupt,
// ErrEncoding), with *ValueError and *DimensionError carrying detail.
// NaN, infinite and too-large components are refused before they can
// reach trained parameters or a code. Damaged parameter bytes are refused
// (ErrCorrupt), never misread, and UnmarshalBinary never panics. The
// distance functions are the hot path and do not return errors: they panic
// on slices of the wrong length, which the caller (the graph) has already
// validated at its own boundary.
//
// # Kernels and their selection
//
// Kernels are chosen once, at package initialisation, by CPU feature
// (github.com/klauspost/cpuid/v2, which also checks that the OS saves the
// AVX and AVX-512 registers; golang.org/x/sys/cpu has no F16C flag):
//
//	int8 dot    AVX512F+AVX512BW+AVX512VNNI: VPDPBUSD, 64 bytes a step, with
//	            a+128 as the unsigned operand and 128·Σb subtracted, the
//	            tail as one zero-masked load (kernels_amd64.s);
//	            else AVX2: VPMOVSXBW + VPMADDWD (exact for all int8, no
//	            VPMADDUBSW saturation); else pure Go
//	int8 L2     AVX2 (as above, on the differences); else pure Go
//	fp16        AVX+F16C+FMA: VCVTPH2PS + VFMADD231PS; else pure Go
//
// On other architectures (arm64 included) every kernel is the pure-Go
// reference. The environment variable VECBOLT_QUANT_KERNELS (KernelsEnv),
// read at start-up, caps the choice: "go" forces the references, "avx2"
// forbids AVX-512. Kernels reports what the process uses. The integer
// kernels are exact for lengths up to MaxKernelLen (= index.MaxDim); the
// float kernels accumulate in float32 in an order that differs from the
// references, within n·2^-23 of Σ|terms|. Tests run every kernel set the
// CPU supports against the references at lengths 1 to 1536 and 65536.
//
// # Choosing the INT8 scheme: GloVe 50k measurement
//
// Recall@10 of the brute-force top-10 by each approximate distance against
// the exact FP32 top-10, on GloVe 6B 100d (the 50,000 most frequent words;
// every 50th word is one of 1,000 queries, the other 49,000 the base; INT8
// parameters trained on the base), then after re-ranking the approximate
// top 10·r with the exact FP32 distance (r = 1 re-ranks the same ten
// vectors, so it equals the first column; recall counts set membership).
// Measured by TestGloVeRecall (go test -run GloVeRecall -v ./index/quant):
//
//	cosine (unit vectors)                        none    r=2     r=3     r=4
//	fp16                                         0.9998  1.0000  1.0000  1.0000
//	int8 symmetric, Default (bound 1)            0.9741  1.0000  1.0000  1.0000
//	int8 symmetric, trained max|x|               0.9857  1.0000  1.0000  1.0000
//	  same, query quantized as a data code       0.9835  1.0000  1.0000  1.0000
//	  same, exact float query                    0.9857  1.0000  1.0000  1.0000
//	int8 symmetric, quantile 0.999               0.9735  0.9969  0.9992  0.9997
//	int8 per-dimension, min/max                  0.9881  1.0000  1.0000  1.0000
//	  same, query quantized as a data code       0.9887  1.0000  1.0000  1.0000
//	  same, exact float query                    0.9904  1.0000  1.0000  1.0000
//	int8 per-dimension, min/max of a 10% sample  0.9888  1.0000  1.0000  1.0000
//	int8 per-dimension, quantile 0.999           0.9864  1.0000  1.0000  1.0000
//
//	l2 (raw vectors)                             none    r=2     r=3     r=4
//	fp16                                         0.9996  1.0000  1.0000  1.0000
//	int8 symmetric, trained max|x|               0.9775  1.0000  1.0000  1.0000
//	  same, query quantized as a data code       0.9736  1.0000  1.0000  1.0000
//	  same, exact float query                    0.9776  1.0000  1.0000  1.0000
//	int8 symmetric, quantile 0.999               0.9820  1.0000  1.0000  1.0000
//	int8 per-dimension, min/max                  0.9842  1.0000  1.0000  1.0000
//	  same, query quantized as a data code       0.9842  1.0000  1.0000  1.0000
//	  same, exact float query                    0.9848  1.0000  1.0000  1.0000
//	int8 per-dimension, min/max of a 10% sample  0.9848  1.0000  1.0000  1.0000
//	int8 per-dimension, quantile 0.999           0.9860  1.0000  1.0000  1.0000
//
// Decision: PerDimension with min/max ranges is the trained default
// (DefaultScheme, Quantile 1). It has the best recall without re-ranking on
// both metrics (cosine 0.9881 vs 0.9857 for a trained symmetric scale, L2
// 0.9842 vs 0.9775: 24 and 67 more of the 10,000 true neighbours; small,
// but the same way on both metrics and with an exact float query) at the
// same search cost (Distance is one int8 dot product either way), for 8·dim
// bytes of parameters. Training on a 10% sample (every 10th base vector)
// loses nothing, so compact can train on a sample. Quantile clipping is
// not a consistent gain (0.999 helps L2 by 0.002, hurts cosine by 0.002;
// symmetric clipping at 0.999 loses true neighbours even after re-ranking),
// and min/max clips nothing of the training data. Symmetric stays the
// untrained Default: it needs no data, and its CodeDistance is one integer
// kernel call, where PerDimension's is a float loop. Quantizing the query
// at its own scale (PrepareQuery) costs at most 0.002 against an exact float
// query and beats quantizing it with the data's scale under Symmetric.
// FP16 is within 0.0004 of exact. Re-ranking 2·k candidates restores
// recall 1.0000 for every encoding except clipped Symmetric, so an
// oversampling factor of 2 suffices for brute force; the HNSW default must
// be measured with the graph, where the candidates are approximate too.
//
// # Kernel speed
//
// BenchmarkKernelCPU, one distance between two vectors in cache, median of
// 5 runs of the thread's CPU time per call (best of many interleaved
// rounds of 1,000 calls), on the shared 2-core AMD EPYC (Turin) dev box
// under a load average of ~20, Go 1.26; the ratios are to vek32.Dot in the
// same run. "query" is Int8.Distance after PrepareQuery (kernel plus
// corrections), "codes" is Int8.CodeDistance. Reproduce with
//
//	go test -run XXX -bench KernelCPU -count 5 ./index/quant
//
//	ns per distance (ratio to vek32)          dim 100         dim 384         dim 768
//	fp32-vek32                    9.0 ( 1.00)   18.5 ( 1.00)   31.5 ( 1.00)
//	fp32-go                      32.5 ( 3.62)  117.4 ( 6.34)  243.4 ( 7.72)
//	fp16-f16c                     9.0 ( 1.01)   18.4 ( 1.00)   32.1 ( 1.02)
//	fp16-go                      85.3 ( 9.49)  358.3 (19.35)  658.6 (20.90)
//	int8-avx512vnni               6.2 ( 0.69)    7.2 ( 0.39)    9.5 ( 0.30)
//	int8-avx2                     8.1 ( 0.90)   11.4 ( 0.61)   19.0 ( 0.60)
//	int8-go                      64.1 ( 7.13)  239.7 (12.94)  490.9 (15.58)
//	int8-l2-avx2                  8.0 ( 0.90)   12.6 ( 0.68)   21.9 ( 0.69)
//	int8-l2-go                   66.7 ( 7.43)  261.8 (14.14)  508.2 (16.13)
//	int8-query-symmetric          8.7 ( 0.97)    9.8 ( 0.53)   13.2 ( 0.42)
//	int8-query-per-dimension      9.1 ( 1.01)   10.1 ( 0.55)   12.2 ( 0.39)
//	int8-codes-symmetric          8.8 ( 0.98)   10.0 ( 0.54)   12.6 ( 0.40)
//	int8-codes-per-dimension     67.5 ( 7.51)  249.5 (13.47)  505.0 (16.03)
//
// INT8 through VNNI costs 0.3-0.7× an FP32 distance in cache, and reads a
// quarter of the bytes, which is what counts in a graph search (GloVe 100d:
// 2-3 cache lines a vector instead of 7). FP16 through F16C costs the same
// as FP32 in cache and halves the bytes. The pure-Go references are 7-20×
// slower than the assembly (the Go compiler does not vectorise). On arm64,
// where vek32 is pure Go as well, compare the -go rows: FP16 and INT8 cost
// about 2-3× the CPU of the FP32 loop per distance there, for 2-4× less
// memory. Per-dimension CodeDistance
// is a float loop, 7-16× an FP32 distance: for neighbour selection among
// stored vectors under PerDimension, decode the selected neighbour once and
// PrepareQuery it (O(dim)), then use Distance, or select on the exact FP32
// vectors during a bulk build. BenchmarkDistance measures the same rows by
// wall clock (noisy on a loaded machine).
package quant
