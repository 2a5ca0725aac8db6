package main

import (
	"fmt"
	"math"
	"strings"
)

// isa is one vector instruction set the leaves are generated for.
type isa struct {
	suffix string // Go function name suffix
	z      bool   // AVX-512 (ZMM, K masks) rather than AVX2 (YMM, VMASKMOVPS)
}

func (s isa) lanes() int { return map[bool]int{true: 16, false: 8}[s.z] }
func (s isa) vb() int    { return 4 * s.lanes() }
func (s isa) r(i int) string {
	if s.z {
		return fmt.Sprintf("Z%d", i)
	}
	return fmt.Sprintf("Y%d", i)
}

// mreg is the AVX2 tail-mask register (AVX-512 uses K1).
const mreg = "Y15"

type gen struct {
	b strings.Builder
	s isa
}

func (g *gen) w(format string, args ...any) { fmt.Fprintf(&g.b, "\t"+format+"\n", args...) }
func (g *gen) label(l string)               { fmt.Fprintf(&g.b, "%s:\n", l) }

// Constants, each stored as 16 copies (64 bytes) so that either ISA can use
// it as a full-width memory operand.
var constNames []string
var constBits = map[string]uint32{}

func defConst(name string, bits uint32) {
	constNames = append(constNames, name)
	constBits[name] = bits
}

func init() {
	f := func(name string, v float64) { defConst(name, math.Float32bits(float32(v))) }
	f("log2e", 1.44269504088896341)
	f("magic", 12582912)
	f("ln2hi", 0.693359375)
	f("ln2lo", -2.12194440e-4)
	f("expHi", 88.72283935546875)
	f("expLo", -103.972084)
	f("inf", math.Inf(1))
	f("ninf", math.Inf(-1))
	f("one", 1)
	f("two", 2)
	f("half", 0.5)
	for i, c := range []float64{1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1, 1} {
		f(fmt.Sprintf("p%d", 7-i), c)
	}
	for i, c := range []float64{-929569.0 / 638512875, 21844.0 / 6081075, -1382.0 / 155925, 62.0 / 2835, -17.0 / 315, 2.0 / 15, -1.0 / 3} {
		f(fmt.Sprintf("t%d", 15-2*i), c)
	}
	f("twenty", 20)
	f("hundred", 100)
	f("mtwenty", -20)
	f("geluM2S", -2*0.7978845608028654)
	f("gelu2S", 2*0.7978845608028654)
	f("geluB", -2*0.7978845608028654*0.044715)
	f("gelu6SC", 6*0.7978845608028654*0.044715)
	defConst("i127", 127)
	defConst("abs", 0x7fffffff)
	defConst("sign", 0x80000000)
}

func c(name string) string {
	for i, n := range constNames {
		if n == name {
			return fmt.Sprintf("vconst<>+%d(SB)", 64*i)
		}
	}
	panic("no constant " + name)
}

func (g *gen) zero(r string) { g.w("VXORPS %s, %s, %s", r, r, r) }

// setMask makes the tail mask for cnt (< lanes) remaining elements, using
// scratch registers AX and BX.
func (g *gen) setMask(cnt string) {
	if g.s.z {
		g.w("LEAQ kmaskTab<>(SB), AX")
		g.w("MOVQ %s, BX", cnt)
		g.w("MOVWLZX (AX)(BX*2), AX")
		g.w("KMOVW AX, K1")
		return
	}
	g.w("LEAQ maskTab<>+32(SB), AX")
	g.w("MOVQ %s, BX", cnt)
	g.w("SHLQ $2, BX")
	g.w("SUBQ BX, AX")
	g.w("VMOVDQU (AX), %s", mreg)
}

func (g *gen) loadTail(mem, dst string) {
	if g.s.z {
		g.w("VMOVUPS.Z %s, K1, %s", mem, dst)
	} else {
		g.w("VMASKMOVPS %s, %s, %s", mem, mreg, dst)
	}
}

func (g *gen) storeTail(src, mem string) {
	if g.s.z {
		g.w("VMOVUPS %s, K1, %s", src, mem)
	} else {
		g.w("VMASKMOVPS %s, %s, %s", src, mreg, mem)
	}
}

