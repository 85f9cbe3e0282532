#include "textflag.h"

// INT8 dot product, AVX2: sign-extend 16 bytes to 16 words (VPMOVSXBW),
// multiply-add word pairs into dwords (VPMADDWD). Exact for all int8 input:
// a pair sums to at most 2*128*128 = 32768, which fits a dword; no
// saturation as with VPMADDUBSW. 64 bytes per iteration into 4
// accumulators, then 16-byte steps, then a scalar tail.
//
// func dotI8AVX2Asm(a, b []int8) int32
TEXT ·dotI8AVX2Asm(SB), NOSPLIT, $0-52
	MOVQ a_base+0(FP), SI
	MOVQ b_base+24(FP), DI
	MOVQ a_len+8(FP), CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3

dot64:
	CMPQ CX, $64
	JL   dot16
	VPMOVSXBW (SI), Y4
	VPMOVSXBW (DI), Y5
	VPMOVSXBW 16(SI), Y6
	VPMOVSXBW 16(DI), Y7
	VPMOVSXBW 32(SI), Y8
	VPMOVSXBW 32(DI), Y9
	VPMOVSXBW 48(SI), Y10
	VPMOVSXBW 48(DI), Y11
	VPMADDWD  Y5, Y4, Y4
	VPMADDWD  Y7, Y6, Y6
	VPMADDWD  Y9, Y8, Y8
	VPMADDWD  Y11, Y10, Y10
	VPADDD    Y4, Y0, Y0
	VPADDD    Y6, Y1, Y1
	VPADDD    Y8, Y2, Y2
	VPADDD    Y10, Y3, Y3
	ADDQ      $64, SI
	ADDQ      $64, DI
	SUBQ      $64, CX
	JMP       dot64

dot16:
	CMPQ CX, $16
	JL   dotreduce
	VPMOVSXBW (SI), Y4
	VPMOVSXBW (DI), Y5
	VPMADDWD  Y5, Y4, Y4
	VPADDD    Y4, Y0, Y0
	ADDQ      $16, SI
	ADDQ      $16, DI
	SUBQ      $16, CX
	JMP       dot16

dotreduce:
	VPADDD       Y1, Y0, Y0
	VPADDD       Y3, Y2, Y2
	VPADDD       Y2, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0x4e, X0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0xb1, X0, X1
	VPADDD       X1, X0, X0
	VMOVD        X0, AX

dottail:
	TESTQ   CX, CX
	JZ      dotdone
	MOVBQSX (SI), R8
	MOVBQSX (DI), R9
	IMULQ   R9, R8
	ADDQ    R8, AX
	INCQ    SI
	INCQ    DI
	DECQ    CX
	JMP     dottail

dotdone:
	MOVL       AX, ret+48(FP)
	VZEROUPPER
	RET

// INT8 dot product, AVX-512 VNNI. VPDPBUSD multiplies unsigned by signed
// bytes and adds groups of 4 into dwords without saturation. With
// u = a XOR 0x80 = a+128 (unsigned): Σ a·b = Σ u·b - 128·Σ b, and the
// second sum is VPDPBUSD of the constant 0x80 bytes with b. The tail (< 64
// bytes) is one zero-masked load (VMOVDQU8.Z, AVX512BW), which does not
// fault on the masked bytes: masked a bytes become 0x80 but multiply masked
// b bytes of 0 in both sums.
//
// func dotI8VNNIAsm(a, b []int8) int32
TEXT ·dotI8VNNIAsm(SB), NOSPLIT, $0-52
	MOVQ         a_base+0(FP), SI
	MOVQ         b_base+24(FP), DI
	MOVQ         a_len+8(FP), CX
	VPXORD       Z0, Z0, Z0
	VPXORD       Z1, Z1, Z1
	VPXORD       Z6, Z6, Z6
	VPXORD       Z7, Z7, Z7
	MOVL         $0x80808080, AX
	VPBROADCASTD AX, Z2

vnni128:
	CMPQ      CX, $128
	JL        vnni64
	VMOVDQU64 (SI), Z3
	VMOVDQU64 (DI), Z4
	VMOVDQU64 64(SI), Z8
	VMOVDQU64 64(DI), Z9
	VPXORD    Z2, Z3, Z3
	VPXORD    Z2, Z8, Z8
	VPDPBUSD  Z4, Z3, Z0
	VPDPBUSD  Z4, Z2, Z1
	VPDPBUSD  Z9, Z8, Z6
	VPDPBUSD  Z9, Z2, Z7
	ADDQ      $128, SI
	ADDQ      $128, DI
	SUBQ      $128, CX
	JMP       vnni128

