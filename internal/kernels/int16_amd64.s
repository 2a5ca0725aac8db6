//go:build !noasm

#include "textflag.h"

// func dotInt16AVX2(x, y []int16) int32
// len(x) is a multiple of 16. VPMADDWD multiplies int16 pairs and adds
// adjacent products into int32 lanes; VPADDD accumulates (wrapping), then
// the eight lanes are summed.
TEXT ·dotInt16AVX2(SB), NOSPLIT, $0-52
	MOVQ x_base+0(FP), SI
	MOVQ y_base+24(FP), DI
	MOVQ x_len+8(FP), CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
dotInt16_loop2:
	CMPQ CX, $32
	JLT dotInt16_loop
	VMOVDQU (SI), Y2
	VMOVDQU 32(SI), Y3
	VPMADDWD (DI), Y2, Y2
	VPMADDWD 32(DI), Y3, Y3
	VPADDD Y2, Y0, Y0
	VPADDD Y3, Y1, Y1
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $32, CX
	JMP dotInt16_loop2
dotInt16_loop:
	CMPQ CX, $16
	JLT dotInt16_done
	VMOVDQU (SI), Y2
	VPMADDWD (DI), Y2, Y2
	VPADDD Y2, Y0, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $16, CX
	JMP dotInt16_loop
dotInt16_done:
	VPADDD Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD X1, X0, X0
	VPSHUFD $0x4E, X0, X1
	VPADDD X1, X0, X0
	VPSHUFD $0xB1, X0, X1
	VPADDD X1, X0, X0
	VMOVD X0, AX
	MOVL AX, ret+48(FP)
	VZEROUPPER
	RET

// func addInt16AVX2(y, x []int16)
TEXT ·addInt16AVX2(SB), NOSPLIT, $0-48
	MOVQ y_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
addInt16_loop:
	CMPQ CX, $16
	JLT addInt16_done
	VMOVDQU (DI), Y0
	VPADDW (SI), Y0, Y0
	VMOVDQU Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $16, CX
	JMP addInt16_loop
addInt16_done:
	VZEROUPPER
	RET

// func subInt16AVX2(y, x []int16)
TEXT ·subInt16AVX2(SB), NOSPLIT, $0-48
	MOVQ y_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
subInt16_loop:
	CMPQ CX, $16
	JLT subInt16_done
	VMOVDQU (DI), Y0
	VPSUBW (SI), Y0, Y0
	VMOVDQU Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $16, CX
	JMP subInt16_loop
subInt16_done:
	VZEROUPPER
	RET

// func adaptDotInt16AVX2(w, a, h []int16, sign int16) int32
// len(w) is a multiple of 16. sign is −1, 0 or 1: w += sign·a (VPSIGNW
// gives a, −a or 0 lane by lane from a broadcast sign), then the dot
// product of the new w with h as dotInt16AVX2.
TEXT ·adaptDotInt16AVX2(SB), NOSPLIT, $0-84
	MOVQ w_base+0(FP), DI
	MOVQ a_base+24(FP), SI
	MOVQ h_base+48(FP), DX
	MOVQ w_len+8(FP), CX
	MOVWLZX sign+72(FP), AX
	VMOVD AX, X4
	VPBROADCASTW X4, Y4
	VPXOR Y0, Y0, Y0
adaptDot_loop:
	CMPQ CX, $16
	JLT adaptDot_done
	VMOVDQU (SI), Y1
	VPSIGNW Y4, Y1, Y1
	VPADDW (DI), Y1, Y1
	VMOVDQU Y1, (DI)
	VPMADDWD (DX), Y1, Y1
	VPADDD Y1, Y0, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, DX
	SUBQ $16, CX
	JMP adaptDot_loop
adaptDot_done:
	VEXTRACTI128 $1, Y0, X1
	VPADDD X1, X0, X0
	VPSHUFD $0x4E, X0, X1
	VPADDD X1, X0, X0
	VPSHUFD $0xB1, X0, X1
	VPADDD X1, X0, X0
	VMOVD X0, AX
	MOVL AX, ret+80(FP)
	VZEROUPPER
	RET
