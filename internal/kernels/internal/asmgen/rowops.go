package main

import "fmt"

// Matrix-vector kernels, LayerNorm and AdamW rows, the packing transpose.

// simpleLoop emits a one-vector-per-iteration loop over CX elements with
// AX as the byte offset; body is called for full vectors and once more for
// the masked tail (tail = true).
func (g *gen) simpleLoop(l string, body func(tail bool, load func(m, d string), store func(sr, m string))) {
	s := g.s
	plain := func(m, d string) { g.w("VMOVUPS %s, %s", m, d) }
	plainSt := func(sr, m string) { g.w("VMOVUPS %s, %s", sr, m) }
	g.w("XORQ AX, AX")
	g.label(l + "_loop")
	g.w("CMPQ CX, $%d", s.lanes())
	g.w("JLT %s_tail", l)
	body(false, plain, plainSt)
	g.w("ADDQ $%d, AX", s.vb())
	g.w("SUBQ $%d, CX", s.lanes())
	g.w("JMP %s_loop", l)
	g.label(l + "_tail")
	g.w("TESTQ CX, CX")
	g.w("JEQ %s_done", l)
	g.w("MOVQ AX, DX")
	g.setMask("CX")
	g.w("MOVQ DX, AX")
	body(true, g.loadTail, g.storeTail)
	g.label(l + "_done")
}

// maskedAdd adds register v into acc, only in the tail lanes when tail.
func (g *gen) maskedAdd(tail bool, v, acc string) {
	switch {
	case !tail:
		g.w("VADDPS %s, %s, %s", v, acc, acc)
	case g.s.z:
		g.w("VADDPS %s, %s, K1, %s", v, acc, acc)
	default:
		g.w("VANDPS %s, %s, %s", mreg, v, v)
		g.w("VADDPS %s, %s, %s", v, acc, acc)
	}
}

// layerNorm emits the row leaves of LayerNorm and LayerNormBackward.
func (g *gen) layerNorm() {
	s := g.s
	R := s.r
	// sum(x) float32
	g.text("sum", "28")
	g.w("MOVQ x_base+0(FP), SI")
	g.w("MOVQ x_len+8(FP), CX")
	g.zero(R(0))
	g.simpleLoop("sum"+s.suffix, func(tail bool, load func(m, d string), store func(sr, m string)) {
		load("(SI)(AX*1)", R(1))
		g.w("VADDPS %s, %s, %s", R(1), R(0), R(0))
	})
	g.hreduce(0, 1, "VADD")
	g.w("VMOVSS X0, ret+24(FP)")
	g.ret()

	// sumSqDev(x, m) float32 = Σ (x−m)²
	g.text("sumSqDev", "36")
	g.w("MOVQ x_base+0(FP), SI")
	g.w("MOVQ x_len+8(FP), CX")
	g.w("VBROADCASTSS m+24(FP), %s", R(8))
	g.zero(R(0))
	g.simpleLoop("sumSqDev"+s.suffix, func(tail bool, load func(m, d string), store func(sr, m string)) {
		load("(SI)(AX*1)", R(1))
		g.w("VSUBPS %s, %s, %s", R(8), R(1), R(1))
		g.w("VMULPS %s, %s, %s", R(1), R(1), R(1))
		g.maskedAdd(tail, R(1), R(0))
	})
	g.hreduce(0, 1, "VADD")
	g.w("VMOVSS X0, ret+32(FP)")
	g.ret()

	// lnApply(out, x, w, b, mean, rstd): out = (x−mean)·rstd·w + b
	g.text("lnApply", "104")
	g.w("MOVQ out_base+0(FP), DI")
	g.w("MOVQ x_base+24(FP), SI")
	g.w("MOVQ w_base+48(FP), R8")
	g.w("MOVQ b_base+72(FP), R9")
	g.w("MOVQ x_len+32(FP), CX")
	g.w("VBROADCASTSS mean+96(FP), %s", R(8))
	g.w("VBROADCASTSS rstd+100(FP), %s", R(9))
	g.simpleLoop("lnApply"+s.suffix, func(tail bool, load func(m, d string), store func(sr, m string)) {
		load("(SI)(AX*1)", R(0))
		load("(R8)(AX*1)", R(1))
		load("(R9)(AX*1)", R(2))
		g.w("VSUBPS %s, %s, %s", R(8), R(0), R(0))
		g.w("VMULPS %s, %s, %s", R(9), R(0), R(0))
		g.w("VFMADD213PS %s, %s, %s", R(2), R(1), R(0)) // x̂·w + b
		store(R(0), "(DI)(AX*1)")
	})
	g.ret()

	// lnBackSums(dout, x, w, mean, rstd) (sg, sgx): Σ w·dout, Σ w·dout·x̂
	g.text("lnBackSums", "88")
	g.w("MOVQ dout_base+0(FP), DI")
	g.w("MOVQ x_base+24(FP), SI")
	g.w("MOVQ w_base+48(FP), R8")
	g.w("MOVQ x_len+32(FP), CX")
	g.w("VBROADCASTSS mean+72(FP), %s", R(8))
	g.w("VBROADCASTSS rstd+76(FP), %s", R(9))
	g.zero(R(0))
	g.zero(R(1))
	g.simpleLoop("lnBackSums"+s.suffix, func(tail bool, load func(m, d string), store func(sr, m string)) {
		load("(DI)(AX*1)", R(2))
		load("(R8)(AX*1)", R(3))
		load("(SI)(AX*1)", R(4))
		g.w("VMULPS %s, %s, %s", R(3), R(2), R(2)) // g = w·dout (0 in masked lanes)
		g.w("VSUBPS %s, %s, %s", R(8), R(4), R(4))
		g.w("VMULPS %s, %s, %s", R(9), R(4), R(4)) // x̂
		g.w("VADDPS %s, %s, %s", R(2), R(0), R(0))
		g.w("VFMADD231PS %s, %s, %s", R(4), R(2), R(1))
	})
	g.hreduce(0, 2, "VADD")
	g.hreduce(1, 2, "VADD")
	g.w("VMOVSS X0, sg+80(FP)")
	g.w("VMOVSS X1, sgx+84(FP)")
	g.ret()

	// lnBackApply(dinp, dout, x, w, mean, rstd, mg, mgx):
	// dinp += rstd·(w·dout − mg − x̂·mgx)
	g.text("lnBackApply", "112")
	g.w("MOVQ dinp_base+0(FP), DI")
	g.w("MOVQ dout_base+24(FP), DX")
	g.w("MOVQ x_base+48(FP), SI")
	g.w("MOVQ w_base+72(FP), R8")
	g.w("MOVQ x_len+56(FP), CX")
	g.w("VBROADCASTSS mean+96(FP), %s", R(8))
	g.w("VBROADCASTSS rstd+100(FP), %s", R(9))
	g.w("VBROADCASTSS mg+104(FP), %s", R(10))
	g.w("VBROADCASTSS mgx+108(FP), %s", R(11))
	g.w("MOVQ DX, R10")
	g.simpleLoop("lnBackApply"+s.suffix, func(tail bool, load func(m, d string), store func(sr, m string)) {
		load("(R10)(AX*1)", R(0))
		load("(R8)(AX*1)", R(1))
		load("(SI)(AX*1)", R(2))
		g.w("VMULPS %s, %s, %s", R(1), R(0), R(0)) // g
		g.w("VSUBPS %s, %s, %s", R(8), R(2), R(2))
		g.w("VMULPS %s, %s, %s", R(9), R(2), R(2))  // x̂
		g.w("VSUBPS %s, %s, %s", R(10), R(0), R(0)) // g − mg
		g.w("VFNMADD231PS %s, %s, %s", R(11), R(2), R(0))
		load("(DI)(AX*1)", R(3))
		g.w("VFMADD231PS %s, %s, %s", R(9), R(0), R(3))
		store(R(3), "(DI)(AX*1)")
	})
	g.ret()

	// lnDWeight(dw, db, dout, x, mean, rstd): dw += x̂·dout; db += dout
	g.text("lnDWeight", "104")
	g.w("MOVQ dw_base+0(FP), DI")
	g.w("MOVQ db_base+24(FP), R9")
	g.w("MOVQ dout_base+48(FP), R8")
	g.w("MOVQ x_base+72(FP), SI")
	g.w("MOVQ x_len+80(FP), CX")
	g.w("VBROADCASTSS mean+96(FP), %s", R(8))
	g.w("VBROADCASTSS rstd+100(FP), %s", R(9))
	g.simpleLoop("lnDWeight"+s.suffix, func(tail bool, load func(m, d string), store func(sr, m string)) {
		load("(R8)(AX*1)", R(0))
		load("(SI)(AX*1)", R(1))
		g.w("VSUBPS %s, %s, %s", R(8), R(1), R(1))
		g.w("VMULPS %s, %s, %s", R(9), R(1), R(1))
		load("(DI)(AX*1)", R(2))
		g.w("VFMADD231PS %s, %s, %s", R(1), R(0), R(2))
		store(R(2), "(DI)(AX*1)")
		load("(R9)(AX*1)", R(3))
		g.w("VADDPS %s, %s, %s", R(0), R(3), R(3))
		store(R(3), "(R9)(AX*1)")
	})
	g.ret()
}