vnni64:
	CMPQ      CX, $64
	JL        vnnitail
	VMOVDQU64 (SI), Z3
	VMOVDQU64 (DI), Z4
	VPXORD    Z2, Z3, Z3
	VPDPBUSD  Z4, Z3, Z0
	VPDPBUSD  Z4, Z2, Z1
	ADDQ      $64, SI
	ADDQ      $64, DI
	SUBQ      $64, CX

vnnitail:
	TESTQ      CX, CX
	JZ         vnnireduce
	MOVQ       $1, AX
	SHLQ       CX, AX
	DECQ       AX
	KMOVQ      AX, K1
	VMOVDQU8.Z (SI), K1, Z3
	VMOVDQU8.Z (DI), K1, Z4
	VPXORD     Z2, Z3, Z3
	VPDPBUSD   Z4, Z3, Z0
	VPDPBUSD   Z4, Z2, Z1

vnnireduce:
	VPADDD        Z6, Z0, Z0
	VPADDD        Z7, Z1, Z1
	VPSUBD        Z1, Z0, Z0
	VEXTRACTI64X4 $1, Z0, Y1
	VPADDD        Y1, Y0, Y0
	VEXTRACTI128  $1, Y0, X1
	VPADDD        X1, X0, X0
	VPSHUFD       $0x4e, X0, X1
	VPADDD        X1, X0, X0
	VPSHUFD       $0xb1, X0, X1
	VPADDD        X1, X0, X0
	VMOVD         X0, AX
	MOVL          AX, ret+48(FP)
	VZEROUPPER
	RET

// Squared L2 over int8, AVX2: sign-extend to words, subtract (|d| <= 255
// fits a word), VPMADDWD d·d into dwords (a pair is at most 130050). The
// total is at most 65536·65025 < 2^32 for n <= MaxKernelLen, so the
// wrapping dword sum is exact as a uint32.
//
// func l2I8AVX2Asm(a, b []int8) uint32
TEXT ·l2I8AVX2Asm(SB), NOSPLIT, $0-52
	MOVQ  a_base+0(FP), SI
	MOVQ  b_base+24(FP), DI
	MOVQ  a_len+8(FP), CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1

l2x32:
	CMPQ      CX, $32
	JL        l2x16
	VPMOVSXBW (SI), Y4
	VPMOVSXBW (DI), Y5
	VPMOVSXBW 16(SI), Y6
	VPMOVSXBW 16(DI), Y7
	VPSUBW    Y5, Y4, Y4
	VPSUBW    Y7, Y6, Y6
	VPMADDWD  Y4, Y4, Y4
	VPMADDWD  Y6, Y6, Y6
	VPADDD    Y4, Y0, Y0
	VPADDD    Y6, Y1, Y1
	ADDQ      $32, SI
	ADDQ      $32, DI
	SUBQ      $32, CX
	JMP       l2x32

l2x16:
	CMPQ      CX, $16
	JL        l2reduce
	VPMOVSXBW (SI), Y4
	VPMOVSXBW (DI), Y5
	VPSUBW    Y5, Y4, Y4
	VPMADDWD  Y4, Y4, Y4
	VPADDD    Y4, Y0, Y0
	ADDQ      $16, SI
	ADDQ      $16, DI
	SUBQ      $16, CX

l2reduce:
	VPADDD       Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0x4e, X0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0xb1, X0, X1
	VPADDD       X1, X0, X0
	VMOVD        X0, AX

l2tail:
	TESTQ   CX, CX
	JZ      l2done
	MOVBQSX (SI), R8
	MOVBQSX (DI), R9
	SUBQ    R9, R8
	IMULQ   R8, R8
	ADDQ    R8, AX
	INCQ    SI
	INCQ    DI
	DECQ    CX
	JMP     l2tail

l2done:
	MOVL       AX, ret+48(FP)
	VZEROUPPER
	RET

