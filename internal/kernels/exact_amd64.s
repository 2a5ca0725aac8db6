//go:build !noasm

#include "textflag.h"

// The exact kernels' AVX2 paths (see exact.go): separate multiply and add
// instructions (no FMA), the dot product's 32 lanes in Y0..Y3 (lane j of the
// sum in Y(j/8), element j%8), combined pairwise as the Go code does.

// REDUCE32 combines the 32 lanes of Y0..Y3 into X0's first element:
// s[i] += s[i+16], s[i] += s[i+8], then +4, +2, +1.
#define REDUCE32 \
	VADDPS Y2, Y0, Y0 \
	VADDPS Y3, Y1, Y1 \
	VADDPS Y1, Y0, Y0 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS X1, X0, X0 \
	VMOVHLPS X0, X0, X1 \
	VADDPS X1, X0, X0 \
	VMOVSHDUP X0, X1 \
	VADDSS X1, X0, X0

// DOT32 adds the products of 32 elements at SI and DI into Y0..Y3 and
// advances SI and DI.
#define DOT32 \
	VMOVUPS 0(SI), Y4 \
	VMOVUPS 32(SI), Y5 \
	VMOVUPS 64(SI), Y6 \
	VMOVUPS 96(SI), Y7 \
	VMULPS 0(DI), Y4, Y4 \
	VMULPS 32(DI), Y5, Y5 \
	VMULPS 64(DI), Y6, Y6 \
	VMULPS 96(DI), Y7, Y7 \
	VADDPS Y4, Y0, Y0 \
	VADDPS Y5, Y1, Y1 \
	VADDPS Y6, Y2, Y2 \
	VADDPS Y7, Y3, Y3 \
	ADDQ $128, SI \
	ADDQ $128, DI

// exactMask is 32 all-ones dwords then 32 zero dwords: the 32 dwords from
// index 32−r enable exactly the first r elements of a 32-element block.
DATA exactMask<>+0(SB)/8, $0xffffffffffffffff
DATA exactMask<>+8(SB)/8, $0xffffffffffffffff
DATA exactMask<>+16(SB)/8, $0xffffffffffffffff
DATA exactMask<>+24(SB)/8, $0xffffffffffffffff
DATA exactMask<>+32(SB)/8, $0xffffffffffffffff
DATA exactMask<>+40(SB)/8, $0xffffffffffffffff
DATA exactMask<>+48(SB)/8, $0xffffffffffffffff
DATA exactMask<>+56(SB)/8, $0xffffffffffffffff
DATA exactMask<>+64(SB)/8, $0xffffffffffffffff
DATA exactMask<>+72(SB)/8, $0xffffffffffffffff
DATA exactMask<>+80(SB)/8, $0xffffffffffffffff
DATA exactMask<>+88(SB)/8, $0xffffffffffffffff
DATA exactMask<>+96(SB)/8, $0xffffffffffffffff
DATA exactMask<>+104(SB)/8, $0xffffffffffffffff
DATA exactMask<>+112(SB)/8, $0xffffffffffffffff
DATA exactMask<>+120(SB)/8, $0xffffffffffffffff
DATA exactMask<>+128(SB)/8, $0
DATA exactMask<>+136(SB)/8, $0
DATA exactMask<>+144(SB)/8, $0
DATA exactMask<>+152(SB)/8, $0
DATA exactMask<>+160(SB)/8, $0
DATA exactMask<>+168(SB)/8, $0
DATA exactMask<>+176(SB)/8, $0
DATA exactMask<>+184(SB)/8, $0
DATA exactMask<>+192(SB)/8, $0
DATA exactMask<>+200(SB)/8, $0
DATA exactMask<>+208(SB)/8, $0
DATA exactMask<>+216(SB)/8, $0
DATA exactMask<>+224(SB)/8, $0
DATA exactMask<>+232(SB)/8, $0
DATA exactMask<>+240(SB)/8, $0
DATA exactMask<>+248(SB)/8, $0
GLOBL exactMask<>(SB), RODATA|NOPTR, $256