// gemvT4: out[i] = Σₚ x[p]·b[i·ldb+p] for rows i < 4·groups, four rows at
// a time (two accumulators each, then one, then the masked tail), the
// loop over row groups inside (no call per group). The main loop
// prefetches the same columns pf bytes further on in each row (the rows of
// a later group: a row of a few hundred floats is too short for the
// hardware prefetchers to follow, and a generated token's weights stream
// from L3).
func (g *gen) gemvT4() {
	s := g.s
	R := s.r
	V, vb := s.lanes(), s.vb()
	g.text("gemvT4", "56")
	g.w("MOVQ x+8(FP), SI")
	g.w("MOVQ b+16(FP), R8")
	g.w("MOVQ ldb+24(FP), R14")
	g.w("SHLQ $2, R14")
	g.w("MOVQ groups+32(FP), R15")
	g.w("MOVQ out+40(FP), DI")
	g.w("MOVQ pf+48(FP), R13")
	rows := []string{"R8", "R9", "R10", "R11"}
	l := "gemvT4" + s.suffix
	g.label(l + "_group")
	g.w("TESTQ R15, R15")
	g.w("JEQ %s_end", l)
	g.w("LEAQ (R8)(R14*1), R9")
	g.w("LEAQ (R9)(R14*1), R10")
	g.w("LEAQ (R10)(R14*1), R11")
	g.w("MOVQ k+0(FP), CX")
	for i := 0; i < 8; i++ {
		g.zero(R(i))
	}
	g.w("XORQ DX, DX")
	g.label(l + "_loop2")
	g.w("CMPQ CX, $%d", 2*V)
	g.w("JLT %s_loop", l)
	g.w("VMOVUPS (SI)(DX*1), %s", R(8))
	g.w("VMOVUPS %d(SI)(DX*1), %s", vb, R(9))
	g.w("LEAQ (DX)(R13*1), R12")
	for _, r := range rows {
		for off := 0; off < 2*vb; off += 64 {
			g.w("PREFETCHT0 %d(%s)(R12*1)", off, r)
		}
	}
	for i, r := range rows {
		g.w("VFMADD231PS (%s)(DX*1), %s, %s", r, R(8), R(i))
		g.w("VFMADD231PS %d(%s)(DX*1), %s, %s", vb, r, R(9), R(4+i))
	}
	g.w("ADDQ $%d, DX", 2*vb)
	g.w("SUBQ $%d, CX", 2*V)
	g.w("JMP %s_loop2", l)
	g.label(l + "_loop")
	g.w("CMPQ CX, $%d", V)
	g.w("JLT %s_tail", l)
	g.w("VMOVUPS (SI)(DX*1), %s", R(8))
	for i, r := range rows {
		g.w("VFMADD231PS (%s)(DX*1), %s, %s", r, R(8), R(i))
	}
	g.w("ADDQ $%d, DX", vb)
	g.w("SUBQ $%d, CX", V)
	g.label(l + "_tail")
	g.w("TESTQ CX, CX")
	g.w("JEQ %s_done", l)
	g.w("MOVQ DX, R12")
	g.setMask("CX")
	g.loadTail("(SI)(R12*1)", R(8))
	for i, r := range rows {
		g.loadTail(fmt.Sprintf("(%s)(R12*1)", r), R(9))
		g.w("VFMADD231PS %s, %s, %s", R(9), R(8), R(i))
	}
	g.label(l + "_done")
	for i := range rows {
		g.w("VADDPS %s, %s, %s", R(4+i), R(i), R(i))
		g.hreduce(i, 8, "VADD")
		g.w("VMOVSS X%d, %d(DI)", i, 4*i)
	}
	g.w("LEAQ (R11)(R14*1), R8")
	g.w("ADDQ $16, DI")
	g.w("DECQ R15")
	g.w("JMP %s_group", l)
	g.label(l + "_end")
	g.ret()
}

