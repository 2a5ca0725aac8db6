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
	if g := rowGrain(cols); rows > g {
		Parallel(rows, g, func(lo, hi int) { softmaxRows(dst, src, cols, lo, hi) })
		return
	}
	softmaxRows(dst, src, cols, 0, rows)
}

func softmaxRows(dst, src []float32, cols, lo, hi int) {
	for r := lo; r < hi; r++ {
		softmaxRow(dst[r*cols:(r+1)*cols], src[r*cols:(r+1)*cols])
	}
}

func softmaxRow(dst, src []float32) {
	if len(src) == 0 {
		return
	}
	mx := rowMax(src)
	s := rowExpSum(dst, src, mx)
	scale(1/s, dst) // not Scale: a row stays on its goroutine, allocation-free
}

// LogSoftmax writes the row-wise log-softmax of src (rows×cols) to dst:
// dst[r,j] = (src[r,j] − max_r) − log Σₖ e^(src[r,k]−max_r). dst may alias
// src.
func LogSoftmax(dst, src []float32, rows, cols int) {
	checkRows("LogSoftmax", rows, cols, len(dst), len(src))
	if g := rowGrain(cols); rows > g {
		Parallel(rows, g, func(lo, hi int) { logSoftmaxRows(dst, src, cols, lo, hi) })
		return
	}
	logSoftmaxRows(dst, src, cols, 0, rows)
}

func logSoftmaxRows(dst, src []float32, cols, lo, hi int) {
	for r := lo; r < hi; r++ {
		logSoftmaxRow(dst[r*cols:(r+1)*cols], src[r*cols:(r+1)*cols])
	}
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

// The row operations below run small problems directly and create the
// closure for Parallel only on the parallel path, so small calls (one
// decoding step) allocate nothing; a large call allocates one closure,
// which its work dwarfs.

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
