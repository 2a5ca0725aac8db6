package kernels

import "fmt"

// PanelWidth is the number of columns in one micro-panel of the packed
// matrix: the granule of GemvPacked's column ranges.
func (pb *PackedB) PanelWidth() int {
	if pb.im == nil {
		return 1
	}
	return pb.im.nr
}

// GemvPacked computes columns [lo, hi) of a one-row product against rows
// [p0, p0+len(x)) of a packed matrix: y[j] = bias[j] + Σₚ x[p]·B[p0+p][j]
// for lo ≤ j < hi, where B (k×n) was packed by pb.Pack and len(y) ≥ hi.
// A nil bias adds nothing. lo must be a multiple of pb.PanelWidth(), and hi
// one too or n. With p0 = 0 and len(x) = k it is the product x·B; a range
// of rows is the partial product of a slice of x (a split of the sum over
// p whose partial results the caller adds in a fixed order).
//
// The packed panels are read in one sequential sweep (a generated token's
// linear layers: the weights stream from cache or memory, and the one
// row's products are split among workers by column ranges). Each y[j] sums
// over p in an order that depends only on p0 and len(x), so a result does
// not depend on how the columns are split. The error bound is Sgemm's:
// within √len(x)·2⁻²³·(Σₚ|x[p]B[p0+p][j]| + |bias[j]|) of the exact value.
func GemvPacked(y, x, bias []float32, pb *PackedB, p0, lo, hi int) {
	if pb == nil || pb.im == nil {
		panic("kernels: GemvPacked: B was not packed")
	}
	im, k, n := pb.im, pb.k, pb.n
	nr := im.nr
	if p0 < 0 || p0+len(x) > k {
		panic(fmt.Sprintf("kernels: GemvPacked: rows [%d, %d) of %d", p0, p0+len(x), k))
	}
	if lo < 0 || hi > n || lo > hi || lo%nr != 0 || (hi%nr != 0 && hi != n) {
		panic(fmt.Sprintf("kernels: GemvPacked: columns [%d, %d) of %d with panels of %d", lo, hi, n, nr))
	}
	if len(y) < hi || (bias != nil && len(bias) < hi) {
		panic(fmt.Sprintf("kernels: GemvPacked: len(y) = %d, len(bias) = %d, want ≥ %d", len(y), len(bias), hi))
	}
	if lo == hi {
		return
	}
	out := y[lo:hi]
	if bias != nil {
		copy(out, bias[lo:hi])
	} else {
		clear(out)
	}
	q0, full := lo/nr, hi/nr // panels [q0, full) are whole
	var edge *[]float32      // the last, partial panel, padded to nr
	if hi > full*nr {
		edge = getBuf(nr)
	}
	np, kc, p1 := pb.np, im.kc, p0+len(x)
	for pc := p0 / kc * kc; pc < p1; pc += kc {
		// k block pc: panels of kcur rows, of which rows [r0, r1) are ours.
		kcur := min(kc, k-pc)
		bp := pb.data[pc*np*nr : (pc+kcur)*np*nr]
		r0, r1 := max(p0, pc)-pc, min(p1, pc+kcur)-pc
		xs := x[pc+r0-p0 : pc+r1-p0]
		ldp := kcur * nr
		if full > q0 {
			im.gemvPanels(xs, bp[q0*ldp+r0*nr:(full-1)*ldp+r1*nr], full-q0, ldp, out)
		}
		if edge != nil {
			e := (*edge)[:nr]
			t := y[full*nr : hi]
			clear(e)
			copy(e, t)
			im.gemvPanels(xs, bp[full*ldp+r0*nr:full*ldp+r1*nr], 1, ldp, e)
			copy(t, e)
		}
	}
	putBuf(edge)
}

// gemvPanelsGeneric is gemmImpl.gemvPanels in Go for the generic path's
// 4-wide panels.
func gemvPanelsGeneric(x, b []float32, np, ldp int, y []float32) {
	const nr = 4
	k := len(x)
	if k == 0 || np == 0 {
		return
	}
	b = b[:(np-1)*ldp+k*nr]
	y = y[:np*nr]
	for q := range np {
		var s0, s1, s2, s3 float32
		panel := b[q*ldp : q*ldp+k*nr]
		for p, xp := range x {
			r := panel[p*nr : p*nr+nr : p*nr+nr]
			s0 += xp * r[0]
			s1 += xp * r[1]
			s2 += xp * r[2]
			s3 += xp * r[3]
		}
		yq := y[q*nr : q*nr+nr : q*nr+nr]
		yq[0] += s0
		yq[1] += s1
		yq[2] += s2
		yq[3] += s3
	}
}

