package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

var rowShapes = [][2]int{{1, 1}, {3, 7}, {2, 17}, {5, 64}, {4, 65}, {3, 129}, {2, 1000}, {70, 700}}

// Softmax bound, in u: the exponential (E), the sum (√cols + E, the
// probabilistic summation bound plus the terms' own error), the reciprocal
// and the product (2), and the rounding of x − max, which the exponential
// turns into a relative error |x − max|/2.
func softmaxTol(cols int, xm, want float64) float64 {
	return (2*expMaxErr + 2 + math.Sqrt(float64(cols)) + math.Abs(xm)/2) * u * math.Abs(want)
}

func rowMaxRef(x []float32) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	return m
}

func TestSoftmax(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	forEachPath(t, func(t *testing.T, p path) {
		for _, s := range rowShapes {
			rows, cols := s[0], s[1]
			x := randSlice(r, rows*cols, -30, 30)
			got, want := guarded(rows*cols), make([]float32, rows*cols)
			Softmax(got, x, rows, cols)
			softmaxRef(want, x, rows, cols)
			checkGuard(t, "Softmax", got)
			for i := range got {
				mx := rowMaxRef(x[i/cols*cols : (i/cols+1)*cols])
				if d := math.Abs(float64(got[i] - want[i])); d > softmaxTol(cols, float64(x[i])-mx, float64(want[i]))+minNormal {
					t.Fatalf("Softmax %v [%d]: %v, want %v", s, i, got[i], want[i])
				}
			}
			// LogSoftmax: absolute error u·(|x−max| + |log S| + |out| + E + √cols).
			LogSoftmax(got, x, rows, cols)
			logSoftmaxRef(want, x, rows, cols)
			checkGuard(t, "LogSoftmax", got)
			inplace := append([]float32(nil), x...)
			LogSoftmax(inplace, inplace, rows, cols)
			for i := range got {
				row := x[i/cols*cols : (i/cols+1)*cols]
				mx := rowMaxRef(row)
				ls := float64(x[i]) - mx - float64(want[i])
				tol := u * (math.Abs(float64(x[i])-mx) + math.Abs(ls) + abs32(want[i]) + expMaxErr + math.Sqrt(float64(cols)))
				if d := math.Abs(float64(got[i] - want[i])); d > tol {
					t.Fatalf("LogSoftmax %v [%d]: %v, want %v", s, i, got[i], want[i])
				}
				if inplace[i] != got[i] {
					t.Fatalf("LogSoftmax in place differs at %d: %v vs %v", i, inplace[i], got[i])
				}
			}
		}
	})
}