// gemvN: acc[j] += Σₚ x[p]·b[p·ldb+j] for j < w, rows four at a time
// (each column's sum still runs over p in order).
func (g *gen) gemvN() {
	s := g.s
	R := s.r
	V, vb := s.lanes(), s.vb()
	g.text("gemvNAcc", "48")
	g.w("MOVQ k+0(FP), CX")
	g.w("MOVQ x+8(FP), SI")
	g.w("MOVQ b+16(FP), DI")
	g.w("MOVQ ldb+24(FP), R8")
	g.w("SHLQ $2, R8")
	g.w("MOVQ acc+32(FP), DX")
	g.w("MOVQ w+40(FP), R9")
	// Tail mask for w mod V, made once.
	g.w("MOVQ R9, R14")
	g.w("ANDQ $%d, R14", V-1)
	g.w("JEQ %s_nomask", "gemvNAcc"+s.suffix)
	g.setMask("R14")
	g.label("gemvNAcc" + s.suffix + "_nomask")
	l := "gemvNAcc" + s.suffix
	// Broadcast x values live in R(10..13); row pointers R10..R13.
	rowsPass := func(tag string, nrows int) {
		rp := []string{"R10", "R11", "R12", "R13"}[:nrows]
		g.w("MOVQ DI, R10")
		for i := 1; i < nrows; i++ {
			g.w("LEAQ (%s)(R8*1), %s", rp[i-1], rp[i])
		}
		for i := 0; i < nrows; i++ {
			g.w("VBROADCASTSS %d(SI), %s", 4*i, R(10+i))
		}
		g.w("XORQ AX, AX")
		g.w("MOVQ R9, BX")
		g.label(l + tag + "_j4")
		g.w("CMPQ BX, $%d", 4*V)
		g.w("JLT %s%s_j1", l, tag)
		for v := 0; v < 4; v++ {
			g.w("VMOVUPS %d(DX)(AX*1), %s", v*vb, R(v))
		}
		for i := 0; i < nrows; i++ {
			for v := 0; v < 4; v++ {
				g.w("VFMADD231PS %d(%s)(AX*1), %s, %s", v*vb, rp[i], R(10+i), R(v))
			}
		}
		for v := 0; v < 4; v++ {
			g.w("VMOVUPS %s, %d(DX)(AX*1)", R(v), v*vb)
		}
		g.w("ADDQ $%d, AX", 4*vb)
		g.w("SUBQ $%d, BX", 4*V)
		g.w("JMP %s%s_j4", l, tag)
		g.label(l + tag + "_j1")
		g.w("CMPQ BX, $%d", V)
		g.w("JLT %s%s_jt", l, tag)
		g.w("VMOVUPS (DX)(AX*1), %s", R(0))
		for i := 0; i < nrows; i++ {
			g.w("VFMADD231PS (%s)(AX*1), %s, %s", rp[i], R(10+i), R(0))
		}
		g.w("VMOVUPS %s, (DX)(AX*1)", R(0))
		g.w("ADDQ $%d, AX", vb)
		g.w("SUBQ $%d, BX", V)
		g.w("JMP %s%s_j1", l, tag)
		g.label(l + tag + "_jt")
		g.w("TESTQ BX, BX")
		g.w("JEQ %s%s_next", l, tag)
		g.loadTail("(DX)(AX*1)", R(0))
		for i := 0; i < nrows; i++ {
			g.loadTail(fmt.Sprintf("(%s)(AX*1)", rp[i]), R(4))
			g.w("VFMADD231PS %s, %s, %s", R(4), R(10+i), R(0))
		}
		g.storeTail(R(0), "(DX)(AX*1)")
		g.label(l + tag + "_next")
	}
	g.label(l + "_rows4")
	g.w("CMPQ CX, $4")
	g.w("JLT %s_rows1", l)
	rowsPass("_r4", 4)
	g.w("LEAQ (DI)(R8*4), DI")
	g.w("ADDQ $16, SI")
	g.w("SUBQ $4, CX")
	g.w("JMP %s_rows4", l)
	g.label(l + "_rows1")
	g.w("TESTQ CX, CX")
	g.w("JEQ %s_done", l)
	rowsPass("_r1", 1)
	g.w("ADDQ R8, DI")
	g.w("ADDQ $4, SI")
	g.w("DECQ CX")
	g.w("JMP %s_rows1", l)
	g.label(l + "_done")
	g.ret()
}