// exp computes e^X in place with the algorithm of expGeneric, using
// temporaries t1..t4 (t4 keeps the argument for the special cases).
func (g *gen) exp(X, t1, t2, t3, t4 string) {
	g.w("VMOVAPS %s, %s", X, t4)
	g.w("VMINPS %s, %s, %s", c("expHi"), X, X)
	g.w("VMAXPS %s, %s, %s", c("expLo"), X, X)
	g.w("VMOVUPS %s, %s", c("magic"), t1)
	g.w("VFMADD231PS %s, %s, %s", c("log2e"), X, t1)
	g.w("VSUBPS %s, %s, %s", c("magic"), t1, t1)
	g.w("VFNMADD231PS %s, %s, %s", c("ln2hi"), t1, X)
	g.w("VFNMADD231PS %s, %s, %s", c("ln2lo"), t1, X)
	g.w("VMOVUPS %s, %s", c("p7"), t2)
	for i := 6; i >= 0; i-- {
		g.w("VFMADD213PS %s, %s, %s", c(fmt.Sprintf("p%d", i)), X, t2)
	}
	g.w("VCVTPS2DQ %s, %s", t1, t1)
	g.w("VPSRAD $1, %s, %s", t1, t3)
	g.w("VPSUBD %s, %s, %s", t3, t1, t1)
	g.w("VPADDD %s, %s, %s", c("i127"), t3, t3)
	g.w("VPSLLD $23, %s, %s", t3, t3)
	g.w("VPADDD %s, %s, %s", c("i127"), t1, t1)
	g.w("VPSLLD $23, %s, %s", t1, t1)
	g.w("VMULPS %s, %s, %s", t3, t2, t2)
	g.w("VMULPS %s, %s, %s", t1, t2, X)
	// Special cases, from the saved argument t4.
	if g.s.z {
		g.w("VCMPPS $0x1e, %s, %s, K2", c("expHi"), t4) // x > hi
		g.w("VMOVUPS %s, K2, %s", c("inf"), X)
		g.w("VCMPPS $0x11, %s, %s, K2", c("expLo"), t4) // x < lo
		g.w("VXORPS %s, %s, K2, %s", X, X, X)
		g.w("VCMPPS $3, %s, %s, K2", t4, t4) // NaN
		g.w("VMOVAPS %s, K2, %s", t4, X)
		return
	}
	g.w("VCMPPS $0x1e, %s, %s, %s", c("expHi"), t4, t1)
	g.w("VBLENDVPS %s, %s, %s, %s", t1, c("inf"), X, X)
	g.w("VCMPPS $0x1d, %s, %s, %s", c("expLo"), t4, t1) // x >= lo (false for NaN)
	g.w("VANDPS %s, %s, %s", t1, X, X)
	g.w("VCMPPS $3, %s, %s, %s", t4, t4, t1)
	g.w("VBLENDVPS %s, %s, %s, %s", t1, t4, X, X)
}

// expFast is exp for a caller that needs no special cases: a NaN argument
// may give any value. On AVX-512 it rounds with VRNDSCALEPS and scales with
// VSCALEFPS (which over- and underflows as IEEE does, subnormals included);
// with clamp it first clamps the argument to ±100 (so ±Inf give +Inf and
// 0), without, the argument must be finite. The reduction and the
// polynomial are exp's, so the error bound is exp's. AVX2 uses exp.
func (g *gen) expFast(X, t1, t2, t3, t4 string, clamp bool) {
	if !g.s.z {
		g.exp(X, t1, t2, t3, t4)
		return
	}
	if clamp {
		// VRANGEPS imm 2: the operand of smaller magnitude, with the sign
		// of X: X clamped to [−100, 100] in one operation.
		g.w("VRANGEPS $2, %s, %s, %s", c("hundred"), X, X)
	}
	g.w("VMULPS %s, %s, %s", c("log2e"), X, t1)
	g.w("VRNDSCALEPS $0, %s, %s", t1, t1)
	g.w("VFNMADD231PS %s, %s, %s", c("ln2hi"), t1, X)
	g.w("VFNMADD231PS %s, %s, %s", c("ln2lo"), t1, X)
	g.w("VMOVUPS %s, %s", c("p7"), t2)
	for i := 6; i >= 0; i-- {
		g.w("VFMADD213PS %s, %s, %s", c(fmt.Sprintf("p%d", i)), X, t2)
	}
	g.w("VSCALEFPS %s, %s, %s", t1, t2, X)
}

// hsum leaves the sum of register i's lanes in the low lane of X(i), in a
// fixed order, using register j as scratch.
func (g *gen) hreduce(i, j int, op string) {
	if g.s.z {
		g.w("VEXTRACTF64X4 $1, Z%d, Y%d", i, j)
		g.w("%sPS Y%d, Y%d, Y%d", op, j, i, i)
	}
	g.w("VEXTRACTF128 $1, Y%d, X%d", i, j)
	g.w("%sPS X%d, X%d, X%d", op, j, i, i)
	g.w("VMOVHLPS X%d, X%d, X%d", i, i, j)
	g.w("%sPS X%d, X%d, X%d", op, j, i, i)
	g.w("VMOVSHDUP X%d, X%d", i, j)
	g.w("%sSS X%d, X%d, X%d", op, j, i, i)
}

func (g *gen) text(name, frame string) {
	fmt.Fprintf(&g.b, "\n// func %s%s\nTEXT ·%s%s(SB), NOSPLIT, $0-%s\n", name, g.s.suffix, name, g.s.suffix, frame)
}