// FP32·FP16 dot product, F16C + FMA: VCVTPH2PS widens 8 halves to 8 floats
// exactly; 32 per iteration into 4 accumulators, then 8 at a time, then a
// scalar tail through the low lane.
//
// func dotF16Asm(q []float32, c []uint16) float32
TEXT ·dotF16Asm(SB), NOSPLIT, $0-52
	MOVQ   q_base+0(FP), SI
	MOVQ   c_base+24(FP), DI
	MOVQ   q_len+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

fdot32:
	CMPQ        CX, $32
	JL          fdot8
	VCVTPH2PS   (DI), Y4
	VCVTPH2PS   16(DI), Y5
	VCVTPH2PS   32(DI), Y6
	VCVTPH2PS   48(DI), Y7
	VFMADD231PS (SI), Y4, Y0
	VFMADD231PS 32(SI), Y5, Y1
	VFMADD231PS 64(SI), Y6, Y2
	VFMADD231PS 96(SI), Y7, Y3
	ADDQ        $128, SI
	ADDQ        $64, DI
	SUBQ        $32, CX
	JMP         fdot32

fdot8:
	CMPQ        CX, $8
	JL          fdotreduce
	VCVTPH2PS   (DI), Y4
	VFMADD231PS (SI), Y4, Y0
	ADDQ        $32, SI
	ADDQ        $16, DI
	SUBQ        $8, CX
	JMP         fdot8

fdotreduce:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VPERMILPS    $0x4e, X0, X1
	VADDPS       X1, X0, X0
	VPERMILPS    $0xb1, X0, X1
	VADDPS       X1, X0, X0

fdottail:
	TESTQ       CX, CX
	JZ          fdotdone
	MOVWLZX     (DI), AX
	VMOVD       AX, X4
	VCVTPH2PS   X4, X4
	VMOVSS      (SI), X5
	VFMADD231SS X5, X4, X0
	ADDQ        $4, SI
	ADDQ        $2, DI
	DECQ        CX
	JMP         fdottail

fdotdone:
	VMOVSS     X0, ret+48(FP)
	VZEROUPPER
	RET

// FP32/FP16 squared L2, as dotF16Asm with d = q - c and d·d accumulated.
//
// func l2F16Asm(q []float32, c []uint16) float32
TEXT ·l2F16Asm(SB), NOSPLIT, $0-52
	MOVQ   q_base+0(FP), SI
	MOVQ   c_base+24(FP), DI
	MOVQ   q_len+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

fl232:
	CMPQ        CX, $32
	JL          fl28
	VCVTPH2PS   (DI), Y4
	VCVTPH2PS   16(DI), Y5
	VCVTPH2PS   32(DI), Y6
	VCVTPH2PS   48(DI), Y7
	VSUBPS      (SI), Y4, Y4
	VSUBPS      32(SI), Y5, Y5
	VSUBPS      64(SI), Y6, Y6
	VSUBPS      96(SI), Y7, Y7
	VFMADD231PS Y4, Y4, Y0
	VFMADD231PS Y5, Y5, Y1
	VFMADD231PS Y6, Y6, Y2
	VFMADD231PS Y7, Y7, Y3
	ADDQ        $128, SI
	ADDQ        $64, DI
	SUBQ        $32, CX
	JMP         fl232

fl28:
	CMPQ        CX, $8
	JL          fl2reduce
	VCVTPH2PS   (DI), Y4
	VSUBPS      (SI), Y4, Y4
	VFMADD231PS Y4, Y4, Y0
	ADDQ        $32, SI
	ADDQ        $16, DI
	SUBQ        $8, CX
	JMP         fl28

fl2reduce:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VPERMILPS    $0x4e, X0, X1
	VADDPS       X1, X0, X0
	VPERMILPS    $0xb1, X0, X1
	VADDPS       X1, X0, X0

fl2tail:
	TESTQ       CX, CX
	JZ          fl2done
	MOVWLZX     (DI), AX
	VMOVD       AX, X4
	VCVTPH2PS   X4, X4
	VMOVSS      (SI), X5
	VSUBSS      X5, X4, X4
	VFMADD231SS X4, X4, X0
	ADDQ        $4, SI
	ADDQ        $2, DI
	DECQ        CX
	JMP         fl2tail

fl2done:
	VMOVSS     X0, ret+48(FP)
	VZEROUPPER
	RET