// MASKS loads into Y8..Y11 the masks of a tail of DX elements (1..31),
// using AX.
#define MASKS \
	LEAQ    exactMask<>+128(SB), AX \
	MOVQ    DX, BX \
	SHLQ    $2, BX \
	SUBQ    BX, AX \
	VMOVUPS 0(AX), Y8 \
	VMOVUPS 32(AX), Y9 \
	VMOVUPS 64(AX), Y10 \
	VMOVUPS 96(AX), Y11

// DOTTAIL adds the products of the first DX elements at SI and DI (masks in
// Y8..Y11) into Y0..Y3 and advances SI by DX elements. The masked loads
// read nothing past the elements (no fault either) and give +0 elsewhere:
// a lane gains +0·+0 = +0, which leaves it unchanged (a lane that starts
// at +0 can never be −0), so the lanes equal the Go code's.
#define DOTTAIL \
	VMASKMOVPS 0(SI), Y8, Y4 \
	VMASKMOVPS 32(SI), Y9, Y5 \
	VMASKMOVPS 64(SI), Y10, Y6 \
	VMASKMOVPS 96(SI), Y11, Y7 \
	VMASKMOVPS 0(DI), Y8, Y12 \
	VMASKMOVPS 32(DI), Y9, Y13 \
	VMASKMOVPS 64(DI), Y10, Y14 \
	VMASKMOVPS 96(DI), Y11, Y15 \
	VMULPS Y12, Y4, Y4 \
	VMULPS Y13, Y5, Y5 \
	VMULPS Y14, Y6, Y6 \
	VMULPS Y15, Y7, Y7 \
	VADDPS Y4, Y0, Y0 \
	VADDPS Y5, Y1, Y1 \
	VADDPS Y6, Y2, Y2 \
	VADDPS Y7, Y3, Y3 \
	LEAQ (SI)(DX*4), SI

// func exactDotAVX2(x, y *float32, n int) float32
// n ≥ 1: n/32 blocks, then a masked tail of n mod 32.
TEXT ·exactDotAVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ CX, DX
	ANDQ $31, DX
	SHRQ $5, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	TESTQ CX, CX
	JZ    dottail

dotloop:
	DOT32
	DECQ CX
	JNZ  dotloop

dottail:
	TESTQ DX, DX
	JZ    dotdone
	MASKS
	DOTTAIL

dotdone:
	REDUCE32
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func exactMatVecAVX2(dst, w, x *float32, rows, cols int)
// rows ≥ 1, cols ≥ 1: per row cols/32 blocks, then a masked tail.
TEXT ·exactMatVecAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), R8
	MOVQ w+8(FP), SI
	MOVQ rows+24(FP), R9
	MOVQ cols+32(FP), DX
	ANDQ $31, DX
	JZ   rowloop
	MASKS

rowloop:
	MOVQ x+16(FP), DI
	MOVQ cols+32(FP), CX
	SHRQ $5, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	TESTQ CX, CX
	JZ    mvtail

mvloop:
	DOT32
	DECQ CX
	JNZ  mvloop

mvtail:
	TESTQ DX, DX
	JZ    mvdone
	DOTTAIL

mvdone:
	REDUCE32
	MOVSS X0, (R8)
	ADDQ  $4, R8
	DECQ  R9
	JNZ   rowloop
	VZEROUPPER
	RET

// func exactAxpyAVX2(alpha float32, x, y *float32, n int)
// y[k] = y[k] + alpha·x[k], n ≥ 1.
TEXT ·exactAxpyAVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Y0
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX
	CMPQ CX, $16
	JLT  axpy8

