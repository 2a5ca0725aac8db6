package kernels

// attentionRef is the float64 specification of AttentionForward and
// AttentionBackward: plain loops over one (sequence, head) pair at a time,
// the full T×T score matrix with the causal mask. It returns the output
// (B,T,C), the probabilities (B,NH,T,T) and, given dout, the gradient with
// respect to qkv (B,T,3C).
func attentionRef(qkv, dout []float32, B, T, C, NH int) (out, att, dqkv []float64) {
	// The causal mask: position t sees keys 0..t. q, k and v are the
	// three thirds of each row of qkv.
	causal := func(b, t int) int { return t + 1 }
	out, att, dq, dk, dv := attendRef(qkv, 3*C, qkv[C:], qkv[2*C:], 3*C, causal, dout, B, T, T, C, NH)
	if dout == nil {
		return out, att, nil
	}
	dqkv = make([]float64, B*T*3*C)
	for i := range B * T {
		for part, d := range [][]float64{dq, dk, dv} {
			copy(dqkv[i*3*C+part*C:i*3*C+(part+1)*C], d[i*3*C:i*3*C+C])
		}
	}
	return out, att, dqkv
}