func (g *gen) ret() {
	g.w("VZEROUPPER")
	g.w("RET")
}

// elementwise: out[i] = f(inp[i]), f acting on register 0 with scratch 1..7.
func (g *gen) elementwise(name string, f func()) {
	s := g.s
	g.text(name, "48")
	g.w("MOVQ out_base+0(FP), DI")
	g.w("MOVQ inp_base+24(FP), SI")
	g.w("MOVQ inp_len+32(FP), CX")
	l := name + s.suffix
	g.label(l + "_loop")
	g.w("CMPQ CX, $%d", s.lanes())
	g.w("JLT %s_tail", l)
	g.w("VMOVUPS (SI), %s", s.r(0))
	f()
	g.w("VMOVUPS %s, (DI)", s.r(0))
	g.w("ADDQ $%d, SI", s.vb())
	g.w("ADDQ $%d, DI", s.vb())
	g.w("SUBQ $%d, CX", s.lanes())
	g.w("JMP %s_loop", l)
	g.label(l + "_tail")
	g.w("TESTQ CX, CX")
	g.w("JEQ %s_done", l)
	g.setMask("CX")
	g.loadTail("(SI)", s.r(0))
	f()
	g.storeTail(s.r(0), "(DI)")
	g.label(l + "_done")
	g.ret()
}

func genVec() string {
	var out strings.Builder
	out.WriteString("// Code generated by internal/asmgen; DO NOT EDIT.\n\n//go:build !noasm\n\n#include \"textflag.h\"\n\n")
	for i, n := range constNames {
		for k := 0; k < 16; k++ {
			fmt.Fprintf(&out, "DATA vconst<>+%d(SB)/4, $0x%08x // %s\n", 64*i+4*k, constBits[n], n)
		}
	}
	fmt.Fprintf(&out, "GLOBL vconst<>(SB), RODATA|NOPTR, $%d\n\n", 64*len(constNames))
	for k := 0; k < 16; k++ {
		v := uint32(0xffffffff)
		if k >= 8 {
			v = 0
		}
		fmt.Fprintf(&out, "DATA maskTab<>+%d(SB)/4, $0x%08x\n", 4*k, v)
	}
	out.WriteString("GLOBL maskTab<>(SB), RODATA|NOPTR, $64\n\n")
	for k := 0; k < 16; k++ {
		fmt.Fprintf(&out, "DATA kmaskTab<>+%d(SB)/2, $0x%04x\n", 2*k, (1<<k)-1)
	}
	out.WriteString("GLOBL kmaskTab<>(SB), RODATA|NOPTR, $32\n")
	for _, s := range []isa{{"AVX2", false}, {"AVX512", true}} {
		g := &gen{s: s}
		g.all()
		out.WriteString(g.b.String())
	}
	g := &gen{s: isa{"AVX2", false}}
	g.transpose8()
	g.transpose4()
	g.prefetch()
	g.packTN12()
	g.packN32()
	out.WriteString(g.b.String())
	return out.String()
}

