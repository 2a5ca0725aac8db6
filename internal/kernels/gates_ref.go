package kernels

import "math"

func sig64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func lstmCellRef(h, c, tanhC, gates, cPrev []float32, rows, H int) {
	for r := range rows {
		g := gates[r*4*H : (r+1)*4*H]
		for j := range H {
			i := sig64(float64(g[j]))
			f := sig64(float64(g[H+j]))
			gg := math.Tanh(float64(g[2*H+j]))
			o := sig64(float64(g[3*H+j]))
			cv := f*float64(cPrev[r*H+j]) + i*gg
			tc := math.Tanh(cv)
			g[j], g[H+j], g[2*H+j], g[3*H+j] = float32(i), float32(f), float32(gg), float32(o)
			c[r*H+j], tanhC[r*H+j], h[r*H+j] = float32(cv), float32(tc), float32(o*tc)
		}
	}
}

func lstmCellBackwardRef(dgates, dcPrev, dh, dc, gates, cPrev, tanhC []float32, rows, H int) {
	for r := range rows {
		for j := range H {
			k := r*H + j
			i, f := float64(gates[r*4*H+j]), float64(gates[r*4*H+H+j])
			gg, o := float64(gates[r*4*H+2*H+j]), float64(gates[r*4*H+3*H+j])
			tc, dhv := float64(tanhC[k]), float64(dh[k])
			d := dhv * o * (1 - tc*tc)
			if dc != nil {
				d += float64(dc[k])
			}
			add := func(p *float32, v float64) { *p = float32(float64(*p) + v) }
			add(&dgates[r*4*H+j], d*gg*i*(1-i))
			add(&dgates[r*4*H+H+j], d*float64(cPrev[k])*f*(1-f))
			add(&dgates[r*4*H+2*H+j], d*i*(1-gg*gg))
			add(&dgates[r*4*H+3*H+j], dhv*tc*o*(1-o))
			add(&dcPrev[k], d*f)
		}
	}
}

func gruCellRef(h, gates, xg, hg, hPrev []float32, rows, H int) {
	for r := range rows {
		for j := range H {
			b := r * 3 * H
			rv := sig64(float64(xg[b+j]) + float64(hg[b+j]))
			z := sig64(float64(xg[b+H+j]) + float64(hg[b+H+j]))
			n := math.Tanh(float64(xg[b+2*H+j]) + rv*float64(hg[b+2*H+j]))
			gates[b+j], gates[b+H+j], gates[b+2*H+j] = float32(rv), float32(z), float32(n)
			h[r*H+j] = float32((1-z)*n + z*float64(hPrev[r*H+j]))
		}
	}
}

func gruCellBackwardRef(dxg, dhg, dhPrev, dh, gates, hg, hPrev []float32, rows, H int) {
	for r := range rows {
		for j := range H {
			b := r * 3 * H
			rv, z, n := float64(gates[b+j]), float64(gates[b+H+j]), float64(gates[b+2*H+j])
			d := float64(dh[r*H+j])
			dn := d * (1 - z) * (1 - n*n)
			dz := d * (float64(hPrev[r*H+j]) - n) * z * (1 - z)
			dr := dn * float64(hg[b+2*H+j]) * rv * (1 - rv)
			add := func(p *float32, v float64) { *p = float32(float64(*p) + v) }
			add(&dxg[b+j], dr)
			add(&dxg[b+H+j], dz)
			add(&dxg[b+2*H+j], dn)
			add(&dhg[b+j], dr)
			add(&dhg[b+H+j], dz)
			add(&dhg[b+2*H+j], dn*rv)
			add(&dhPrev[r*H+j], d*z)
		}
	}
}
