// Package kernels is autoreg's float32 compute core: dense matrix products
// (SGEMM/SGEMV in the BLAS sense, row-major) and the vector leaves that
// neural layers spend their time in (dot, axpy, softmax, fused softmax
// cross-entropy, layer normalization, GELU, tanh, sigmoid, exp, AdamW, fused
// LSTM/GRU cell updates).
//
// The matrix product follows the GotoBLAS/BLIS design (Goto and van de Geijn,
// "Anatomy of High-Performance Matrix Multiplication", ACM TOMS 34(3), 2008;
// Van Zee and van de Geijn, "BLIS: A Framework for Rapidly Instantiating BLAS
// Functionality", ACM TOMS 41(3), 2015): operands are packed into contiguous
// panels sized for the caches, and a small register-tile micro-kernel does the
// arithmetic. The calling conventions (row-major, destination first) follow
// llm.c.
//
// Every operation has three layers, one file each:
//
//   - xxx.go: the public function, argument checks, dispatch.
//   - xxx_ref.go: a naive loop with float64 accumulation. It is the
//     specification, is always compiled, and is what the tests compare to.
//   - a portable Go path (blocked, unrolled) and, on amd64 unless built with
//     -tags noasm, AVX2+FMA and AVX-512 assembly chosen at run time from
//     golang.org/x/sys/cpu.
//
// Parallel work goes through one worker pool ([Parallel]); it splits the
// output, never a reduction, so results are bit-identical for any GOMAXPROCS.
//
// Only this package contains assembly or package unsafe. Slice-length
// mismatches are programming errors and panic with a "kernels:" message.
package kernels
