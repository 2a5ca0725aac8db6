package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg/internal/testutil"
)

// Gate bounds: each activation has relative error at most A = (2E+2)u (the
// tanh bound, the loosest of sigmoid and tanh); a product or sum of
// activations adds one rounding per operation, applied to the magnitudes of
// its terms. Backward passes take the same float32 activations as the
// reference, so only their ~6 roundings per output count: 8u times the sum
// of the terms' magnitudes.
const actTol = (2*expMaxErr + 2) * u

func TestLSTMCell(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	forEachPath(t, func(t *testing.T, p path) {
		for _, s := range [][2]int{{1, 1}, {3, 7}, {2, 33}, {4, 64}} {
			rows, H := s[0], s[1]
			pre := randSlice(r, rows*4*H, -4, 4)
			cPrev := randSlice(r, rows*H, -2, 2)
			gg, hg, cg, tg := guarded(rows*4*H), guarded(rows*H), guarded(rows*H), guarded(rows*H)
			copy(gg, pre)
			gw := append([]float32(nil), pre...)
			hw, cw, tw := make([]float32, rows*H), make([]float32, rows*H), make([]float32, rows*H)
			LSTMCell(hg, cg, tg, gg, cPrev, rows, H)
			lstmCellRef(hw, cw, tw, gw, cPrev, rows, H)
			for _, c := range []struct {
				name string
				s    []float32
			}{{"gates", gg}, {"h", hg}, {"c", cg}, {"tanhC", tg}} {
				checkGuard(t, c.name, c.s)
			}
			for i := range gg {
				if d := math.Abs(float64(gg[i] - gw[i])); d > actTol*abs32(gw[i]) {
					t.Fatalf("LSTM gates[%d] = %v, want %v", i, gg[i], gw[i])
				}
			}
			for k := range hg {
				rr, j := k/H, k%H
				f, i, g, o := gw[rr*4*H+H+j], gw[rr*4*H+j], gw[rr*4*H+2*H+j], gw[rr*4*H+3*H+j]
				dc := (actTol + 2*u) * (abs32(f*cPrev[k]) + abs32(i*g))
				if d := math.Abs(float64(cg[k] - cw[k])); d > dc {
					t.Fatalf("LSTM c[%d] = %v, want %v", k, cg[k], cw[k])
				}
				dt := dc + actTol*abs32(tw[k])
				if d := math.Abs(float64(tg[k] - tw[k])); d > dt {
					t.Fatalf("LSTM tanhC[%d] = %v, want %v", k, tg[k], tw[k])
				}
				if d := math.Abs(float64(hg[k] - hw[k])); d > abs32(o)*dt+(actTol+u)*abs32(hw[k]) {
					t.Fatalf("LSTM h[%d] = %v, want %v", k, hg[k], hw[k])
				}
			}
			// Backward from the forward's own outputs.
			dh, dc := randSlice(r, rows*H, -1, 1), randSlice(r, rows*H, -1, 1)
			dg0, dcp0 := randSlice(r, rows*4*H, -1, 1), randSlice(r, rows*H, -1, 1)
			dgg, dcpg := guarded(rows*4*H), guarded(rows*H)
			copy(dgg, dg0)
			copy(dcpg, dcp0)
			dgw, dcpw := append([]float32(nil), dg0...), append([]float32(nil), dcp0...)
			LSTMCellBackward(dgg, dcpg, dh, dc, gg, cPrev, tg, rows, H)
			lstmCellBackwardRef(dgw, dcpw, dh, dc, gg, cPrev, tg, rows, H)
			checkGuard(t, "dgates", dgg)
			checkGuard(t, "dcPrev", dcpg)
			for i := range dgg {
				// every term is a product of factors bounded by ~4 in magnitude
				tol := 8*u*(abs32(dg0[i])+abs32(dgw[i])) + 8*u*4
				if d := math.Abs(float64(dgg[i] - dgw[i])); d > tol {
					t.Fatalf("LSTM dgates[%d] = %v, want %v", i, dgg[i], dgw[i])
				}
			}
			for i := range dcpg {
				if d := math.Abs(float64(dcpg[i] - dcpw[i])); d > 8*u*(abs32(dcp0[i])+abs32(dcpw[i])+4) {
					t.Fatalf("LSTM dcPrev[%d] = %v, want %v", i, dcpg[i], dcpw[i])
				}
			}
			// The overwriting variant equals accumulating into zeros, bit
			// for bit, and ignores what the buffers held.
			dgz, dcpz := guarded(rows*4*H), guarded(rows*H)
			LSTMCellBackward(dgz, dcpz, dh, dc, gg, cPrev, tg, rows, H)
			dgs, dcps := guarded(rows*4*H), guarded(rows*H)
			copy(dgs, dg0)
			copy(dcps, dcp0)
			LSTMCellBackwardSet(dgs, dcps, dh, dc, gg, cPrev, tg, rows, H)
			checkGuard(t, "dgates (set)", dgs)
			checkGuard(t, "dcPrev (set)", dcps)
			for i := range dgs {
				if dgs[i] != dgz[i] {
					t.Fatalf("LSTMCellBackwardSet dgates[%d] = %v, want %v", i, dgs[i], dgz[i])
				}
			}
			for i := range dcps {
				if dcps[i] != dcpz[i] {
					t.Fatalf("LSTMCellBackwardSet dcPrev[%d] = %v, want %v", i, dcps[i], dcpz[i])
				}
			}
		}
	})
}