// transpose8 writes transposeStrip8AVX2(k int, src *float32, lds int, dst
// *float32, ldd int): for p < k (a multiple of 8) and i < 8,
// dst[p·ldd+i] = src[i·lds+p], in 8×8 blocks (unpack, shuffle, lane
// permute: 24 shuffles per 64 elements). The next strip's eight rows are
// prefetched at the same columns: a weight's rows are short streams (1–4
// KiB) that end before the hardware prefetchers ramp up, so without it
// every strip starts with eight cache misses in a row.
func (g *gen) transpose8() {
	g.transposeProlog("transposeStrip8AVX2")
	g.w("LEAQ (R9)(R8*2), R10")
	g.w("ADDQ R8, R10") // row 3
	g.w("LEAQ (R10)(R8*2), R11")
	g.w("ADDQ R8, R11")         // row 6
	g.w("LEAQ (R9)(R8*8), BX")  // row 8: the next strip
	g.w("LEAQ (R10)(R8*8), AX") // row 11
	g.w("LEAQ (R11)(R8*8), SI") // row 14
	src := []string{"(R9)", "(R9)(R8*1)", "(R9)(R8*2)", "(R10)", "(R10)(R8*1)", "(R10)(R8*2)", "(R11)", "(R11)(R8*1)"}
	next := []string{"(BX)", "(BX)(R8*1)", "(BX)(R8*2)", "(AX)", "(AX)(R8*1)", "(AX)(R8*2)", "(SI)", "(SI)(R8*1)"}
	dst := []string{"(DI)", "(DI)(DX*1)", "(DI)(DX*2)", "(R12)", "(R12)(DX*1)", "(R12)(DX*2)", "(R13)", "(R13)(DX*1)"}
	g.label("transposeStrip8AVX2_loop")
	g.w("CMPQ CX, $8")
	g.w("JLT transposeStrip8AVX2_done")
	for i, m := range src {
		g.w("VMOVUPS %s, Y%d", m, i)
	}
	for _, m := range next {
		g.w("PREFETCHT0 %s", m)
	}
	for i := 0; i < 8; i += 2 {
		g.w("VUNPCKLPS Y%d, Y%d, Y%d", i+1, i, 8+i)
		g.w("VUNPCKHPS Y%d, Y%d, Y%d", i+1, i, 9+i)
	}
	// t0..t7 in Y8..Y15 (pairs: lo, hi of rows 01, 23, 45, 67).
	for h := 0; h < 2; h++ { // rows 0-3, then 4-7
		b := 8 + 4*h
		o := 4 * h
		g.w("VSHUFPS $0x44, Y%d, Y%d, Y%d", b+2, b, o+0)
		g.w("VSHUFPS $0xee, Y%d, Y%d, Y%d", b+2, b, o+1)
		g.w("VSHUFPS $0x44, Y%d, Y%d, Y%d", b+3, b+1, o+2)
		g.w("VSHUFPS $0xee, Y%d, Y%d, Y%d", b+3, b+1, o+3)
	}
	// s0..s3 in Y0..Y3 (rows 0-3), s4..s7 in Y4..Y7 (rows 4-7).
	g.w("LEAQ (DI)(DX*2), R12")
	g.w("ADDQ DX, R12")
	g.w("LEAQ (R12)(DX*2), R13")
	g.w("ADDQ DX, R13")
	for c := 0; c < 4; c++ {
		g.w("VPERM2F128 $0x20, Y%d, Y%d, Y%d", 4+c, c, 8+c)
		g.w("VPERM2F128 $0x31, Y%d, Y%d, Y%d", 4+c, c, 12+c)
	}
	for c := 0; c < 8; c++ {
		g.w("VMOVUPS Y%d, %s", 8+c, dst[c])
	}
	g.w("ADDQ $32, R9")
	g.w("ADDQ $32, R10")
	g.w("ADDQ $32, R11")
	g.w("ADDQ $32, BX")
	g.w("ADDQ $32, AX")
	g.w("ADDQ $32, SI")
	g.w("LEAQ (DI)(DX*8), DI")
	g.w("SUBQ $8, CX")
	g.w("JMP transposeStrip8AVX2_loop")
	g.label("transposeStrip8AVX2_done")
	g.ret()
}

// transposeProlog starts a transpose strip name(k int, src *float32, lds
// int, dst *float32, ldd int): k in CX, src in R9, dst in DI, and the
// source and destination row strides in bytes in R8 and DX.
func (g *gen) transposeProlog(name string) {
	fmt.Fprintf(&g.b, "\n// func %s(k int, src *float32, lds int, dst *float32, ldd int)\nTEXT ·%s(SB), NOSPLIT, $0-40\n", name, name)
	g.w("MOVQ k+0(FP), CX")
	g.w("MOVQ src+8(FP), R9")
	g.w("MOVQ lds+16(FP), R8")
	g.w("SHLQ $2, R8")
	g.w("MOVQ dst+24(FP), DI")
	g.w("MOVQ ldd+32(FP), DX")
	g.w("SHLQ $2, DX")
}