func TestSoftmaxCrossEntropy(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	const ignore = -100
	forEachPath(t, func(t *testing.T, p path) {
		for _, s := range rowShapes {
			rows, cols := s[0], s[1]
			x := randSlice(r, rows*cols, -10, 10)
			tg := make([]int32, rows)
			for i := range tg {
				tg[i] = int32(r.IntN(cols))
				if i%3 == 2 {
					tg[i] = ignore
				}
			}
			lg, pg := guarded(rows), guarded(rows*cols)
			lw, pw := make([]float32, rows), make([]float32, rows*cols)
			sum, n := SoftmaxCrossEntropy(lg, pg, x, tg, rows, cols, ignore)
			sumw, nw := softmaxCrossEntropyRef(lw, pw, x, tg, rows, cols, ignore)
			checkGuard(t, "losses", lg)
			checkGuard(t, "probs", pg)
			if n != nw {
				t.Fatalf("count %d, want %d", n, nw)
			}
			var tolSum float64
			for i := range rows {
				mx := rowMaxRef(x[i*cols : (i+1)*cols])
				var tol float64
				if tg[i] != ignore {
					xt := float64(x[i*cols+int(tg[i])]) - mx
					ls := float64(lw[i]) + xt
					tol = u * (expMaxErr + math.Sqrt(float64(cols)) + math.Abs(xt) + math.Abs(ls) + abs32(lw[i]))
				}
				tolSum += tol
				if d := math.Abs(float64(lg[i] - lw[i])); d > tol {
					t.Fatalf("loss %v row %d: %v, want %v", s, i, lg[i], lw[i])
				}
			}
			if math.Abs(sum-sumw) > tolSum+1e-12*math.Abs(sumw) {
				t.Fatalf("sum %v, want %v", sum, sumw)
			}
			for i := range pg {
				mx := rowMaxRef(x[i/cols*cols : (i/cols+1)*cols])
				if d := math.Abs(float64(pg[i] - pw[i])); d > softmaxTol(cols, float64(x[i])-mx, float64(pw[i]))+minNormal {
					t.Fatalf("probs %v [%d]: %v, want %v", s, i, pg[i], pw[i])
				}
			}
			// Backward: two roundings of |d| + |scale·p| + |scale|.
			scale := float32(1) / float32(max(n, 1))
			d0 := randSlice(r, rows*cols, -1, 1)
			dg := guarded(rows * cols)
			copy(dg, d0)
			dw := append([]float32(nil), d0...)
			SoftmaxCrossEntropyBackward(dg, pw, tg, rows, cols, ignore, scale)
			softmaxCrossEntropyBackwardRef(dw, pw, tg, rows, cols, ignore, scale)
			checkGuard(t, "dlogits", dg)
			for i := range dg {
				tol := u * (abs32(d0[i]) + abs32(scale*pw[i]) + abs32(scale))
				if d := math.Abs(float64(dg[i] - dw[i])); d > tol {
					t.Fatalf("dlogits %v [%d]: %v, want %v", s, i, dg[i], dw[i])
				}
			}
			// The overwriting variant equals accumulating into zeros, bit for
			// bit, in a separate buffer and in place over the probabilities.
			dz := make([]float32, rows*cols)
			SoftmaxCrossEntropyBackward(dz, pw, tg, rows, cols, ignore, scale)
			ds := guarded(rows * cols)
			copy(ds, d0)
			SoftmaxCrossEntropyBackwardSet(ds, pw, tg, rows, cols, ignore, scale)
			checkGuard(t, "dlogits (set)", ds)
			inPlace := append([]float32(nil), pw...)
			SoftmaxCrossEntropyBackwardSet(inPlace, inPlace, tg, rows, cols, ignore, scale)
			for i := range dz {
				if math.Float32bits(ds[i]) != math.Float32bits(dz[i]) || math.Float32bits(inPlace[i]) != math.Float32bits(dz[i]) {
					t.Fatalf("dlogits (set) %v [%d]: %v and in place %v, want %v", s, i, ds[i], inPlace[i], dz[i])
				}
			}
		}
	})
}

// TestSoftmaxCrossEntropyGradient: central differences of the summed loss
// (float64 reference) against the backward pass.
func TestSoftmaxCrossEntropyGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(45, 46))
	rows, cols := 3, 5
	x := randSlice(r, rows*cols, -2, 2)
	tg := []int32{1, -1, 4}
	loss := func(x []float32) float64 {
		l, p := make([]float32, rows), make([]float32, rows*cols)
		s, _ := softmaxCrossEntropyRef(l, p, x, tg, rows, cols, -1)
		return s
	}
	l, p := make([]float32, rows), make([]float32, rows*cols)
	SoftmaxCrossEntropy(l, p, x, tg, rows, cols, -1)
	d := make([]float32, rows*cols)
	SoftmaxCrossEntropyBackward(d, p, tg, rows, cols, -1, 1)
	for i := range x {
		const h = 1e-2
		xp := append([]float32(nil), x...)
		xp[i] += h
		xm := append([]float32(nil), x...)
		xm[i] -= h
		fd := (loss(xp) - loss(xm)) / (2 * h)
		if math.Abs(fd-float64(d[i])) > 1e-4 {
			t.Errorf("dlogits[%d] = %v, numeric %v", i, d[i], fd)
		}
	}
}

func TestLayerNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(47, 48))
	forEachPath(t, func(t *testing.T, p path) {
		for _, s := range rowShapes {
			rows, cols := s[0], s[1]
			x := randSlice(r, rows*cols, -3, 5)
			w := randSlice(r, cols, 0.5, 1.5)
			b := randSlice(r, cols, -1, 1)
			og, mg, sg := guarded(rows*cols), guarded(rows), guarded(rows)
			ow, mw, sw := make([]float32, rows*cols), make([]float32, rows), make([]float32, rows)
			const eps = 1e-5
			LayerNorm(og, mg, sg, x, w, b, rows, cols, eps)
			layerNormRef(ow, mw, sw, x, w, b, rows, cols, eps)
			checkGuard(t, "out", og)
			checkGuard(t, "mean", mg)
			checkGuard(t, "rstd", sg)
			sq := math.Sqrt(float64(cols))
			for i := range rows {
				row := x[i*cols : (i+1)*cols]
				var ma float64
				for _, v := range row {
					ma += abs32(v)
				}
				ma /= float64(cols)
				// μ: a sum of cols terms, then a division.
				dmu := sq*u*ma + u*abs32(mw[i])
				if d := math.Abs(float64(mg[i] - mw[i])); d > dmu {
					t.Fatalf("mean %v row %d: %v, want %v", s, i, mg[i], mw[i])
				}
				// σ: the variance sum (√cols), halved by the square root,
				// plus the roundings of division, sqrt and reciprocal.
				rs := (sq/2 + 3) * u
				if d := math.Abs(float64(sg[i] - sw[i])); d > rs*abs32(sw[i]) {
					t.Fatalf("rstd %v row %d: %v, want %v", s, i, sg[i], sw[i])
				}
				for j := range cols {
					k := i*cols + j
					xm := math.Abs(float64(row[j]) - float64(mw[i]))
					tol := abs32(w[j])*float64(sw[i])*(dmu+xm*(rs+3*u)) + u*(abs32(b[j])+abs32(ow[k]))
					if d := math.Abs(float64(og[k] - ow[k])); d > tol {
						t.Fatalf("out %v [%d,%d]: %v, want %v", s, i, j, og[k], ow[k])
					}
				}
			}
			// Backward, from the same saved statistics on both sides.
			dout := randSlice(r, rows*cols, -1, 1)
			di0, dw0, db0 := randSlice(r, rows*cols, -1, 1), randSlice(r, cols, -1, 1), randSlice(r, cols, -1, 1)
			dig, dwg, dbg := guarded(rows*cols), guarded(cols), guarded(cols)
			copy(dig, di0)
			copy(dwg, dw0)
			copy(dbg, db0)
			diw, dww, dbw := append([]float32(nil), di0...), append([]float32(nil), dw0...), append([]float32(nil), db0...)
			LayerNormBackward(dig, dwg, dbg, dout, x, w, mg, sg, rows, cols)
			layerNormBackwardRef(diw, dww, dbw, dout, x, w, mg, sg, rows, cols)
			checkGuard(t, "dinp", dig)
			checkGuard(t, "dweight", dwg)
			checkGuard(t, "dbias", dbg)
			for i := range rows {
				var mg1, mgx float64 // mean |g|, mean |g·x̂|
				xh := make([]float64, cols)
				for j := range cols {
					xh[j] = (float64(x[i*cols+j]) - float64(mg[i])) * float64(sg[i])
					g := math.Abs(float64(w[j] * dout[i*cols+j]))
					mg1 += g / float64(cols)
					mgx += g * math.Abs(xh[j]) / float64(cols)
				}
				for j := range cols {
					k := i*cols + j
					g := math.Abs(float64(w[j] * dout[k]))
					mag := float64(sg[i]) * (g + mg1 + math.Abs(xh[j])*mgx)
					tol := (sq+4)*u*mag + u*(abs32(di0[k])+abs32(diw[k]))
					if d := math.Abs(float64(dig[k] - diw[k])); d > tol {
						t.Fatalf("dinp %v [%d,%d]: %v, want %v", s, i, j, dig[k], diw[k])
					}
				}
			}
			sr := math.Sqrt(float64(rows))
			for j := range cols {
				var mw1, mb1 float64
				for i := range rows {
					xh := (float64(x[i*cols+j]) - float64(mg[i])) * float64(sg[i])
					mw1 += math.Abs(xh * float64(dout[i*cols+j]))
					mb1 += abs32(dout[i*cols+j])
				}
				if d := math.Abs(float64(dwg[j] - dww[j])); d > (sr+3)*u*(mw1+abs32(dw0[j])) {
					t.Fatalf("dweight %v [%d]: %v, want %v", s, j, dwg[j], dww[j])
				}
				if d := math.Abs(float64(dbg[j] - dbw[j])); d > (sr+1)*u*(mb1+abs32(db0[j])) {
					t.Fatalf("dbias %v [%d]: %v, want %v", s, j, dbg[j], dbw[j])
				}
			}
		}
	})
}