func (g *gen) all() {
	s := g.s
	R := s.r
	V, vb := s.lanes(), s.vb()

	// Elementwise nonlinearities.
	g.elementwise("exp", func() { g.exp(R(0), R(1), R(2), R(3), R(4)) })
	g.elementwise("sigmoid", func() {
		g.w("VXORPS %s, %s, %s", c("sign"), R(0), R(0))
		g.exp(R(0), R(1), R(2), R(3), R(4))
		g.w("VADDPS %s, %s, %s", c("one"), R(0), R(0))
		g.w("VMOVUPS %s, %s", c("one"), R(1))
		g.w("VDIVPS %s, %s, %s", R(0), R(1), R(0))
	})
	g.elementwise("tanh", func() {
		g.w("VMOVAPS %s, %s", R(0), R(5))
		// |x| < 0.5: x + x·z·P(z), z = x².
		g.w("VMULPS %s, %s, %s", R(5), R(5), R(6))
		g.w("VMOVUPS %s, %s", c("t15"), R(7))
		for _, k := range []int{13, 11, 9, 7, 5, 3} {
			g.w("VFMADD213PS %s, %s, %s", c(fmt.Sprintf("t%d", k)), R(6), R(7))
		}
		g.w("VMULPS %s, %s, %s", R(6), R(7), R(7))
		g.w("VFMADD213PS %s, %s, %s", R(5), R(5), R(7))
		// otherwise: sign(x)·(1 − 2/(e^(2|x|)+1)).
		g.w("VANDPS %s, %s, %s", c("abs"), R(0), R(0))
		g.w("VADDPS %s, %s, %s", R(0), R(0), R(0))
		g.exp(R(0), R(1), R(2), R(3), R(4))
		g.w("VADDPS %s, %s, %s", c("one"), R(0), R(0))
		g.w("VMOVUPS %s, %s", c("two"), R(1))
		g.w("VDIVPS %s, %s, %s", R(0), R(1), R(0))
		g.w("VMOVUPS %s, %s", c("one"), R(1))
		g.w("VSUBPS %s, %s, %s", R(0), R(1), R(0))
		g.w("VANDPS %s, %s, %s", c("sign"), R(5), R(1))
		g.w("VORPS %s, %s, %s", R(1), R(0), R(0))
		g.w("VANDPS %s, %s, %s", c("abs"), R(5), R(1))
		if s.z {
			g.w("VCMPPS $0x11, %s, %s, K2", c("half"), R(1))
			g.w("VMOVAPS %s, K2, %s", R(7), R(0))
		} else {
			g.w("VCMPPS $0x11, %s, %s, %s", c("half"), R(1), R(1))
			g.w("VBLENDVPS %s, %s, %s, %s", R(1), R(7), R(0), R(0))
		}
	})
	g.elementwise("gelu", func() {
		// x·σ(2z) = x / (1 + e^(−2z)), z = √(2/π)(x + 0.044715x³)
		// −2z = x·(a + b·x²), a = −2√(2/π), b = a·0.044715: three roundings
		// (the test's bound allows for three), one operation fewer than
		// via x³.
		g.w("VMOVAPS %s, %s", R(0), R(5))
		g.w("VMULPS %s, %s, %s", R(5), R(5), R(6))
		g.w("VMOVUPS %s, %s", c("geluB"), R(0))
		g.w("VFMADD213PS %s, %s, %s", c("geluM2S"), R(6), R(0))
		g.w("VMULPS %s, %s, %s", R(5), R(0), R(0))
		g.expFast(R(0), R(1), R(2), R(3), R(4), true)
		g.w("VADDPS %s, %s, %s", c("one"), R(0), R(0))
		g.w("VDIVPS %s, %s, %s", R(0), R(5), R(0))
	})

	// geluBackward: dinp += gelu'(inp)·dout; geluBackwardSet: dinp =
	// gelu'(inp)·dout (the same values as accumulating into zeros).
	for _, set := range []bool{false, true} {
		g.geluBackward(set, false)
	}
	g.geluBackward(false, true)

	// expSum: dst[i] = e^(src[i]−shift); returns Σ dst[i].
	g.text("expSum", "60")
	g.w("MOVQ dst_base+0(FP), DI")
	g.w("MOVQ src_base+24(FP), SI")
	g.w("MOVQ src_len+32(FP), CX")
	g.w("VBROADCASTSS shift+48(FP), %s", R(8))
	g.zero(R(9))
	l := "expSum" + s.suffix
	g.label(l + "_loop")
	g.w("CMPQ CX, $%d", V)
	g.w("JLT %s_tail", l)
	g.w("VMOVUPS (SI), %s", R(0))
	g.w("VSUBPS %s, %s, %s", R(8), R(0), R(0))
	g.exp(R(0), R(1), R(2), R(3), R(4))
	g.w("VMOVUPS %s, (DI)", R(0))
	g.w("VADDPS %s, %s, %s", R(0), R(9), R(9))
	g.w("ADDQ $%d, SI", vb)
	g.w("ADDQ $%d, DI", vb)
	g.w("SUBQ $%d, CX", V)
	g.w("JMP %s_loop", l)
	g.label(l + "_tail")
	g.w("TESTQ CX, CX")
	g.w("JEQ %s_done", l)
	g.setMask("CX")
	g.loadTail("(SI)", R(0))
	g.w("VSUBPS %s, %s, %s", R(8), R(0), R(0))
	g.exp(R(0), R(1), R(2), R(3), R(4))
	g.storeTail(R(0), "(DI)")
	if s.z {
		g.w("VADDPS %s, %s, K1, %s", R(0), R(9), R(9))
	} else {
		g.w("VANDPS %s, %s, %s", mreg, R(0), R(0))
		g.w("VADDPS %s, %s, %s", R(0), R(9), R(9))
	}
	g.label(l + "_done")
	g.hreduce(9, 10, "VADD")
	g.w("VMOVSS X9, ret+56(FP)")
	g.ret()

	// max: the largest element (len ≥ 1).
	g.text("max", "28")
	g.w("MOVQ x_base+0(FP), SI")
	g.w("MOVQ x_len+8(FP), CX")
	g.w("VMOVUPS %s, %s", c("ninf"), R(0))
	g.w("VMOVUPS %s, %s", c("ninf"), R(1))
	l = "max" + s.suffix
	g.label(l + "_loop2")
	g.w("CMPQ CX, $%d", 2*V)
	g.w("JLT %s_loop", l)
	g.w("VMAXPS (SI), %s, %s", R(0), R(0))
	g.w("VMAXPS %d(SI), %s, %s", vb, R(1), R(1))
	g.w("ADDQ $%d, SI", 2*vb)
	g.w("SUBQ $%d, CX", 2*V)
	g.w("JMP %s_loop2", l)
	g.label(l + "_loop")
	g.w("CMPQ CX, $%d", V)
	g.w("JLT %s_tail", l)
	g.w("VMAXPS (SI), %s, %s", R(0), R(0))
	g.w("ADDQ $%d, SI", vb)
	g.w("SUBQ $%d, CX", V)
	g.label(l + "_tail")
	g.w("TESTQ CX, CX")
	g.w("JEQ %s_done", l)
	g.setMask("CX")
	g.loadTail("(SI)", R(2))
	if s.z {
		g.w("VMAXPS %s, %s, K1, %s", R(2), R(0), R(0))
	} else {
		g.w("VBLENDVPS %s, %s, %s, %s", mreg, R(2), R(1), R(2)) // masked lanes → −Inf (R1 may hold a partial max: fine, it is ≤ the result)
		g.w("VMAXPS %s, %s, %s", R(2), R(0), R(0))
	}
	g.label(l + "_done")
	g.w("VMAXPS %s, %s, %s", R(1), R(0), R(0))
	g.hreduce(0, 2, "VMAX")
	g.w("VMOVSS X0, ret+24(FP)")
	g.ret()

	// dot: four accumulators over 4V elements, then V, then the tail.
	g.text("dot", "52")
	g.w("MOVQ x_base+0(FP), SI")
	g.w("MOVQ y_base+24(FP), DI")
	g.w("MOVQ x_len+8(FP), CX")
	for i := 0; i < 4; i++ {
		g.zero(R(i))
	}
	l = "dot" + s.suffix
	g.label(l + "_loop4")
	g.w("CMPQ CX, $%d", 4*V)
	g.w("JLT %s_loop", l)
	for i := 0; i < 4; i++ {
		g.w("VMOVUPS %d(SI), %s", i*vb, R(4+i))
	}
	for i := 0; i < 4; i++ {
		g.w("VFMADD231PS %d(DI), %s, %s", i*vb, R(4+i), R(i))
	}
	g.w("ADDQ $%d, SI", 4*vb)
	g.w("ADDQ $%d, DI", 4*vb)
	g.w("SUBQ $%d, CX", 4*V)
	g.w("JMP %s_loop4", l)
	g.label(l + "_loop")
	g.w("CMPQ CX, $%d", V)
	g.w("JLT %s_tail", l)
	g.w("VMOVUPS (SI), %s", R(4))
	g.w("VFMADD231PS (DI), %s, %s", R(4), R(0))
	g.w("ADDQ $%d, SI", vb)
	g.w("ADDQ $%d, DI", vb)
	g.w("SUBQ $%d, CX", V)
	g.w("JMP %s_loop", l)
	g.label(l + "_tail")
	g.w("TESTQ CX, CX")
	g.w("JEQ %s_done", l)
	g.setMask("CX")
	g.loadTail("(SI)", R(4))
	g.loadTail("(DI)", R(5))
	g.w("VFMADD231PS %s, %s, %s", R(5), R(4), R(0))
	g.label(l + "_done")
	g.w("VADDPS %s, %s, %s", R(1), R(0), R(0))
	g.w("VADDPS %s, %s, %s", R(3), R(2), R(2))
	g.w("VADDPS %s, %s, %s", R(2), R(0), R(0))
	g.hreduce(0, 1, "VADD")
	g.w("VMOVSS X0, ret+48(FP)")
	g.ret()

	// sumSq64(x) float64: Σ x² in float64 over the whole blocks of 4
	// vectors of doubles (the caller sums the rest): four accumulators,
	// combined in a fixed order.
	g.text("sumSq64", "32")
	g.w("MOVQ x_base+0(FP), SI")
	g.w("MOVQ x_len+8(FP), CX")
	for i := 0; i < 4; i++ {
		g.zero(R(i))
	}
	dl := V / 2 // doubles per vector
	l = "sumSq64" + s.suffix
	g.label(l + "_loop")
	g.w("CMPQ CX, $%d", 4*dl)
	g.w("JLT %s_done", l)
	for i := 0; i < 4; i++ {
		g.w("VCVTPS2PD %d(SI), %s", i*4*dl, R(4+i))
	}
	for i := 0; i < 4; i++ {
		g.w("VFMADD231PD %s, %s, %s", R(4+i), R(4+i), R(i))
	}
	g.w("ADDQ $%d, SI", 16*dl)
	g.w("SUBQ $%d, CX", 4*dl)
	g.w("JMP %s_loop", l)
	g.label(l + "_done")
	g.w("VADDPD %s, %s, %s", R(1), R(0), R(0))
	g.w("VADDPD %s, %s, %s", R(3), R(2), R(2))
	g.w("VADDPD %s, %s, %s", R(2), R(0), R(0))
	if s.z {
		g.w("VEXTRACTF64X4 $1, Z0, Y1")
		g.w("VADDPD Y1, Y0, Y0")
	}
	g.w("VEXTRACTF128 $1, Y0, X1")
	g.w("VADDPD X1, X0, X0")
	g.w("VUNPCKHPD X0, X0, X1")
	g.w("VADDSD X1, X0, X0")
	g.w("VMOVSD X0, ret+24(FP)")
	g.ret()

	// Streaming leaves: axpy, scale, add.
	stream := func(name, frame string, setup func(), body func(off string, load func(m, d string), store func(sr, m string))) {
		g.text(name, frame)
		setup()
		l := name + s.suffix
		g.label(l + "_loop4")
		g.w("CMPQ CX, $%d", 4*V)
		g.w("JLT %s_loop", l)
		plain := func(m, d string) { g.w("VMOVUPS %s, %s", m, d) }
		plainSt := func(sr, m string) { g.w("VMOVUPS %s, %s", sr, m) }
		for i := 0; i < 4; i++ {
			body(fmt.Sprint(i*vb), plain, plainSt)
		}
		g.w("ADDQ $%d, AX", 4*vb)
		g.w("SUBQ $%d, CX", 4*V)
		g.w("JMP %s_loop4", l)
		g.label(l + "_loop")
		g.w("CMPQ CX, $%d", V)
		g.w("JLT %s_tail", l)
		body("0", plain, plainSt)
		g.w("ADDQ $%d, AX", vb)
		g.w("SUBQ $%d, CX", V)
		g.w("JMP %s_loop", l)
		g.label(l + "_tail")
		g.w("TESTQ CX, CX")
		g.w("JEQ %s_done", l)
		g.w("MOVQ AX, DX") // setMask clobbers AX
		g.setMask("CX")
		g.w("MOVQ DX, AX")
		body("0", g.loadTail, g.storeTail)
		g.label(l + "_done")
		g.ret()
	}
	// Pointers in SI, DI, R8; AX is the byte offset.
	stream("axpy", "56", func() {
		g.w("VBROADCASTSS alpha+0(FP), %s", R(8))
		g.w("MOVQ x_base+8(FP), SI")
		g.w("MOVQ y_base+32(FP), DI")
		g.w("MOVQ x_len+16(FP), CX")
		g.w("XORQ AX, AX")
	}, func(off string, load func(m, d string), store func(sr, m string)) {
		load(off+"(DI)(AX*1)", R(0))
		load(off+"(SI)(AX*1)", R(1))
		g.w("VFMADD231PS %s, %s, %s", R(1), R(8), R(0))
		store(R(0), off+"(DI)(AX*1)")
	})
	stream("scale", "32", func() {
		g.w("VBROADCASTSS alpha+0(FP), %s", R(8))
		g.w("MOVQ x_base+8(FP), SI")
		g.w("MOVQ x_len+16(FP), CX")
		g.w("XORQ AX, AX")
	}, func(off string, load func(m, d string), store func(sr, m string)) {
		load(off+"(SI)(AX*1)", R(0))
		g.w("VMULPS %s, %s, %s", R(8), R(0), R(0))
		store(R(0), off+"(SI)(AX*1)")
	})
	// dst = x op y, elementwise.
	binary := func(name, op string) {
		stream(name, "72", func() {
			g.w("MOVQ dst_base+0(FP), DI")
			g.w("MOVQ x_base+24(FP), SI")
			g.w("MOVQ y_base+48(FP), R8")
			g.w("MOVQ dst_len+8(FP), CX")
			g.w("XORQ AX, AX")
		}, func(off string, load func(m, d string), store func(sr, m string)) {
			load(off+"(SI)(AX*1)", R(0))
			load(off+"(R8)(AX*1)", R(1))
			g.w("%s %s, %s, %s", op, R(1), R(0), R(0))
			store(R(0), off+"(DI)(AX*1)")
		})
	}
	binary("add", "VADDPS")
	binary("mul", "VMULPS")
	// softmaxBack: d = p·(d − s)·scale, the softmax backward of one row
	// given s = Σ p·d (attention's scores gradient).
	stream("softmaxBack", "56", func() {
		g.w("VBROADCASTSS s+48(FP), %s", R(8))
		g.w("VBROADCASTSS scale+52(FP), %s", R(9))
		g.w("MOVQ d_base+0(FP), DI")
		g.w("MOVQ p_base+24(FP), SI")
		g.w("MOVQ d_len+8(FP), CX")
		g.w("XORQ AX, AX")
	}, func(off string, load func(m, d string), store func(sr, m string)) {
		load(off+"(DI)(AX*1)", R(0))
		load(off+"(SI)(AX*1)", R(1))
		g.w("VSUBPS %s, %s, %s", R(8), R(0), R(0))
		g.w("VMULPS %s, %s, %s", R(1), R(0), R(0))
		g.w("VMULPS %s, %s, %s", R(9), R(0), R(0))
		store(R(0), off+"(DI)(AX*1)")
	})

	g.gemvT4()
	g.gemvPanels()
	if s.z {
		g.gemvPanelsRows(2)
		g.gemvPanelsRows(3)
	} else {
		g.gemvPanelsRowsHalves()
	}
	g.lstmBack(false)
	g.lstmBack(true)
	g.gemvN()
	g.layerNorm()
	g.adamW()
}