// transpose4 writes transposeStrip4AVX2(k int, src *float32, lds int, dst
// *float32, ldd int): transposeStrip8AVX2 for four rows (the rest of a
// 12-row panel after an 8-row strip), in 4×8 blocks: two unpacks and two
// shuffles per row pair give columns p and p+4 in the two lanes of one
// register, stored as two 16-byte columns. The next four rows are
// prefetched.
func (g *gen) transpose4() {
	g.transposeProlog("transposeStrip4AVX2")
	g.w("LEAQ (R9)(R8*2), R10")  // row 2
	g.w("LEAQ (R9)(R8*4), BX")   // row 4: the next strip
	g.w("LEAQ (R10)(R8*4), AX")  // row 6
	g.w("LEAQ (DI)(DX*2), R12")  // column 2
	g.w("LEAQ (DI)(DX*4), R13")  // column 4
	g.w("LEAQ (R12)(DX*4), R11") // column 6
	g.label("transposeStrip4AVX2_loop")
	g.w("CMPQ CX, $8")
	g.w("JLT transposeStrip4AVX2_done")
	for i, m := range []string{"(R9)", "(R9)(R8*1)", "(R10)", "(R10)(R8*1)"} {
		g.w("VMOVUPS %s, Y%d", m, i)
	}
	for _, m := range []string{"(BX)", "(BX)(R8*1)", "(AX)", "(AX)(R8*1)"} {
		g.w("PREFETCHT0 %s", m)
	}
	g.w("VUNPCKLPS Y1, Y0, Y4") // r0_0 r1_0 r0_1 r1_1 | r0_4 r1_4 r0_5 r1_5
	g.w("VUNPCKHPS Y1, Y0, Y5") // columns 2, 3 | 6, 7 of rows 0, 1
	g.w("VUNPCKLPS Y3, Y2, Y6")
	g.w("VUNPCKHPS Y3, Y2, Y7")
	g.w("VSHUFPS $0x44, Y6, Y4, Y0") // column 0 | column 4
	g.w("VSHUFPS $0xee, Y6, Y4, Y1") // column 1 | column 5
	g.w("VSHUFPS $0x44, Y7, Y5, Y2") // column 2 | column 6
	g.w("VSHUFPS $0xee, Y7, Y5, Y3") // column 3 | column 7
	g.w("VMOVUPS X0, (DI)")
	g.w("VMOVUPS X1, (DI)(DX*1)")
	g.w("VMOVUPS X2, (R12)")
	g.w("VMOVUPS X3, (R12)(DX*1)")
	g.w("VEXTRACTF128 $1, Y0, (R13)")
	g.w("VEXTRACTF128 $1, Y1, (R13)(DX*1)")
	g.w("VEXTRACTF128 $1, Y2, (R11)")
	g.w("VEXTRACTF128 $1, Y3, (R11)(DX*1)")
	for _, r := range []string{"R9", "R10", "BX", "AX"} {
		g.w("ADDQ $32, %s", r)
	}
	for _, r := range []string{"DI", "R12", "R13", "R11"} {
		g.w("LEAQ (%s)(DX*8), %s", r, r)
	}
	g.w("SUBQ $8, CX")
	g.w("JMP transposeStrip4AVX2_loop")
	g.label("transposeStrip4AVX2_done")
	g.ret()
}

// prefetch writes prefetchAVX2(p *float32, n int): a PREFETCHT0 for each
// 64-byte line of the n floats at p, so that data read soon after, but
// not yet (the row tile's probabilities in attention's backward pass,
// read once its scores' gradient is computed), arrives meanwhile.
func (g *gen) prefetch() {
	fmt.Fprintf(&g.b, "\n// func prefetchAVX2(p *float32, n int)\nTEXT ·prefetchAVX2(SB), NOSPLIT, $0-16\n")
	g.w("MOVQ p+0(FP), SI")
	g.w("MOVQ n+8(FP), CX")
	g.w("LEAQ (SI)(CX*4), DX")
	g.label("prefetchAVX2_loop")
	g.w("CMPQ SI, DX")
	g.w("JAE prefetchAVX2_done")
	g.w("PREFETCHT0 (SI)")
	g.w("ADDQ $64, SI")
	g.w("JMP prefetchAVX2_loop")
	g.label("prefetchAVX2_done")
	g.w("RET")
}

// packTN12 writes packTN12AVX2(k int, src *float32, lds int, dst *float32,
// tiles int): for p < k, t < tiles and i < 12, dst[t·12·k+p·12+i] =
// src[p·lds+12t+i] — the 12-row tiles of a transposed left operand (stored
// k×m, a weight gradient's output gradient), one sweep along each stored
// row. Rows are often a multiple of 4 KiB apart, which the hardware
// prefetchers do not follow, so each tile's strip is prefetched 16 rows
// ahead.
func (g *gen) packTN12() {
	g.packProlog("packTN12AVX2", ", tiles int", 40)
	g.w("MOVQ tiles+32(FP), R9")
	g.w("MOVQ CX, R10")
	g.w("IMULQ $48, R10") // bytes between tiles in dst
	g.label("packTN12AVX2_row")
	g.w("TESTQ CX, CX")
	g.w("JEQ packTN12AVX2_done")
	g.w("MOVQ SI, AX")
	g.w("MOVQ DI, BX")
	g.w("MOVQ R9, DX")
	g.label("packTN12AVX2_tile")
	g.w("PREFETCHT0 (AX)(R11*1)")
	g.w("PREFETCHT0 47(AX)(R11*1)")
	g.w("VMOVUPS (AX), Y0")
	g.w("VMOVUPS 32(AX), X1")
	g.w("VMOVUPS Y0, (BX)")
	g.w("VMOVUPS X1, 32(BX)")
	g.w("ADDQ $48, AX")
	g.w("ADDQ R10, BX")
	g.w("DECQ DX")
	g.w("JNZ packTN12AVX2_tile")
	g.w("ADDQ R8, SI")
	g.w("ADDQ $48, DI")
	g.w("DECQ CX")
	g.w("JMP packTN12AVX2_row")
	g.label("packTN12AVX2_done")
	g.ret()
}

// packProlog starts a packing routine name(k int, src *float32, lds int,
// dst *float32<more>): k in CX, src in SI, the row stride in bytes in R8,
// dst in DI, and in R11 the distance of 16 rows (the prefetch distance).
func (g *gen) packProlog(name, more string, frame int) {
	fmt.Fprintf(&g.b, "\n// func %s(k int, src *float32, lds int, dst *float32%s)\nTEXT ·%s(SB), NOSPLIT, $0-%d\n", name, more, name, frame)
	g.w("MOVQ k+0(FP), CX")
	g.w("MOVQ src+8(FP), SI")
	g.w("MOVQ lds+16(FP), R8")
	g.w("SHLQ $2, R8")
	g.w("MOVQ dst+24(FP), DI")
	g.w("MOVQ R8, R11")
	g.w("SHLQ $4, R11")
}