// TestLayerNormGradient: central differences of Σ dout⊙LayerNorm(x) with
// respect to x, weight and bias (float64 reference forward).
func TestLayerNormGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(49, 50))
	rows, cols := 2, 6
	x := randSlice(r, rows*cols, -2, 2)
	w := randSlice(r, cols, 0.5, 1.5)
	b := randSlice(r, cols, -1, 1)
	dout := randSlice(r, rows*cols, -1, 1)
	f := func(x, w, b []float32) float64 {
		o := make([]float32, rows*cols)
		layerNormRef(o, nil, nil, x, w, b, rows, cols, 1e-5)
		var s float64
		for i := range o {
			s += float64(o[i]) * float64(dout[i])
		}
		return s
	}
	mean, rstd := make([]float32, rows), make([]float32, rows)
	out := make([]float32, rows*cols)
	LayerNorm(out, mean, rstd, x, w, b, rows, cols, 1e-5)
	dx, dw, db := make([]float32, rows*cols), make([]float32, cols), make([]float32, cols)
	LayerNormBackward(dx, dw, db, dout, x, w, mean, rstd, rows, cols)
	const h = 1e-2
	fd := func(v []float32, i int) float64 {
		old := v[i]
		v[i] = old + h
		fp := f(x, w, b)
		v[i] = old - h
		fm := f(x, w, b)
		v[i] = old
		return (fp - fm) / (2 * h)
	}
	for i := range x {
		if n := fd(x, i); math.Abs(n-float64(dx[i])) > 2e-3 {
			t.Errorf("dinp[%d] = %v, numeric %v", i, dx[i], n)
		}
	}
	for j := range w {
		if n := fd(w, j); math.Abs(n-float64(dw[j])) > 2e-3 {
			t.Errorf("dweight[%d] = %v, numeric %v", j, dw[j], n)
		}
		if n := fd(b, j); math.Abs(n-float64(db[j])) > 2e-3 {
			t.Errorf("dbias[%d] = %v, numeric %v", j, db[j], n)
		}
	}
}

