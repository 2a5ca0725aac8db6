package kernels

// The portable path: a 4×4 register tile in plain Go (sixteen scalar
// accumulators fit the sixteen SSE registers amd64 Go code may use) and
// unrolled matrix-vector leaves.
var gemmGeneric = &gemmImpl{
	name: "generic", mr: 4, nr: 4, kc: 256, mc: 64, nc: 1024,
	kernel: kernel4x4Generic,
	gemvN:  gemvNGeneric,
	gemvT:  gemvTGeneric,

	gemvPanels: gemvPanelsGeneric,
}

func kernel4x4Generic(kc int, ap, bp, c []float32, ldc int, alpha, beta float32) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	ap = ap[:4*kc]
	bp = bp[:4*kc]
	for p := 0; p < len(ap); p += 4 {
		a := ap[p : p+4 : p+4]
		b := bp[p : p+4 : p+4]
		a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	store4(c[0:4:4], c00, c01, c02, c03, alpha, beta)
	store4(c[ldc:ldc+4:ldc+4], c10, c11, c12, c13, alpha, beta)
	store4(c[2*ldc:2*ldc+4:2*ldc+4], c20, c21, c22, c23, alpha, beta)
	store4(c[3*ldc:3*ldc+4:3*ldc+4], c30, c31, c32, c33, alpha, beta)
}

func store4(c []float32, v0, v1, v2, v3, alpha, beta float32) {
	if beta == 0 {
		c[0], c[1], c[2], c[3] = alpha*v0, alpha*v1, alpha*v2, alpha*v3
		return
	}
	c[0] = alpha*v0 + beta*c[0]
	c[1] = alpha*v1 + beta*c[1]
	c[2] = alpha*v2 + beta*c[2]
	c[3] = alpha*v3 + beta*c[3]
}

// gemvNGeneric: y[j] = alpha*Σₚ x[p]*B[p*ldb+j] + beta*y[j]. It walks B
// row by row (streaming memory in order) in column blocks of 64 whose
// partial sums stay in a small stack array.
func gemvNGeneric(x, b []float32, ldb int, y []float32, alpha, beta float32) {
	const w = 64
	var acc [w]float32
	n := len(y)
	for j0 := 0; j0 < n; j0 += w {
		cw := min(w, n-j0)
		s := acc[:cw]
		clear(s)
		p := 0
		for ; p+4 <= len(x); p += 4 {
			x0, x1, x2, x3 := x[p], x[p+1], x[p+2], x[p+3]
			r0 := b[p*ldb+j0:][:cw]
			r1 := b[(p+1)*ldb+j0:][:cw]
			r2 := b[(p+2)*ldb+j0:][:cw]
			r3 := b[(p+3)*ldb+j0:][:cw]
			for j := range s {
				s[j] += x0*r0[j] + x1*r1[j] + x2*r2[j] + x3*r3[j]
			}
		}
		for ; p < len(x); p++ {
			xp := x[p]
			r := b[p*ldb+j0:][:cw]
			for j := range s {
				s[j] += xp * r[j]
			}
		}
		yy := y[j0 : j0+cw]
		for j, v := range s {
			if beta == 0 {
				yy[j] = alpha * v
			} else {
				yy[j] = alpha*v + beta*yy[j]
			}
		}
	}
}

// gemvTGeneric: y[j] = alpha*Σₚ x[p]*B[j*ldb+p] + beta*y[j]: one dot
// product per row of B.
func gemvTGeneric(x, b []float32, ldb int, y []float32, alpha, beta float32) {
	for j := range y {
		d := dotGeneric(x, b[j*ldb:j*ldb+len(x)])
		if beta == 0 {
			y[j] = alpha * d
		} else {
			y[j] = alpha*d + beta*y[j]
		}
	}
}