// packN32 writes packN32AVX2(k int, src *float32, lds int, dst *float32):
// for p < k and j < 32, dst[p·32+j] = src[p·lds+j] — one 32-column
// micro-panel of a row-major right operand, prefetching 16 rows ahead
// (rows 4 KiB apart defeat the hardware prefetchers).
func (g *gen) packN32() {
	g.packProlog("packN32AVX2", "", 32)
	g.label("packN32AVX2_row")
	g.w("TESTQ CX, CX")
	g.w("JEQ packN32AVX2_done")
	g.w("PREFETCHT0 (SI)(R11*1)")
	g.w("PREFETCHT0 64(SI)(R11*1)")
	g.w("PREFETCHT0 127(SI)(R11*1)")
	for i := 0; i < 4; i++ {
		g.w("VMOVUPS %d(SI), Y%d", 32*i, i)
	}
	for i := 0; i < 4; i++ {
		g.w("VMOVUPS Y%d, %d(DI)", i, 32*i)
	}
	g.w("ADDQ R8, SI")
	g.w("ADDQ $128, DI")
	g.w("DECQ CX")
	g.w("JMP packN32AVX2_row")
	g.label("packN32AVX2_done")
	g.ret()
}

// lstmBack: one row of LSTMCellBackward, n units. g and dg hold the four
// gate blocks [i f g o] n floats apart; dh, dc, cp, tc, dcp are n-float
// rows. dc is scaled by dcm (1, or 0 when there is no dc: the caller then
// passes dh, any finite row). With set, dg and dcp are overwritten,
// otherwise accumulated into. The arithmetic is the Go loop's, operation by
// operation (no fused multiply-adds: the results are those of the portable
// path, whatever the split of the rows).
func (g *gen) lstmBack(set bool) {
	s := g.s
	R := s.r
	V, vb := s.lanes(), s.vb()
	name := "lstmBack"
	if set {
		name = "lstmBackSet"
	}
	g.text(name, "68")
	g.w("MOVQ n+0(FP), CX")
	g.w("MOVQ gates+8(FP), R8")
	g.w("MOVQ dgates+16(FP), R9")
	g.w("MOVQ dh+24(FP), SI")
	g.w("MOVQ dc+32(FP), DI")
	g.w("MOVQ cp+40(FP), DX")
	g.w("MOVQ tc+48(FP), R11")
	g.w("MOVQ dcp+56(FP), R10")
	g.w("VBROADCASTSS dcm+64(FP), %s", R(11))
	g.w("VBROADCASTSS %s, %s", c("one"), R(6))
	g.w("MOVQ CX, R13")
	g.w("SHLQ $2, R13")           // n·4: the gate stride in bytes
	g.w("LEAQ (R13)(R13*2), R12") // 3·n·4
	l := name + s.suffix
	gi, gf, gg, gO := "(R8)", "(R8)(R13*1)", "(R8)(R13*2)", "(R8)(R12*1)"
	di, df, dgg, do := "(R9)", "(R9)(R13*1)", "(R9)(R13*2)", "(R9)(R12*1)"
	body := func(load func(mem, dst string), store func(src, mem string)) {
		load(gi, R(0))
		load(gf, R(1))
		load(gg, R(2))
		load(gO, R(3))
		load("(SI)", R(4))                                // dh
		load("(R11)", R(5))                               // tanh c
		load("(DI)", R(12))                               // dc
		g.w("VMULPS %s, %s, %s", R(5), R(5), R(8))        // tc²
		g.w("VSUBPS %s, %s, %s", R(8), R(6), R(8))        // 1 − tc²
		g.w("VMULPS %s, %s, %s", R(3), R(4), R(7))        // dh·o
		g.w("VMULPS %s, %s, %s", R(8), R(7), R(7))        // d = dh·o·(1 − tc²)
		g.w("VFMADD231PS %s, %s, %s", R(11), R(12), R(7)) // d += dcm·dc (exact product: one rounding, as d + dc)
		out := func(x int, mem string) {
			if set {
				store(R(x), mem)
				return
			}
			load(mem, R(9))
			g.w("VADDPS %s, %s, %s", R(x), R(9), R(9))
			store(R(9), mem)
		}
		// dgi = d·g·i·(1 − i)
		g.w("VMULPS %s, %s, %s", R(2), R(7), R(8))
		g.w("VMULPS %s, %s, %s", R(0), R(8), R(8))
		g.w("VSUBPS %s, %s, %s", R(0), R(6), R(10))
		g.w("VMULPS %s, %s, %s", R(10), R(8), R(8))
		out(8, di)
		// dgf = d·cp·f·(1 − f)
		load("(DX)", R(10))
		g.w("VMULPS %s, %s, %s", R(10), R(7), R(8))
		g.w("VMULPS %s, %s, %s", R(1), R(8), R(8))
		g.w("VSUBPS %s, %s, %s", R(1), R(6), R(10))
		g.w("VMULPS %s, %s, %s", R(10), R(8), R(8))
		out(8, df)
		// dgg = d·i·(1 − g²)
		g.w("VMULPS %s, %s, %s", R(0), R(7), R(8))
		g.w("VMULPS %s, %s, %s", R(2), R(2), R(10))
		g.w("VSUBPS %s, %s, %s", R(10), R(6), R(10))
		g.w("VMULPS %s, %s, %s", R(10), R(8), R(8))
		out(8, dgg)
		// dgo = dh·tc·o·(1 − o)
		g.w("VMULPS %s, %s, %s", R(5), R(4), R(8))
		g.w("VMULPS %s, %s, %s", R(3), R(8), R(8))
		g.w("VSUBPS %s, %s, %s", R(3), R(6), R(10))
		g.w("VMULPS %s, %s, %s", R(10), R(8), R(8))
		out(8, do)
		// dcp = d·f
		g.w("VMULPS %s, %s, %s", R(1), R(7), R(8))
		out(8, "(R10)")
	}
	g.label(l + "_loop")
	g.w("CMPQ CX, $%d", V)
	g.w("JLT %s_tail", l)
	body(func(m, d string) { g.w("VMOVUPS %s, %s", m, d) }, func(sr, m string) { g.w("VMOVUPS %s, %s", sr, m) })
	for _, r := range []string{"R8", "R9", "SI", "DI", "DX", "R11", "R10"} {
		g.w("ADDQ $%d, %s", vb, r)
	}
	g.w("SUBQ $%d, CX", V)
	g.w("JMP %s_loop", l)
	g.label(l + "_tail")
	g.w("TESTQ CX, CX")
	g.w("JEQ %s_done", l)
	g.setMask("CX")
	body(g.loadTail, g.storeTail)
	g.label(l + "_done")
	g.ret()
}