// adamW emits adamW(p, g, m, v []float32, decay []uint8, a *adamArgs) for
// len(p) a multiple of the vector width (the Go side pads the tail).
// adamArgs: lr, b1, b2, eps, wd, c1, c2, ob1 (1−β₁), ob2 (1−β₂) at 0, 4, ..
func (g *gen) adamW() {
	s := g.s
	R := s.r
	V, vb := s.lanes(), s.vb()
	g.text("adamW", "128")
	g.w("MOVQ p_base+0(FP), DI")
	g.w("MOVQ g_base+24(FP), SI")
	g.w("MOVQ m_base+48(FP), R8")
	g.w("MOVQ v_base+72(FP), R9")
	g.w("MOVQ decay_base+96(FP), R10")
	g.w("MOVQ p_len+8(FP), CX")
	g.w("MOVQ a+120(FP), R11")
	for i, r := range []int{8, 9, 10, 11, 12, 13, 14} { // lr b1 b2 eps wd c1 c2
		g.w("VBROADCASTSS %d(R11), %s", 4*i, R(r))
	}
	ob1, ob2 := "28(R11)", "32(R11)"
	if s.z {
		g.w("VBROADCASTSS %s, Z15", ob1)
		g.w("VBROADCASTSS %s, Z16", ob2)
		ob1, ob2 = "Z15", "Z16"
	}
	g.w("XORQ AX, AX")
	g.w("XORQ BX, BX")
	l := "adamW" + s.suffix
	g.label(l + "_loop")
	g.w("CMPQ CX, $%d", V)
	g.w("JLT %s_done", l)
	g.w("VMOVUPS (SI)(AX*1), %s", R(0)) // g
	g.w("VMOVUPS (R8)(AX*1), %s", R(1)) // m
	g.w("VMOVUPS (R9)(AX*1), %s", R(2)) // v
	g.w("VMULPS %s, %s, %s", R(9), R(1), R(1))
	if s.z {
		g.w("VFMADD231PS %s, %s, %s", ob1, R(0), R(1))
	} else {
		g.w("VBROADCASTSS %s, %s", ob1, R(5))
		g.w("VFMADD231PS %s, %s, %s", R(5), R(0), R(1))
	}
	g.w("VMULPS %s, %s, %s", R(10), R(2), R(2))
	g.w("VMULPS %s, %s, %s", R(0), R(0), R(3))
	if s.z {
		g.w("VFMADD231PS %s, %s, %s", ob2, R(3), R(2))
	} else {
		g.w("VBROADCASTSS %s, %s", ob2, R(5))
		g.w("VFMADD231PS %s, %s, %s", R(5), R(3), R(2))
	}
	g.w("VMOVUPS %s, (R8)(AX*1)", R(1))
	g.w("VMOVUPS %s, (R9)(AX*1)", R(2))
	g.w("VMULPS %s, %s, %s", R(13), R(1), R(1)) // m̂
	g.w("VMULPS %s, %s, %s", R(14), R(2), R(2)) // v̂
	g.w("VSQRTPS %s, %s", R(2), R(2))
	g.w("VADDPS %s, %s, %s", R(11), R(2), R(2))
	g.w("VDIVPS %s, %s, %s", R(2), R(1), R(1)) // u = m̂/(√v̂+eps)
	g.w("VMOVUPS (DI)(AX*1), %s", R(4))        // p
	if s.z {
		g.w("VPMOVZXBD (R10)(BX*1), %s", R(3))
		g.w("VPTESTMD %s, %s, K2", R(3), R(3))
		g.w("VFMADD231PS %s, %s, K2, %s", R(4), R(12), R(1))
	} else {
		g.w("VPMOVZXBD (R10)(BX*1), %s", R(3))
		g.w("VPXOR %s, %s, %s", R(5), R(5), R(5))
		g.w("VPCMPEQD %s, %s, %s", R(5), R(3), R(3)) // all ones where decay == 0
		g.w("VMULPS %s, %s, %s", R(12), R(4), R(5))
		g.w("VANDNPS %s, %s, %s", R(5), R(3), R(5))
		g.w("VADDPS %s, %s, %s", R(5), R(1), R(1))
	}
	g.w("VFNMADD231PS %s, %s, %s", R(8), R(1), R(4))
	g.w("VMOVUPS %s, (DI)(AX*1)", R(4))
	g.w("ADDQ $%d, AX", vb)
	g.w("ADDQ $%d, BX", V)
	g.w("SUBQ $%d, CX", V)
	g.w("JMP %s_loop", l)
	g.label(l + "_done")
	g.ret()
}