func TestGRUCell(t *testing.T) {
	r := rand.New(rand.NewPCG(63, 64))
	forEachPath(t, func(t *testing.T, p path) {
		for _, s := range [][2]int{{1, 1}, {3, 7}, {2, 33}, {4, 64}} {
			rows, H := s[0], s[1]
			xg, hg := randSlice(r, rows*3*H, -3, 3), randSlice(r, rows*3*H, -3, 3)
			hPrev := randSlice(r, rows*H, -1, 1)
			gg, hgot := guarded(rows*3*H), guarded(rows*H)
			gw, hw := make([]float32, rows*3*H), make([]float32, rows*H)
			GRUCell(hgot, gg, xg, hg, hPrev, rows, H)
			gruCellRef(hw, gw, xg, hg, hPrev, rows, H)
			checkGuard(t, "gates", gg)
			checkGuard(t, "h", hgot)
			for i := range gg {
				// the n gate's argument xn + r·hn carries r's error times |hn|
				tol := actTol*abs32(gw[i]) + (actTol+2*u)*(abs32(xg[i])+abs32(hg[i]))
				if d := math.Abs(float64(gg[i] - gw[i])); d > tol {
					t.Fatalf("GRU gates[%d] = %v, want %v", i, gg[i], gw[i])
				}
			}
			for k := range hgot {
				tol := (actTol + 3*u) * (abs32(hPrev[k]) + 3*(abs32(xg[k])+abs32(hg[k])) + 2)
				if d := math.Abs(float64(hgot[k] - hw[k])); d > tol {
					t.Fatalf("GRU h[%d] = %v, want %v", k, hgot[k], hw[k])
				}
			}
			dh := randSlice(r, rows*H, -1, 1)
			dx0, dh0, dp0 := randSlice(r, rows*3*H, -1, 1), randSlice(r, rows*3*H, -1, 1), randSlice(r, rows*H, -1, 1)
			dxg, dhg, dpg := guarded(rows*3*H), guarded(rows*3*H), guarded(rows*H)
			copy(dxg, dx0)
			copy(dhg, dh0)
			copy(dpg, dp0)
			dxw, dhw, dpw := append([]float32(nil), dx0...), append([]float32(nil), dh0...), append([]float32(nil), dp0...)
			GRUCellBackward(dxg, dhg, dpg, dh, gg, hg, hPrev, rows, H)
			gruCellBackwardRef(dxw, dhw, dpw, dh, gg, hg, hPrev, rows, H)
			for _, c := range []struct {
				name      string
				got, want []float32
			}{{"dxg", dxg, dxw}, {"dhg", dhg, dhw}, {"dhPrev", dpg, dpw}} {
				checkGuard(t, c.name, c.got)
				for i := range c.got {
					if d := math.Abs(float64(c.got[i] - c.want[i])); d > 8*u*(abs32(c.want[i])+4) {
						t.Fatalf("GRU %s[%d] = %v, want %v", c.name, i, c.got[i], c.want[i])
					}
				}
			}
		}
	})
}