// gemvPanels: y[q·nr+j] += Σₚ x[p]·b[q·ldp + p·nr + j], p < k, j < nr, for
// np column micro-panels q of a packed k block (PackedB's layout: panel q
// is kcur rows of nr = two vectors, ldp = kcur·nr floats after panel q−1;
// b may point at a later row than the block's first). With k = kcur the
// panels are one sequential read. Four sets of two accumulators take the rows
// p in turn (p mod 4), added as (s₀+s₁)+(s₂+s₃) before y. The loop
// prefetches pf bytes ahead of the panel row it reads.
func (g *gen) gemvPanels() {
	s := g.s
	R := s.r
	vb := s.vb()
	row := 2 * vb // bytes of one panel row
	g.text("gemvPanels", "56")
	g.w("MOVQ x+8(FP), SI")
	g.w("MOVQ b+16(FP), R12")
	g.w("MOVQ np+24(FP), R15")
	g.w("MOVQ y+32(FP), DI")
	g.w("MOVQ pf+40(FP), R13")
	g.w("MOVQ ldp+48(FP), R14")
	g.w("SHLQ $2, R14")
	l := "gemvPanels" + s.suffix
	g.panelLoops(l, 8, row, func() {
		for u := 0; u < 4; u++ {
			g.w("VBROADCASTSS %d(SI)(DX*1), %s", 4*u, R(8+u))
		}
		for u := 0; u < 4; u++ {
			for v := 0; v < 2; v++ {
				g.w("VFMADD231PS %d(R8), %s, %s", u*row+v*vb, R(8+u), R(2*u+v))
			}
		}
	}, func() {
		g.w("VBROADCASTSS (SI)(DX*1), %s", R(8))
		for v := 0; v < 2; v++ {
			g.w("VFMADD231PS %d(R8), %s, %s", v*vb, R(8), R(v))
		}
	})
	for v := 0; v < 2; v++ {
		g.w("VADDPS %s, %s, %s", R(2+v), R(v), R(v))
		g.w("VADDPS %s, %s, %s", R(6+v), R(4+v), R(4+v))
		g.w("VADDPS %s, %s, %s", R(4+v), R(v), R(v))
		g.w("VADDPS %d(DI), %s, %s", v*vb, R(v), R(v))
		g.w("VMOVUPS %s, %d(DI)", R(v), v*vb)
	}
	g.w("ADDQ $%d, DI", row)
	g.w("DECQ R15")
	g.w("JMP %s_panel", l)
	g.label(l + "_end")
	g.ret()
}

// panelLoops emits the loops over one panel of gemvPanels and
// gemvPanelsRows: R8 at the panel, R12 at the next; nacc accumulators
// zeroed; k in CX, x's byte offset in DX; group emits the body for four
// rows of the panel (row bytes each, prefetched ahead), one for the last
// k mod 4 rows one at a time. It ends at label l_done.
func (g *gen) panelLoops(l string, nacc, row int, group, one func()) {
	g.label(l + "_panel")
	g.w("TESTQ R15, R15")
	g.w("JEQ %s_end", l)
	g.w("MOVQ R12, R8")
	g.w("ADDQ R14, R12")
	for i := 0; i < nacc; i++ {
		g.zero(g.s.r(i))
	}
	g.w("MOVQ k+0(FP), CX")
	g.w("XORQ DX, DX")
	g.label(l + "_loop4")
	g.w("CMPQ CX, $4")
	g.w("JLT %s_loop1", l)
	for off := 0; off < 4*row; off += 64 {
		g.w("PREFETCHT0 %d(R8)(R13*1)", off)
	}
	group()
	g.w("ADDQ $16, DX")
	g.w("ADDQ $%d, R8", 4*row)
	g.w("SUBQ $4, CX")
	g.w("JMP %s_loop4", l)
	g.label(l + "_loop1")
	g.w("TESTQ CX, CX")
	g.w("JEQ %s_done", l)
	one()
	g.w("ADDQ $4, DX")
	g.w("ADDQ $%d, R8", row)
	g.w("DECQ CX")
	g.w("JMP %s_loop1", l)
	g.label(l + "_done")
}

// gemvPanelsRows emits gemvPanelsRows<R>: gemvPanels for R rows of x at
// once (row r at x + 4·ldx·r, its sums into y + 4·ldy·r), each row's sums
// taken in exactly gemvPanels' order: four phase accumulators (p mod 4 of
// the groups of four, the last k mod 4 rows into phase 0), added as
// ((s0 + s1) + (s2 + s3)) + y. A packed row of B is loaded once for the R
// rows, so a batch of rows reads the weights once per R rows instead of
// once per row, and every row gets the bits gemvPanels gives it alone.
// AVX-512 only: R·8 accumulators, 2 B registers and R broadcasts.
func (g *gen) gemvPanelsRows(rows int) {
	s := g.s
	R := s.r
	vb := s.vb()
	row := 2 * vb // bytes of one panel row
	if 8*rows+4+rows > 32 {
		panic("gemvPanelsRows: too many registers")
	}
	acc := func(r, u, v int) string { return R(8*r + 2*u + v) }
	bReg := func(u, v int) string { return R(8*rows + 2*(u%2) + v) }
	bc := func(r int) string { return R(8*rows + 4 + r) }
	xr := []string{"SI", "R9", "R10"}
	yr := []string{"DI", "R11", "BX"}
	l := g.rowsProlog(rows, xr, yr)
	// step emits one row p of the panel into phase u's accumulators; the
	// row's offset from R8 is off bytes, x's from DX is xoff bytes.
	step := func(u, off, xoff int) {
		for v := 0; v < 2; v++ {
			g.w("VMOVUPS %d(R8), %s", off+v*vb, bReg(u, v))
		}
		for r := 0; r < rows; r++ {
			g.w("VBROADCASTSS %d(%s)(DX*1), %s", xoff, xr[r], bc(r))
			for v := 0; v < 2; v++ {
				g.w("VFMADD231PS %s, %s, %s", bReg(u, v), bc(r), acc(r, u, v))
			}
		}
	}
	g.panelLoops(l, 8*rows, row, func() {
		for u := 0; u < 4; u++ {
			step(u, u*row, 4*u)
		}
	}, func() { step(0, 0, 0) })
	for r := 0; r < rows; r++ {
		for v := 0; v < 2; v++ {
			g.w("VADDPS %s, %s, %s", acc(r, 1, v), acc(r, 0, v), acc(r, 0, v))
			g.w("VADDPS %s, %s, %s", acc(r, 3, v), acc(r, 2, v), acc(r, 2, v))
			g.w("VADDPS %s, %s, %s", acc(r, 2, v), acc(r, 0, v), acc(r, 0, v))
			g.w("VADDPS %d(%s), %s, %s", v*vb, yr[r], acc(r, 0, v), acc(r, 0, v))
			g.w("VMOVUPS %s, %d(%s)", acc(r, 0, v), v*vb, yr[r])
		}
		g.w("ADDQ $%d, %s", row, yr[r])
	}
	g.w("DECQ R15")
	g.w("JMP %s_panel", l)
	g.label(l + "_end")
	g.ret()
}