// geluBackward generates dinp (+)= gelu'(inp)·dout, or with withGrad
// geluWithGrad(out, grad, inp): out = gelu(inp) as x·σ(2z) and grad =
// gelu'(inp), the same instructions as geluBackwardSet's for gelu'.
func (g *gen) geluBackward(set, withGrad bool) {
	s := g.s
	R := s.r
	V, vb := s.lanes(), s.vb()
	name := "geluBackward"
	if set {
		name = "geluBackwardSet"
	}
	l := name + s.suffix
	if withGrad {
		name = "geluWithGrad"
		l = name + s.suffix
		g.text(name, "72")
		g.w("MOVQ out_base+0(FP), DI")
		g.w("MOVQ grad_base+24(FP), DX")
		g.w("MOVQ inp_base+48(FP), SI")
		g.w("MOVQ inp_len+56(FP), CX")
	} else {
		g.text(name, "72")
		g.w("MOVQ dinp_base+0(FP), DI")
		g.w("MOVQ inp_base+24(FP), SI")
		g.w("MOVQ dout_base+48(FP), DX")
		g.w("MOVQ inp_len+32(FP), CX")
	}
	body := func(load func(mem, dst string), store func(src, mem string)) {
		load("(SI)", R(0))
		if withGrad {
			g.w("VMOVAPS %s, %s", R(0), R(8)) // x, unclamped
		}
		// Clamp to ±20 (gelu' is exactly 1 or 0 beyond; avoids 0·Inf);
		// x as the second source keeps NaN.
		g.w("VMOVUPS %s, %s", c("twenty"), R(6))
		g.w("VMINPS %s, %s, %s", R(0), R(6), R(0))
		g.w("VMOVUPS %s, %s", c("mtwenty"), R(6))
		g.w("VMAXPS %s, %s, %s", R(0), R(6), R(0))
		g.w("VMOVAPS %s, %s", R(0), R(5))
		g.w("VMULPS %s, %s, %s", R(5), R(5), R(6)) // x²
		g.w("VMOVUPS %s, %s", c("geluB"), R(0))
		g.w("VFMADD213PS %s, %s, %s", c("geluM2S"), R(6), R(0))
		g.w("VMULPS %s, %s, %s", R(5), R(0), R(0)) // −2z, |−2z| ≤ 604
		g.expFast(R(0), R(1), R(2), R(3), R(4), false)
		g.w("VADDPS %s, %s, %s", c("one"), R(0), R(0))
		g.w("VMOVUPS %s, %s", c("one"), R(7))
		g.w("VDIVPS %s, %s, %s", R(0), R(7), R(0)) // s = σ(2z)
		// gelu' = s + s·(1−s)·x·(2√(2/π) + 6√(2/π)·0.044715·x²)
		g.w("VSUBPS %s, %s, %s", R(0), R(7), R(1)) // 1 − s
		g.w("VMULPS %s, %s, %s", R(5), R(1), R(1)) // x(1−s)
		g.w("VMOVUPS %s, %s", c("gelu6SC"), R(2))
		g.w("VFMADD213PS %s, %s, %s", c("gelu2S"), R(6), R(2)) // z'·2
		g.w("VMULPS %s, %s, %s", R(2), R(1), R(1))
		g.w("VFMADD213PS %s, %s, %s", R(0), R(0), R(1)) // s + s·(…)
		if withGrad {
			// gelu = x·s: beyond the clamp s is exactly 0 or 1 (x = −Inf
			// gives NaN, as ½x(1+tanh z) does).
			g.w("VMULPS %s, %s, %s", R(0), R(8), R(2))
			store(R(2), "(DI)")
			store(R(1), "(DX)")
			return
		}
		g.w("VMOVAPS %s, %s", R(1), R(0))
		load("(DX)", R(3))
		if set {
			g.w("VMULPS %s, %s, %s", R(3), R(0), R(2))
		} else {
			load("(DI)", R(2))
			g.w("VFMADD231PS %s, %s, %s", R(3), R(0), R(2))
		}
		store(R(2), "(DI)")
	}
	g.label(l + "_loop")
	g.w("CMPQ CX, $%d", V)
	g.w("JLT %s_tail", l)
	body(func(m, d string) { g.w("VMOVUPS %s, %s", m, d) }, func(sr, m string) { g.w("VMOVUPS %s, %s", sr, m) })
	g.w("ADDQ $%d, SI", vb)
	g.w("ADDQ $%d, DI", vb)
	g.w("ADDQ $%d, DX", vb)
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
