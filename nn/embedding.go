package nn

import (
	"fmt"

	"github.com/autoreg/autoreg/internal/fused"
	"github.com/autoreg/autoreg/internal/kernels"
)

// EmbeddingForward looks up one row of table per id.
//
//	out   (N,C)
//	ids   (N)    each in [0, V)
//	table (V,C)
func EmbeddingForward(out []float32, ids []int32, table []float32, N, C int) {
	fused.ForRows(N, C, func(lo, hi int) {
		for i, id := range ids[lo:hi] {
			r := lo + i
			copy(out[r*C:(r+1)*C], table[int(id)*C:int(id+1)*C])
		}
	})
}

// EmbeddingBackward accumulates dtable[ids[i]] += dout[i] for every row.
// Workers split the columns and every column adds its rows in row order
// (a deterministic scatter-add, the same for any GOMAXPROCS).
func EmbeddingBackward(dtable, dout []float32, ids []int32, N, C int) {
	cols := func(lo, hi int) {
		for i, id := range ids[:N] {
			kernels.Axpy(1, dout[i*C+lo:i*C+hi], dtable[int(id)*C+lo:int(id)*C+hi])
		}
	}
	if N*C <= fused.ElemGrain || C < 128 {
		cols(0, C)
		return
	}
	kernels.Parallel(C, 64, cols)
}

// EncoderForward is GPT-2's input layer: token embedding plus learned
// position embedding, for B sequences of T tokens starting at position 0.
//
//	out (B,T,C)
//	ids (B,T)
//	wte (V,C)
//	wpe (maxT,C), T ≤ maxT
func EncoderForward(out []float32, ids []int32, wte, wpe []float32, B, T, C int) {
	if len(wpe) < T*C {
		panic(fmt.Sprintf("nn: EncoderForward: %d positions, table holds %d", T, len(wpe)/max(C, 1)))
	}
	rows := func(lo, hi int) {
		for r := lo; r < hi; r++ {
			t := r % T
			kernels.Add(out[r*C:(r+1)*C], wte[int(ids[r])*C:][:C], wpe[t*C:(t+1)*C])
		}
	}
	if B*T*C <= fused.ElemGrain {
		rows(0, B*T)
		return
	}
	kernels.Parallel(B*T, max(1, fused.ElemGrain/max(C, 1)), rows)
}

// EncoderBackward accumulates the gradients of EncoderForward into dwte
// (V,C) and dwpe (maxT,C). Workers split the columns in fixed strips of
// encStrip; every column sums its rows in (b,t) order (vector adds along
// the strip), so the result does not depend on GOMAXPROCS.
func EncoderBackward(dwte, dwpe, dout []float32, ids []int32, B, T, C int) {
	cols := func(lo, hi int) {
		for b := range B {
			for t := range T {
				r := b*T + t
				d := dout[r*C+lo : r*C+hi]
				kernels.Axpy(1, d, dwte[int(ids[r])*C+lo:int(ids[r])*C+hi])
				kernels.Axpy(1, d, dwpe[t*C+lo:t*C+hi])
			}
		}
	}
	if B*T*C <= fused.ElemGrain || C < 2*encStrip {
		cols(0, C)
		return
	}
	kernels.Parallel(C, encStrip, cols)
}

// encStrip is EncoderBackward's column strip: whole vectors for the adds,
// several strips per worker for balance.
const encStrip = 64