// rowsProlog emits the head of gemvPanelsRows<rows> (x row r at xr[r], y
// row r at yr[r], b in R12, np in R15, prefetch distance in R13, panel
// stride in bytes in R14) and returns its label prefix.
func (g *gen) rowsProlog(rows int, xr, yr []string) string {
	name := fmt.Sprintf("gemvPanelsRows%d", rows)
	g.text(name, "72")
	g.w("MOVQ x+8(FP), SI")
	g.w("MOVQ ldx+16(FP), AX")
	g.w("SHLQ $2, AX")
	g.w("MOVQ b+24(FP), R12")
	g.w("MOVQ np+32(FP), R15")
	g.w("MOVQ y+40(FP), DI")
	g.w("MOVQ ldy+48(FP), CX")
	g.w("SHLQ $2, CX")
	for r := 1; r < rows; r++ {
		g.w("LEAQ (%s)(AX*1), %s", xr[r-1], xr[r])
		g.w("LEAQ (%s)(CX*1), %s", yr[r-1], yr[r])
	}
	g.w("MOVQ pf+56(FP), R13")
	g.w("MOVQ ldp+64(FP), R14")
	g.w("SHLQ $2, R14")
	return name + g.s.suffix
}

// gemvPanelsRowsHalves emits gemvPanelsRows3 for AVX2: gemvPanels for
// three rows of x at once, each in gemvPanels' order. Sixteen YMM
// registers do not hold three rows' eight accumulators of a whole
// 16-column panel, so the panel goes in two halves of 8 columns (4 phase
// accumulators per row, 1 B register, 3 broadcasts): each half reads its
// half of every packed row once for the three rows.
func (g *gen) gemvPanelsRowsHalves() {
	s := g.s
	R := s.r
	vb := s.vb()
	row := 2 * vb // bytes of one panel row
	const rows = 3
	acc := func(r, u int) string { return R(4*r + u) }
	bReg := R(12)
	bc := func(r int) string { return R(13 + r) }
	xr := []string{"SI", "R9", "R10"}
	yr := []string{"DI", "R11", "BX"}
	l := g.rowsProlog(rows, xr, yr)
	g.label(l + "_panel")
	g.w("TESTQ R15, R15")
	g.w("JEQ %s_end", l)
	for half := 0; half < 2; half++ {
		h := fmt.Sprintf("%s_h%d", l, half)
		g.w("MOVQ R12, R8")
		for i := 0; i < 4*rows; i++ {
			g.zero(R(i))
		}
		g.w("MOVQ k+0(FP), CX")
		g.w("XORQ DX, DX")
		step := func(u, off, xoff int) {
			g.w("VMOVUPS %d(R8), %s", off+half*vb, bReg)
			for r := 0; r < rows; r++ {
				g.w("VBROADCASTSS %d(%s)(DX*1), %s", xoff, xr[r], bc(r))
				g.w("VFMADD231PS %s, %s, %s", bReg, bc(r), acc(r, u))
			}
		}
		g.label(h + "_loop4")
		g.w("CMPQ CX, $4")
		g.w("JLT %s_loop1", h)
		if half == 0 {
			for off := 0; off < 4*row; off += 64 {
				g.w("PREFETCHT0 %d(R8)(R13*1)", off)
			}
		}
		for u := 0; u < 4; u++ {
			step(u, u*row, 4*u)
		}
		g.w("ADDQ $16, DX")
		g.w("ADDQ $%d, R8", 4*row)
		g.w("SUBQ $4, CX")
		g.w("JMP %s_loop4", h)
		g.label(h + "_loop1")
		g.w("TESTQ CX, CX")
		g.w("JEQ %s_done", h)
		step(0, 0, 0)
		g.w("ADDQ $4, DX")
		g.w("ADDQ $%d, R8", row)
		g.w("DECQ CX")
		g.w("JMP %s_loop1", h)
		g.label(h + "_done")
		for r := 0; r < rows; r++ {
			g.w("VADDPS %s, %s, %s", acc(r, 1), acc(r, 0), acc(r, 0))
			g.w("VADDPS %s, %s, %s", acc(r, 3), acc(r, 2), acc(r, 2))
			g.w("VADDPS %s, %s, %s", acc(r, 2), acc(r, 0), acc(r, 0))
			g.w("VADDPS %d(%s), %s, %s", half*vb, yr[r], acc(r, 0), acc(r, 0))
			g.w("VMOVUPS %s, %d(%s)", acc(r, 0), half*vb, yr[r])
		}
	}
	for r := 0; r < rows; r++ {
		g.w("ADDQ $%d, %s", row, yr[r])
	}
	g.w("ADDQ R14, R12")
	g.w("DECQ R15")
	g.w("JMP %s_panel", l)
	g.label(l + "_end")
	g.ret()
}