// TestCellGradients: central differences of a random linear function of the
// outputs, through the float64 reference cells, against the backward passes.
func TestCellGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(65, 66))
	rows, H := 2, 3
	// LSTM: objective Σ wh⊙h + Σ wc⊙c over pre-activations and cPrev.
	pre := randSlice(r, rows*4*H, -2, 2)
	cPrev := randSlice(r, rows*H, -1, 1)
	wh, wc := randSlice(r, rows*H, -1, 1), randSlice(r, rows*H, -1, 1)
	lstmObj := func() float64 {
		g := append([]float32(nil), pre...)
		h, c, tc := make([]float32, rows*H), make([]float32, rows*H), make([]float32, rows*H)
		lstmCellRef(h, c, tc, g, cPrev, rows, H)
		var s float64
		for i := range h {
			s += float64(wh[i])*float64(h[i]) + float64(wc[i])*float64(c[i])
		}
		return s
	}
	g := append([]float32(nil), pre...)
	h, c, tc := make([]float32, rows*H), make([]float32, rows*H), make([]float32, rows*H)
	LSTMCell(h, c, tc, g, cPrev, rows, H)
	dg, dcp := make([]float32, rows*4*H), make([]float32, rows*H)
	LSTMCellBackward(dg, dcp, wh, wc, g, cPrev, tc, rows, H)
	const step = 1e-2
	fd := func(v []float32, i int, f func() float64) float64 { return testutil.CentralDiff(v, i, step, f) }
	for i := range pre {
		if n := fd(pre, i, lstmObj); math.Abs(n-float64(dg[i])) > 1e-3 {
			t.Errorf("LSTM dgates[%d] = %v, numeric %v", i, dg[i], n)
		}
	}
	for i := range cPrev {
		if n := fd(cPrev, i, lstmObj); math.Abs(n-float64(dcp[i])) > 1e-3 {
			t.Errorf("LSTM dcPrev[%d] = %v, numeric %v", i, dcp[i], n)
		}
	}
	// GRU: objective Σ wh⊙h over xg, hg and hPrev.
	xg, hg := randSlice(r, rows*3*H, -2, 2), randSlice(r, rows*3*H, -2, 2)
	hPrev := randSlice(r, rows*H, -1, 1)
	gruObj := func() float64 {
		h, g := make([]float32, rows*H), make([]float32, rows*3*H)
		gruCellRef(h, g, xg, hg, hPrev, rows, H)
		var s float64
		for i := range h {
			s += float64(wh[i]) * float64(h[i])
		}
		return s
	}
	gates := make([]float32, rows*3*H)
	GRUCell(h, gates, xg, hg, hPrev, rows, H)
	dxg, dhg, dhp := make([]float32, rows*3*H), make([]float32, rows*3*H), make([]float32, rows*H)
	GRUCellBackward(dxg, dhg, dhp, wh, gates, hg, hPrev, rows, H)
	for i := range xg {
		if n := fd(xg, i, gruObj); math.Abs(n-float64(dxg[i])) > 1e-3 {
			t.Errorf("GRU dxg[%d] = %v, numeric %v", i, dxg[i], n)
		}
		if n := fd(hg, i, gruObj); math.Abs(n-float64(dhg[i])) > 1e-3 {
			t.Errorf("GRU dhg[%d] = %v, numeric %v", i, dhg[i], n)
		}
	}
	for i := range hPrev {
		if n := fd(hPrev, i, gruObj); math.Abs(n-float64(dhp[i])) > 1e-3 {
			t.Errorf("GRU dhPrev[%d] = %v, numeric %v", i, dhp[i], n)
		}
	}
}

// TestLSTMBackwardPaths: the assembly rows of LSTMCellBackward do the
// portable loop's arithmetic operation by operation, so every path gives
// the same values (a zero may differ in sign), with and without dc,
// accumulating or overwriting, over widths with vector tails.
func TestLSTMBackwardPaths(t *testing.T) {
	defer func() { useAVX2, useAVX512 = cpuAVX2, cpuAVX512 }()
	r := rand.New(rand.NewPCG(67, 68))
	for _, s := range [][2]int{{1, 1}, {3, 7}, {2, 33}, {4, 100}} {
		rows, H := s[0], s[1]
		g := randSlice(r, rows*4*H, 0, 1)
		cp, tc := randSlice(r, rows*H, -2, 2), randSlice(r, rows*H, -1, 1)
		dh, dc := randSlice(r, rows*H, -1, 1), randSlice(r, rows*H, -1, 1)
		dg0, dcp0 := randSlice(r, rows*4*H, -1, 1), randSlice(r, rows*H, -1, 1)
		run := func(p path, dcv []float32, set bool) ([]float32, []float32) {
			useAVX2, useAVX512 = p.avx2, p.avx512
			dg, dcp := append([]float32(nil), dg0...), append([]float32(nil), dcp0...)
			if set {
				LSTMCellBackwardSet(dg, dcp, dh, dcv, g, cp, tc, rows, H)
			} else {
				LSTMCellBackward(dg, dcp, dh, dcv, g, cp, tc, rows, H)
			}
			return dg, dcp
		}
		for _, dcv := range [][]float32{nil, dc} {
			for _, set := range []bool{false, true} {
				wg, wc := run(allPaths()[0], dcv, set)
				for _, p := range allPaths()[1:] {
					if !p.availableOnCPU {
						continue
					}
					gg, gc := run(p, dcv, set)
					for i := range gg {
						if gg[i] != wg[i] {
							t.Fatalf("%s %v dc=%v set=%v: dgates[%d] = %v, portable %v", p.name, s, dcv != nil, set, i, gg[i], wg[i])
						}
					}
					for i := range gc {
						if gc[i] != wc[i] {
							t.Fatalf("%s %v dc=%v set=%v: dcPrev[%d] = %v, portable %v", p.name, s, dcv != nil, set, i, gc[i], wc[i])
						}
					}
				}
			}
		}
	}
}