// FP16·FP16 dot product, F16C + FMA: both sides widened by VCVTPH2PS, 16
// per iteration into 2 accumulators, then 8, then a scalar tail.
//
// func dotHalfAsm(a, b []uint16) float32
TEXT ·dotHalfAsm(SB), NOSPLIT, $0-52
	MOVQ   a_base+0(FP), SI
	MOVQ   b_base+24(FP), DI
	MOVQ   a_len+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

hdot16:
	CMPQ        CX, $16
	JL          hdot8
	VCVTPH2PS   (SI), Y4
	VCVTPH2PS   16(SI), Y5
	VCVTPH2PS   (DI), Y6
	VCVTPH2PS   16(DI), Y7
	VFMADD231PS Y6, Y4, Y0
	VFMADD231PS Y7, Y5, Y1
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $16, CX
	JMP         hdot16

hdot8:
	CMPQ        CX, $8
	JL          hdotreduce
	VCVTPH2PS   (SI), Y4
	VCVTPH2PS   (DI), Y6
	VFMADD231PS Y6, Y4, Y0
	ADDQ        $16, SI
	ADDQ        $16, DI
	SUBQ        $8, CX

hdotreduce:
	VADDPS       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VPERMILPS    $0x4e, X0, X1
	VADDPS       X1, X0, X0
	VPERMILPS    $0xb1, X0, X1
	VADDPS       X1, X0, X0

hdottail:
	TESTQ       CX, CX
	JZ          hdotdone
	MOVWLZX     (SI), AX
	VMOVD       AX, X4
	VCVTPH2PS   X4, X4
	MOVWLZX     (DI), AX
	VMOVD       AX, X5
	VCVTPH2PS   X5, X5
	VFMADD231SS X5, X4, X0
	ADDQ        $2, SI
	ADDQ        $2, DI
	DECQ        CX
	JMP         hdottail

hdotdone:
	VMOVSS     X0, ret+48(FP)
	VZEROUPPER
	RET

// FP16/FP16 squared L2, as dotHalfAsm with d = a - b.
//
// func l2HalfAsm(a, b []uint16) float32
TEXT ·l2HalfAsm(SB), NOSPLIT, $0-52
	MOVQ   a_base+0(FP), SI
	MOVQ   b_base+24(FP), DI
	MOVQ   a_len+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

hl216:
	CMPQ        CX, $16
	JL          hl28
	VCVTPH2PS   (SI), Y4
	VCVTPH2PS   16(SI), Y5
	VCVTPH2PS   (DI), Y6
	VCVTPH2PS   16(DI), Y7
	VSUBPS      Y6, Y4, Y4
	VSUBPS      Y7, Y5, Y5
	VFMADD231PS Y4, Y4, Y0
	VFMADD231PS Y5, Y5, Y1
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $16, CX
	JMP         hl216

hl28:
	CMPQ        CX, $8
	JL          hl2reduce
	VCVTPH2PS   (SI), Y4
	VCVTPH2PS   (DI), Y6
	VSUBPS      Y6, Y4, Y4
	VFMADD231PS Y4, Y4, Y0
	ADDQ        $16, SI
	ADDQ        $16, DI
	SUBQ        $8, CX

hl2reduce:
	VADDPS       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VPERMILPS    $0x4e, X0, X1
	VADDPS       X1, X0, X0
	VPERMILPS    $0xb1, X0, X1
	VADDPS       X1, X0, X0

hl2tail:
	TESTQ       CX, CX
	JZ          hl2done
	MOVWLZX     (SI), AX
	VMOVD       AX, X4
	VCVTPH2PS   X4, X4
	MOVWLZX     (DI), AX
	VMOVD       AX, X5
	VCVTPH2PS   X5, X5
	VSUBSS      X5, X4, X4
	VFMADD231SS X4, X4, X0
	ADDQ        $2, SI
	ADDQ        $2, DI
	DECQ        CX
	JMP         hl2tail

hl2done:
	VMOVSS     X0, ret+48(FP)
	VZEROUPPER
	RET