// gemvRowsChunk bounds the packed weights one call of gemvPanelsRows
// sweeps (in floats): a chunk of panels stays in L1 while every group of
// rows streams it.
const gemvRowsChunk = 8 << 10

// GemvPackedRows is GemvPacked for m rows at once: for each r < m, row r
// of y (y[r*ldy:]) gets exactly the bits of
//
//	GemvPacked(y[r*ldy:], x[r*ldx:r*ldx+kx], bias, pb, p0, lo, hi)
//
// (the batched step of several generated sequences: one sequence's result
// never depends on which others share the call, nor on its row). The
// packed weights are read once per group of rows rather than once per
// row. Columns and rows follow GemvPacked's rules; ldx ≥ kx and ldy ≥ hi
// (rows of y do not overlap).
func GemvPackedRows(m int, y []float32, ldy int, x []float32, ldx, kx int, bias []float32, pb *PackedB, p0, lo, hi int) {
	if pb == nil || pb.im == nil {
		panic("kernels: GemvPackedRows: B was not packed")
	}
	im, k, n := pb.im, pb.k, pb.n
	nr := im.nr
	switch {
	case m < 0 || kx < 0 || ldx < kx || ldy < hi:
		panic(fmt.Sprintf("kernels: GemvPackedRows: %d rows of %d (stride %d) into stride %d", m, kx, ldx, ldy))
	case p0 < 0 || p0+kx > k:
		panic(fmt.Sprintf("kernels: GemvPackedRows: rows [%d, %d) of %d", p0, p0+kx, k))
	case lo < 0 || hi > n || lo > hi || lo%nr != 0 || (hi%nr != 0 && hi != n):
		panic(fmt.Sprintf("kernels: GemvPackedRows: columns [%d, %d) of %d with panels of %d", lo, hi, n, nr))
	case m > 0 && (len(x) < (m-1)*ldx+kx || len(y) < (m-1)*ldy+hi):
		panic(fmt.Sprintf("kernels: GemvPackedRows: len(x) = %d, len(y) = %d for %d rows", len(x), len(y), m))
	case bias != nil && len(bias) < hi:
		panic(fmt.Sprintf("kernels: GemvPackedRows: len(bias) = %d, want ≥ %d", len(bias), hi))
	}
	if m == 0 || lo == hi {
		return
	}
	for r := range m {
		out := y[r*ldy+lo : r*ldy+hi]
		if bias != nil {
			copy(out, bias[lo:hi])
		} else {
			clear(out)
		}
	}
	q0, full := lo/nr, hi/nr // panels [q0, full) are whole
	var edge *[]float32
	if hi > full*nr {
		edge = getBuf(nr)
	}
	np, kc, p1 := pb.np, im.kc, p0+kx
	for pc := p0 / kc * kc; pc < p1; pc += kc {
		kcur := min(kc, k-pc)
		bp := pb.data[pc*np*nr : (pc+kcur)*np*nr]
		r0, r1 := max(p0, pc)-pc, min(p1, pc+kcur)-pc
		xo, kr := pc+r0-p0, r1-r0
		ldp := kcur * nr
		chunk := max(1, gemvRowsChunk/(kr*nr))
		for q := q0; q < full; q += chunk {
			c := min(chunk, full-q)
			b := bp[q*ldp+r0*nr : (q+c-1)*ldp+r1*nr]
			if im.gemvPanelsRows != nil {
				im.gemvPanelsRows(m, kr, x[xo:], ldx, b, c, ldp, y[q*nr:], ldy)
				continue
			}
			for r := range m {
				im.gemvPanels(x[r*ldx+xo:r*ldx+xo+kr], b, c, ldp, y[r*ldy+q*nr:])
			}
		}
		if edge != nil {
			e := (*edge)[:nr]
			for r := range m {
				t := y[r*ldy+full*nr : r*ldy+hi]
				clear(e)
				copy(e, t)
				im.gemvPanels(x[r*ldx+xo:r*ldx+xo+kr], bp[full*ldp+r0*nr:full*ldp+r1*nr], 1, ldp, e)
				copy(t, e)
			}
		}
	}
	putBuf(edge)
}