axpy16:
	VMULPS  0(SI), Y0, Y1
	VMULPS  32(SI), Y0, Y2
	VADDPS  0(DI), Y1, Y1
	VADDPS  32(DI), Y2, Y2
	VMOVUPS Y1, 0(DI)
	VMOVUPS Y2, 32(DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	CMPQ    CX, $16
	JGE     axpy16

axpy8:
	CMPQ    CX, $8
	JLT     axpy1
	VMULPS  0(SI), Y0, Y1
	VADDPS  0(DI), Y1, Y1
	VMOVUPS Y1, 0(DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX

axpy1:
	TESTQ CX, CX
	JZ    axpydone
	VMULSS 0(SI), X0, X1
	VADDSS 0(DI), X1, X1
	VMOVSS X1, 0(DI)
	ADDQ   $4, SI
	ADDQ   $4, DI
	DECQ   CX
	JMP    axpy1

axpydone:
	VZEROUPPER
	RET

// func exactAdamAVX2(p, gr, m, v *float32, n int, a *exactAdamArgs)
// n ≥ 1 (a scalar loop does the last n mod 8).
TEXT ·exactAdamAVX2(SB), NOSPLIT, $0-48
	MOVQ p+0(FP), R8
	MOVQ gr+8(FP), R9
	MOVQ m+16(FP), R10
	MOVQ v+24(FP), R11
	MOVQ n+32(FP), CX
	MOVQ a+40(FP), AX
	VBROADCASTSS 0(AX), Y8   // b1
	VBROADCASTSS 4(AX), Y9   // c1
	VBROADCASTSS 8(AX), Y10  // b2
	VBROADCASTSS 12(AX), Y11 // c2
	VBROADCASTSS 16(AX), Y12 // lr
	VBROADCASTSS 20(AX), Y13 // eps
	VBROADCASTSS 24(AX), Y14 // -clip
	VBROADCASTSS 28(AX), Y15 // clip
	CMPQ CX, $8
	JLT  adam1

adam8:
	VMOVUPS 0(R9), Y0         // g
	VMAXPS  Y14, Y0, Y0       // g > -clip ? g : -clip
	VMINPS  Y15, Y0, Y0       // g < clip ? g : clip
	VMULPS  0(R10), Y8, Y1    // b1·m
	VMULPS  Y0, Y9, Y2        // c1·g
	VADDPS  Y2, Y1, Y1        // m
	VMULPS  Y0, Y0, Y3        // g·g
	VMULPS  Y3, Y11, Y3       // c2·g·g
	VMULPS  0(R11), Y10, Y4   // b2·v
	VADDPS  Y3, Y4, Y4        // v
	VSQRTPS Y4, Y5
	VADDPS  Y13, Y5, Y5       // √v + eps
	VMULPS  Y1, Y12, Y6       // lr·m
	VDIVPS  Y5, Y6, Y6        // lr·m / (√v + eps)
	VMOVUPS 0(R8), Y7
	VSUBPS  Y6, Y7, Y7
	VMOVUPS Y1, 0(R10)
	VMOVUPS Y4, 0(R11)
	VMOVUPS Y7, 0(R8)
	VXORPS  Y0, Y0, Y0
	VMOVUPS Y0, 0(R9)
	ADDQ    $32, R8
	ADDQ    $32, R9
	ADDQ    $32, R10
	ADDQ    $32, R11
	SUBQ    $8, CX
	CMPQ    CX, $8
	JGE     adam8

adam1:
	TESTQ CX, CX
	JZ    adamdone
	VMOVSS  0(R9), X0
	VMAXSS  X14, X0, X0
	VMINSS  X15, X0, X0
	VMULSS  0(R10), X8, X1
	VMULSS  X0, X9, X2
	VADDSS  X2, X1, X1
	VMULSS  X0, X0, X3
	VMULSS  X3, X11, X3
	VMULSS  0(R11), X10, X4
	VADDSS  X3, X4, X4
	VSQRTSS X4, X4, X5
	VADDSS  X13, X5, X5
	VMULSS  X1, X12, X6
	VDIVSS  X5, X6, X6
	VMOVSS  0(R8), X7
	VSUBSS  X6, X7, X7
	VMOVSS  X1, 0(R10)
	VMOVSS  X4, 0(R11)
	VMOVSS  X7, 0(R8)
	VXORPS  X0, X0, X0
	VMOVSS  X0, 0(R9)
	ADDQ    $4, R8
	ADDQ    $4, R9
	ADDQ    $4, R10
	ADDQ    $4, R11
	DECQ    CX
	JMP     adam1

adamdone:
	VZEROUPPER
	RET

// ACC8 and ACC4 broadcast the float at DX and add its products with the 64
// (32) floats at SI to Y0..Y7 (Y0..Y3), each product rounded first.
#define ACC4 \
	VBROADCASTSS (DX), Y8 \
	VMULPS 0(SI), Y8, Y9 \
	VADDPS Y9, Y0, Y0 \
	VMULPS 32(SI), Y8, Y10 \
	VADDPS Y10, Y1, Y1 \
	VMULPS 64(SI), Y8, Y11 \
	VADDPS Y11, Y2, Y2 \
	VMULPS 96(SI), Y8, Y12 \
	VADDPS Y12, Y3, Y3

#define ACC8 \
	ACC4 \
	VMULPS 128(SI), Y8, Y9 \
	VADDPS Y9, Y4, Y4 \
	VMULPS 160(SI), Y8, Y10 \
	VADDPS Y10, Y5, Y5 \
	VMULPS 192(SI), Y8, Y11 \
	VADDPS Y11, Y6, Y6 \
	VMULPS 224(SI), Y8, Y12 \
	VADDPS Y12, Y7, Y7

// STORE4 and STORE8 write Y0..Y3 (Y0..Y7) to 32 (64) floats at R8.
#define STORE4 \
	VMOVUPS Y0, 0(R8) \
	VMOVUPS Y1, 32(R8) \
	VMOVUPS Y2, 64(R8) \
	VMOVUPS Y3, 96(R8)

#define STORE8 \
	STORE4 \
	VMOVUPS Y4, 128(R8) \
	VMOVUPS Y5, 160(R8) \
	VMOVUPS Y6, 192(R8) \
	VMOVUPS Y7, 224(R8)

// func exactMatTVecAddAVX2(dst, w, gv *float32, rows, cols int)
// rows ≥ 1; cols a positive multiple of 32. dst is processed in chunks of
// 64 (or a last 32) columns kept in Y0..Y7 while every row is added.
TEXT ·exactMatTVecAddAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ cols+32(FP), R12
	SHLQ $2, R12              // w's row stride in bytes
	XORQ R10, R10             // column offset in bytes

mtchunk:
	CMPQ R10, R12
	JGE  mtdone
	MOVQ w+8(FP), SI
	ADDQ R10, SI
	MOVQ gv+16(FP), DX
	MOVQ rows+24(FP), R9
	LEAQ (DI)(R10*1), R8
	MOVQ R12, R11
	SUBQ R10, R11
	CMPQ R11, $256
	JLT  mt32

	VMOVUPS 0(R8), Y0
	VMOVUPS 32(R8), Y1
	VMOVUPS 64(R8), Y2
	VMOVUPS 96(R8), Y3
	VMOVUPS 128(R8), Y4
	VMOVUPS 160(R8), Y5
	VMOVUPS 192(R8), Y6
	VMOVUPS 224(R8), Y7

mt64row:
	ACC8
	ADDQ $4, DX
	ADDQ R12, SI
	DECQ R9
	JNZ  mt64row

	STORE8
	ADDQ $256, R10
	JMP  mtchunk

mt32:
	VMOVUPS 0(R8), Y0
	VMOVUPS 32(R8), Y1
	VMOVUPS 64(R8), Y2
	VMOVUPS 96(R8), Y3

mt32row:
	ACC4
	ADDQ $4, DX
	ADDQ R12, SI
	DECQ R9
	JNZ  mt32row

	STORE4
	ADDQ $128, R10
	JMP  mtchunk

mtdone:
	VZEROUPPER
	RET

// func exactOuterSumAVX2(dst, a, b *float32, steps, rows, cols int)
// steps, rows ≥ 1; cols a positive multiple of 32. For each row i and each
// chunk of 64 (or a last 32) columns, the sums over s run in Y0..Y7.
TEXT ·exactOuterSumAVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), R13         // &a[i] for the current row
	MOVQ rows+32(FP), R14
	SHLQ $2, R14              // a's step stride in bytes
	MOVQ cols+40(FP), R12
	SHLQ $2, R12              // b's step stride and dst's row stride in bytes
	MOVQ rows+32(FP), R15     // rows left

osrow:
	XORQ R10, R10             // column offset in bytes

oschunk:
	CMPQ R10, R12
	JGE  osnextrow
	MOVQ b+16(FP), SI
	ADDQ R10, SI
	MOVQ R13, DX
	MOVQ steps+24(FP), R9
	MOVQ R12, R11
	SUBQ R10, R11
	CMPQ R11, $256
	JLT  os32

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

os64step:
	ACC8
	ADDQ R14, DX
	ADDQ R12, SI
	DECQ R9
	JNZ  os64step

	LEAQ (DI)(R10*1), R8
	STORE8
	ADDQ $256, R10
	JMP  oschunk

os32:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

os32step:
	ACC4
	ADDQ R14, DX
	ADDQ R12, SI
	DECQ R9
	JNZ  os32step

	LEAQ (DI)(R10*1), R8
	STORE4
	ADDQ $128, R10
	JMP  oschunk

osnextrow:
	ADDQ R12, DI
	ADDQ $4, R13
	DECQ R15
	JNZ  osrow
	VZEROUPPER
	RET

// Constants of the exact exp and tanh (float32 bits, as Go rounds the
// constants of exact.go).
DATA exactc<>+0(SB)/4, $0x3fb8aa3b  // log2e
DATA exactc<>+4(SB)/4, $0x4b400000  // roundMag
DATA exactc<>+8(SB)/4, $0x3f318000  // ln2Hi
DATA exactc<>+12(SB)/4, $0xb95e8083 // ln2Lo
DATA exactc<>+16(SB)/4, $0x42b17218 // expHi
DATA exactc<>+20(SB)/4, $0xc2cff1b5 // expLo
DATA exactc<>+24(SB)/4, $0x39500d01 // 1/5040
DATA exactc<>+28(SB)/4, $0x3ab60b61 // 1/720
DATA exactc<>+32(SB)/4, $0x3c088889 // 1/120
DATA exactc<>+36(SB)/4, $0x3d2aaaab // 1/24
DATA exactc<>+40(SB)/4, $0x3e2aaaab // 1/6
DATA exactc<>+44(SB)/4, $0x3f000000 // 0.5
DATA exactc<>+48(SB)/4, $0x3f800000 // 1
DATA exactc<>+52(SB)/4, $0xbabed1b2 // -929569/638512875
DATA exactc<>+56(SB)/4, $0x3b6b69e8 // 21844/6081075
DATA exactc<>+60(SB)/4, $0xbc11371b // -1382/155925
DATA exactc<>+64(SB)/4, $0x3cb327a4 // 62/2835
DATA exactc<>+68(SB)/4, $0xbd5d0dd1 // -17/315
DATA exactc<>+72(SB)/4, $0x3e088889 // 2/15
DATA exactc<>+76(SB)/4, $0xbeaaaaab // -1/3
DATA exactc<>+80(SB)/4, $0x40000000 // 2
DATA exactc<>+84(SB)/4, $127        // exponent bias (integer)
DATA exactc<>+88(SB)/4, $0x7f800000 // +Inf
DATA exactc<>+92(SB)/4, $0x7fffffff // |x| mask
DATA exactc<>+96(SB)/4, $0x80000000 // sign bit
GLOBL exactc<>(SB), RODATA|NOPTR, $100

// HORNER multiplies Y3 by Y2 and adds the constant at off (p = p·r + c).
#define HORNER(off) \
	VMULPS       Y2, Y3, Y3 \
	VBROADCASTSS exactc<>+off(SB), Y4 \
	VADDPS       Y4, Y3, Y3

// EXP sets Y0 to ExactExp of each lane of Y0; it clobbers Y1..Y7.
#define EXP \
	VBROADCASTSS exactc<>+0(SB), Y1 \
	VMULPS       Y1, Y0, Y1 \
	VBROADCASTSS exactc<>+4(SB), Y2 \
	VADDPS       Y2, Y1, Y1 \
	VSUBPS       Y2, Y1, Y1 \
	VBROADCASTSS exactc<>+8(SB), Y2 \
	VMULPS       Y2, Y1, Y2 \
	VSUBPS       Y2, Y0, Y2 \
	VBROADCASTSS exactc<>+12(SB), Y3 \
	VMULPS       Y3, Y1, Y3 \
	VSUBPS       Y3, Y2, Y2 \
	VBROADCASTSS exactc<>+24(SB), Y3 \
	HORNER(28) \
	HORNER(32) \
	HORNER(36) \
	HORNER(40) \
	HORNER(44) \
	HORNER(48) \
	HORNER(48) \
	VCVTTPS2DQ   Y1, Y4 \
	VPSRAD       $1, Y4, Y5 \
	VPSUBD       Y5, Y4, Y4 \
	VPBROADCASTD exactc<>+84(SB), Y6 \
	VPADDD       Y6, Y5, Y5 \
	VPSLLD       $23, Y5, Y5 \
	VPADDD       Y6, Y4, Y4 \
	VPSLLD       $23, Y4, Y4 \
	VMULPS       Y5, Y3, Y3 \
	VMULPS       Y4, Y3, Y3 \
	VBROADCASTSS exactc<>+16(SB), Y5 \
	VCMPPS       $2, Y5, Y0, Y6 \
	VBROADCASTSS exactc<>+88(SB), Y5 \
	VCMPPS       $3, Y0, Y0, Y7 \
	VBLENDVPS    Y7, Y0, Y5, Y5 \
	VBLENDVPS    Y6, Y3, Y5, Y3 \
	VBROADCASTSS exactc<>+20(SB), Y5 \
	VCMPPS       $1, Y5, Y0, Y6 \
	VXORPS       Y5, Y5, Y5 \
	VBLENDVPS    Y6, Y5, Y3, Y0

// func exactExpAVX2(dst, src *float32, n int)
// n a positive multiple of 8.
TEXT ·exactExpAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

exploop:
	VMOVUPS (SI), Y0
	EXP
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     exploop
	VZEROUPPER
	RET

// func exactSigmoidAVX2(dst, src *float32, n int)
// 1/(1 + exp(−x)); n a positive multiple of 8.
TEXT ·exactSigmoidAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

sigloop:
	VBROADCASTSS exactc<>+96(SB), Y1
	VXORPS       (SI), Y1, Y0
	EXP
	VBROADCASTSS exactc<>+48(SB), Y1
	VADDPS       Y1, Y0, Y0
	VDIVPS       Y0, Y1, Y0
	VMOVUPS      Y0, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DI
	SUBQ         $8, CX
	JNZ          sigloop
	VZEROUPPER
	RET

// TANHPOLY multiplies Y11 by Y13 and adds the constant at off.
#define TANHPOLY(off) \
	VMULPS       Y13, Y11, Y11 \
	VBROADCASTSS exactc<>+off(SB), Y12 \
	VADDPS       Y12, Y11, Y11

// func exactTanhAVX2(dst, src *float32, n int)
// n a positive multiple of 8. Both branches of ExactTanh are computed and
// the lanes blended: |x| < 0.5 the odd polynomial, else
// ±(1 − 2/(e^2|x| + 1)).
TEXT ·exactTanhAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

tanhloop:
	VMOVUPS      (SI), Y9                 // x
	VBROADCASTSS exactc<>+92(SB), Y10
	VANDPS       Y9, Y10, Y10             // |x|
	// the small branch, into Y14
	VMULPS       Y9, Y9, Y13              // z = x·x
	VBROADCASTSS exactc<>+52(SB), Y11
	TANHPOLY(56)
	TANHPOLY(60)
	TANHPOLY(64)
	TANHPOLY(68)
	TANHPOLY(72)
	TANHPOLY(76)
	VMULPS       Y13, Y9, Y14             // x·z
	VMULPS       Y11, Y14, Y14            // (x·z)·p
	VADDPS       Y14, Y9, Y14             // x + (x·z)·p
	// the large branch, into Y0
	VADDPS       Y10, Y10, Y0             // 2|x|
	EXP
	VBROADCASTSS exactc<>+48(SB), Y1
	VADDPS       Y1, Y0, Y0               // e + 1
	VBROADCASTSS exactc<>+80(SB), Y2
	VDIVPS       Y0, Y2, Y0               // 2/(e + 1)
	VSUBPS       Y0, Y1, Y0               // 1 − 2/(e + 1)
	VBROADCASTSS exactc<>+96(SB), Y2
	VXORPS       Y2, Y0, Y3               // −t
	VXORPS       Y4, Y4, Y4
	VCMPPS       $1, Y4, Y9, Y5           // x < 0
	VBLENDVPS    Y5, Y3, Y0, Y0
	VBROADCASTSS exactc<>+44(SB), Y2
	VCMPPS       $1, Y2, Y10, Y5          // |x| < 0.5
	VBLENDVPS    Y5, Y14, Y0, Y0
	VMOVUPS      Y0, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DI
	SUBQ         $8, CX
	JNZ          tanhloop
	VZEROUPPER
	RET