// A batch of INT8 dot products of one query q with many codes, AVX-512
// VNNI: out[i] = Σ q·codes[i], every code of len(q) bytes. One call for a
// node's neighbours saves a call, its argument checks and a dependent
// reduction per code, and lets the core overlap the rows. The signs are
// handled the other way round from dotI8VNNIAsm: the code is made
// unsigned (u = c XOR 0x80 = c+128) and the query stays signed, so
// Σ q·c = Σ u·q - 128·Σ q, and the second sum is computed once per call
// instead of once per code. Full 64-byte blocks two at a time, then one,
// then a zero-masked tail (masked code bytes become 0x80 but multiply
// masked query bytes of 0).
//
// func dotI8BatchVNNIAsm(out []int32, q []int8, codes [][]int8)
TEXT ·dotI8BatchVNNIAsm(SB), NOSPLIT, $0-72
	MOVQ         out_base+0(FP), R10
	MOVQ         q_base+24(FP), SI
	MOVQ         q_len+32(FP), DX
	MOVQ         codes_base+48(FP), R8
	MOVQ         codes_len+56(FP), R9
	MOVL         $0x80808080, AX
	VPBROADCASTD AX, Z2
	MOVQ         DX, CX
	ANDQ         $63, CX
	MOVQ         $1, AX
	SHLQ         CX, AX
	DECQ         AX
	KMOVQ        AX, K1
	MOVQ         DX, R11
	SHRQ         $6, R11

	// R13 = 128·Σ q: VPDPBUSD of the 0x80 bytes with q.
	VPXORD Z5, Z5, Z5
	MOVQ   SI, BX
	MOVQ   R11, R12

bbias:
	TESTQ      R12, R12
	JZ         bbiastail
	VMOVDQU64  (BX), Z4
	VPDPBUSD   Z4, Z2, Z5
	ADDQ       $64, BX
	DECQ       R12
	JMP        bbias

bbiastail:
	VMOVDQU8.Z    (BX), K1, Z4
	VPDPBUSD      Z4, Z2, Z5
	VEXTRACTI64X4 $1, Z5, Y1
	VPADDD        Y1, Y5, Y5
	VEXTRACTI128  $1, Y5, X1
	VPADDD        X1, X5, X5
	VPSHUFD       $0x4e, X5, X1
	VPADDD        X1, X5, X5
	VPSHUFD       $0xb1, X5, X1
	VPADDD        X1, X5, X5
	VMOVD         X5, R13

brow:
	TESTQ  R9, R9
	JZ     bdone
	MOVQ   (R8), DI
	MOVQ   SI, BX
	MOVQ   R11, R12
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1

bblock2:
	CMPQ      R12, $2
	JL        bblock1
	VMOVDQU64 (DI), Z3
	VMOVDQU64 64(DI), Z6
	VMOVDQU64 (BX), Z4
	VMOVDQU64 64(BX), Z7
	VPXORD    Z2, Z3, Z3
	VPXORD    Z2, Z6, Z6
	VPDPBUSD  Z4, Z3, Z0
	VPDPBUSD  Z7, Z6, Z1
	ADDQ      $128, DI
	ADDQ      $128, BX
	SUBQ      $2, R12
	JMP       bblock2

bblock1:
	TESTQ     R12, R12
	JZ        btail
	VMOVDQU64 (DI), Z3
	VMOVDQU64 (BX), Z4
	VPXORD    Z2, Z3, Z3
	VPDPBUSD  Z4, Z3, Z0
	ADDQ      $64, DI
	ADDQ      $64, BX

btail:
	TESTQ      CX, CX
	JZ         breduce
	VMOVDQU8.Z (DI), K1, Z3
	VMOVDQU8.Z (BX), K1, Z4
	VPXORD     Z2, Z3, Z3
	VPDPBUSD   Z4, Z3, Z0

breduce:
	VPADDD        Z1, Z0, Z0
	VEXTRACTI64X4 $1, Z0, Y1
	VPADDD        Y1, Y0, Y0
	VEXTRACTI128  $1, Y0, X1
	VPADDD        X1, X0, X0
	VPSHUFD       $0x4e, X0, X1
	VPADDD        X1, X0, X0
	VPSHUFD       $0xb1, X0, X1
	VPADDD        X1, X0, X0
	VMOVD         X0, AX
	SUBL          R13, AX
	MOVL          AX, (R10)
	ADDQ          $4, R10
	ADDQ          $24, R8
	DECQ          R9
	JMP           brow

bdone:
	VZEROUPPER
	RET