func TestAdamW(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	forEachPath(t, func(t *testing.T, p path) {
		for _, n := range vecLens {
			pg := guarded(n)
			copy(pg, randSlice(r, n, -1, 1))
			g := randSlice(r, n, -1, 1)
			mg, vg := guarded(n), guarded(n)
			copy(mg, randSlice(r, n, -0.1, 0.1))
			copy(vg, randSlice(r, n, 0, 0.01))
			dec := make([]uint8, n)
			for i := range dec {
				dec[i] = uint8(i % 2)
			}
			pw, mw, vw := append([]float32(nil), pg...), append([]float32(nil), mg...), append([]float32(nil), vg...)
			p0 := append([]float32(nil), pg...)
			const lr, b1, b2, eps, wd = 1e-3, 0.9, 0.95, 1e-8, 0.1
			for step := 1; step <= 3; step++ {
				AdamW(pg, g, mg, vg, dec, lr, b1, b2, eps, wd, step)
				adamWRef(pw, g, mw, vw, dec, lr, b1, b2, eps, wd, step)
			}
			checkGuard(t, "params", pg)
			checkGuard(t, "m", mg)
			checkGuard(t, "v", vg)
			// Per step: m and v within 3 roundings of their terms; the
			// update direction within ~8 roundings; p within one rounding
			// plus that: over 3 steps, 3·(u|p| + 10u·lr·(|dir| + wd|p|)),
			// with |dir| ≤ ~1/(1−β₁ᵗ)·|m|/√v ≤ a few for these inputs —
			// bounded here by the step size times 10.
			for i := range pg {
				tolP := 3 * u * (abs32(p0[i]) + 10*lr*(10+wd*abs32(p0[i])))
				if d := math.Abs(float64(pg[i] - pw[i])); d > tolP {
					t.Fatalf("AdamW n=%d params[%d]: %v, want %v", n, i, pg[i], pw[i])
				}
				if d := math.Abs(float64(mg[i] - mw[i])); d > 3*3*u*(abs32(mw[i])+abs32(g[i])) {
					t.Fatalf("AdamW m[%d]: %v, want %v", i, mg[i], mw[i])
				}
				if d := math.Abs(float64(vg[i] - vw[i])); d > 3*3*u*(abs32(vw[i])+abs32(g[i]*g[i])) {
					t.Fatalf("AdamW v[%d]: %v, want %v", i, vg[i], vw[i])
				}
			}
		}
	})
}

// TestLayerNormBackwardSum: LayerNormBackwardSum leaves dinp, dweight and
// dbias exactly as LayerNormBackward does, and its column sums of the
// updated dinp are within the bound of their summation order: each block's
// partial sum adds at most lnBlock terms, and the blocks' partials are added
// one after another to dsum, so every term passes through at most
// lnBlock + blocks roundings of a sum no larger than Σ|terms|.
func TestLayerNormBackwardSum(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	forEachPath(t, func(t *testing.T, p path) {
		for _, s := range append(rowShapes, [2]int{1000, 40}, [2]int{2048, 64}) {
			rows, cols := s[0], s[1]
			x := randSlice(r, rows*cols, -3, 5)
			w := randSlice(r, cols, 0.5, 1.5)
			dout := randSlice(r, rows*cols, -1, 1)
			mean, rstd := make([]float32, rows), make([]float32, rows)
			LayerNorm(make([]float32, rows*cols), mean, rstd, x, w, nil, rows, cols, 1e-5)
			di0, dw0, db0, ds0 := randSlice(r, rows*cols, -1, 1), randSlice(r, cols, -1, 1), randSlice(r, cols, -1, 1), randSlice(r, cols, -1, 1)
			di1, dw1, db1 := append([]float32(nil), di0...), append([]float32(nil), dw0...), append([]float32(nil), db0...)
			di2, dw2, db2, ds := guarded(rows*cols), guarded(cols), guarded(cols), guarded(cols)
			copy(di2, di0)
			copy(dw2, dw0)
			copy(db2, db0)
			copy(ds, ds0)
			LayerNormBackward(di1, dw1, db1, dout, x, w, mean, rstd, rows, cols)
			LayerNormBackwardSum(di2, dw2, db2, ds, dout, x, w, mean, rstd, rows, cols)
			for _, c := range []struct {
				name      string
				got, want []float32
			}{{"dinp", di2, di1}, {"dweight", dw2, dw1}, {"dbias", db2, db1}} {
				checkGuard(t, c.name, c.got)
				for i := range c.want {
					if c.got[i] != c.want[i] {
						t.Fatalf("%v %s[%d] = %v, LayerNormBackward gives %v", s, c.name, i, c.got[i], c.want[i])
					}
				}
			}
			checkGuard(t, "dsum", ds)
			blocks := (rows + lnBlock - 1) / lnBlock
			for j := range cols {
				want, mag := float64(ds0[j]), abs32(ds0[j])
				for i := range rows {
					want += float64(di2[i*cols+j])
					mag += abs32(di2[i*cols+j])
				}
				if d := math.Abs(float64(ds[j]) - want); d > float64(lnBlock+blocks)*u*mag {
					t.Fatalf("%v dsum[%d] = %v, want %v", s, j, ds[j], want)
				}
			}
		}
	})
}
