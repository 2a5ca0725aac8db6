package nn

import "fmt"

// EmbeddingForward looks up one row of table per id.
//
//	out   (N,C)
//	ids   (N)    each in [0, V)
//	table (V,C)
func EmbeddingForward(out []float32, ids []int32, table []float32, N, C int) {
	for i, id := range ids[:N] {
		copy(out[i*C:(i+1)*C], table[int(id)*C:int(id+1)*C])
	}
}

// EmbeddingBackward accumulates dtable[ids[i]] += dout[i] for every row, in
// row order (a deterministic scatter-add).
func EmbeddingBackward(dtable, dout []float32, ids []int32, N, C int) {
	for i, id := range ids[:N] {
		d := dtable[int(id)*C : int(id+1)*C]
		s := dout[i*C : (i+1)*C]
		for j := range d {
			d[j] += s[j]
		}
	}
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
	for b := range B {
		for t := range T {
			o := out[(b*T+t)*C : (b*T+t+1)*C]
			e := wte[int(ids[b*T+t])*C:][:C]
			p := wpe[t*C : (t+1)*C]
			for j := range o {
				o[j] = e[j] + p[j]
			}
		}
	}
}

// EncoderBackward accumulates the gradients of EncoderForward into dwte
// (V,C) and dwpe (maxT,C), in (b,t) order.
func EncoderBackward(dwte, dwpe, dout []float32, ids []int32, B, T, C int) {
	for b := range B {
		for t := range T {
			d := dout[(b*T+t)*C : (b*T+t+1)*C]
			e := dwte[int(ids[b*T+t])*C:][:C]
			p := dwpe[t*C : (t+1)*C]
			for j := range d {
				e[j] += d[j]
				p[j] += d[j]
			}
		}
	}
}
