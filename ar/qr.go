package ar

import (
	"errors"
	"math"
)

// lsq is a least-squares problem min ‖y − Xβ‖ reduced by Householder QR:
// X (rows × cols) and y are stored column-major in a, y as the last column,
// and factorized in place. Because the columns are processed left to right,
// the reduction also solves every leading sub-problem (the first c columns
// of X) at once: the R of the first c columns is the leading c×c block of
// R, and the residual sum of squares of the c-column fit is the sum of the
// squares of (Qᵀy)[c:]. Order selection over nested lag sets needs one
// factorization, not one per order.
type lsq struct {
	rows, cols int
	a          []float64 // (cols+1) columns of rows values; Qᵀ[X y] after factor
	tail       []float64 // tail[c] = Σ_{i ≥ c} (Qᵀy)_i², the RSS of the c-column fit
}

// newLSQ allocates a problem of the given shape; fill the columns with
// col(j) (j = cols is y), then call factor.
func newLSQ(rows, cols int) *lsq {
	return &lsq{rows: rows, cols: cols, a: make([]float64, (cols+1)*rows)}
}

func (q *lsq) col(j int) []float64 { return q.a[j*q.rows : (j+1)*q.rows] }

// errSingular reports linearly dependent regressors.
var errSingular = errors.New("ar: the regressors are linearly dependent (a constant stretch of data, or too few points for the order)")

// factor reduces [X y] by Householder reflections: column j's reflector
// zeroes it below the diagonal and is applied to every column right of it,
// y included.
func (q *lsq) factor() error {
	n := q.rows
	if n < q.cols {
		return errSingular
	}
	var maxDiag float64
	for j := range q.cols {
		x := q.col(j)[j:]
		norm := math.Sqrt(dot(x, x))
		if norm == 0 {
			return errSingular
		}
		// v = x + sign(x0)‖x‖e0, stored in place of x; the reflected
		// column becomes (−sign(x0)‖x‖, 0, …).
		alpha := -math.Copysign(norm, x[0])
		x[0] -= alpha
		vv := dot(x, x)
		for l := j + 1; l <= q.cols; l++ {
			c := q.col(l)[j:]
			axpy(-2*dot(x, c)/vv, x, c)
		}
		clear(x[1:])
		x[0] = alpha
		maxDiag = math.Max(maxDiag, math.Abs(alpha))
		if math.Abs(alpha) <= 1e-13*maxDiag {
			return errSingular
		}
	}
	qty := q.col(q.cols)
	q.tail = make([]float64, q.cols+1)
	var s float64
	for i := n - 1; i >= q.cols; i-- {
		s += qty[i] * qty[i]
	}
	q.tail[q.cols] = s
	for c := q.cols - 1; c >= 0; c-- {
		q.tail[c] = q.tail[c+1] + qty[c]*qty[c]
	}
	return nil
}

// rss is the residual sum of squares of the fit on the first c columns.
func (q *lsq) rss(c int) float64 { return q.tail[c] }

// solve returns the coefficients of the fit on the first c columns, by back
// substitution in the leading c×c block of R.
func (q *lsq) solve(c int) []float64 {
	qty := q.col(q.cols)
	beta := make([]float64, c)
	for i := c - 1; i >= 0; i-- {
		s := qty[i]
		for j := i + 1; j < c; j++ {
			s -= q.col(j)[i] * beta[j]
		}
		beta[i] = s / q.col(i)[i]
	}
	return beta
}

// dot is Σ x_i y_i in four independent partial sums, so the loop is not
// bound by the latency of one chain of additions.
func dot(x, y []float64) float64 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy is y += a·x.
func axpy(a float64, x, y []float64) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += a * v
	}
}
