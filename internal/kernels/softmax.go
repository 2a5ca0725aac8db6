package kernels

import (
	"fmt"
	"math"
)

func checkRows(fn string, rows, cols int, lens ...int) {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("kernels: %s: negative shape %d×%d", fn, rows, cols))
	}
	for _, l := range lens {
		if l < rows*cols {
			panic(fmt.Sprintf("kernels: %s: slice of length %d < %d×%d", fn, l, rows, cols))
		}
	}
}

// rowGrain is the number of rows of width cols per parallel chunk: about
// 32K elements, so small problems stay on one goroutine.
func rowGrain(cols int) int { return max(1, (1<<15)/max(1, cols)) }

// Softmax writes the row-wise softmax of src (rows×cols) to dst:
// dst[r,j] = e^(src[r,j]−max_r) / Σₖ e^(src[r,k]−max_r). dst may alias src.
// Rows are spread over the worker pool; each row's arithmetic is fixed, so
// the result does not depend on GOMAXPROCS.
func Softmax(dst, src []float32, rows, cols int) {
	checkRows("Softmax", rows, cols, len(dst), len(src))
	rowsPar(rows, cols, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			softmaxRow(dst[r*cols:(r+1)*cols], src[r*cols:(r+1)*cols])
		}
	})
}

func softmaxRow(dst, src []float32) {
	if len(src) == 0 {
		return
	}
	mx := rowMax(src)
	s := rowExpSum(dst, src, mx)
	Scale(1/s, dst)
}

// LogSoftmax writes the row-wise log-softmax of src (rows×cols) to dst:
// dst[r,j] = (src[r,j] − max_r) − log Σₖ e^(src[r,k]−max_r). dst may alias
// src.
func LogSoftmax(dst, src []float32, rows, cols int) {
	checkRows("LogSoftmax", rows, cols, len(dst), len(src))
	rowsPar(rows, cols, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			logSoftmaxRow(dst[r*cols:(r+1)*cols], src[r*cols:(r+1)*cols])
		}
	})
}

func logSoftmaxRow(dst, src []float32) {
	if len(src) == 0 {
		return
	}
	mx := rowMax(src)
	// The exponentials go to a stack buffer, not dst, so that the result
	// is the same whether or not dst aliases src.
	s := rowExpSumNoStore(src, mx)
	ls := float32(math.Log(float64(s)))
	for j, x := range src {
		dst[j] = (x - mx) - ls
	}
}

// rowsPar runs fn over row ranges, in parallel when the problem is large.
// Callers pass closures; those allocate only on the parallel path, where
// the work dwarfs one allocation.
func rowsPar(rows, cols int, fn func(lo, hi int)) {
	Parallel(rows, rowGrain(cols), fn)
}

// Row leaves with a per-path implementation.

func rowMax(x []float32) float32 {
	switch {
	case useAVX512:
		return maxAVX512(x)
	case useAVX2:
		return maxAVX2(x)
	}
	return maxGeneric(x)
}

// rowExpSum sets dst[i] = e^(src[i]−shift) and returns their sum.
func rowExpSum(dst, src []float32, shift float32) float32 {
	switch {
	case useAVX512:
		return expSumAVX512(dst, src, shift)
	case useAVX2:
		return expSumAVX2(dst, src, shift)
	}
	return expSumGeneric(dst, src, shift)
}

// rowExpSumNoStore returns Σ e^(src[i]−shift) without storing the terms, in
// the same order as rowExpSum.
func rowExpSumNoStore(src []float32, shift float32) float32 {
	var buf [256]float32
	var total float32
	for i := 0; i < len(src); i += len(buf) {
		chunk := src[i:min(i+len(buf), len(src))]
		total += rowExpSum(buf[:len(chunk)], chunk, shift)
	}
	return total
}
