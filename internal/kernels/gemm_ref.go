package kernels

// sgemmRef is the specification of Sgemm: a triple loop accumulating in
// float64, rounded to float32 once per element. beta == 0 ignores C.
func sgemmRef(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := range m {
		for j := range n {
			var s float64
			for p := range k {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			r := float64(alpha) * s
			if beta != 0 {
				r += float64(beta) * float64(c[i*ldc+j])
			}
			c[i*ldc+j] = float32(r)
		}
	}
}
