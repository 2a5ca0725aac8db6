package kernels

import "math"

// attentionRef is the float64 specification of AttentionForward and
// AttentionBackward: plain loops over one (sequence, head) pair at a time,
// the full T×T score matrix with the causal mask. It returns the output
// (B,T,C), the probabilities (B,NH,T,T) and, given dout, the gradient with
// respect to qkv (B,T,3C).
func attentionRef(qkv, dout []float32, B, T, C, NH int) (out, att, dqkv []float64) {
	hs := C / NH
	C3 := 3 * C
	scale := 1 / math.Sqrt(float64(hs))
	out = make([]float64, B*T*C)
	att = make([]float64, B*NH*T*T)
	dqkv = make([]float64, B*T*C3)
	at := func(b, t, part, h, c int) int { return (b*T+t)*C3 + part*C + h*hs + c }
	for b := range B {
		for h := range NH {
			P := att[(b*NH+h)*T*T : (b*NH+h+1)*T*T]
			for t := range T {
				mx := math.Inf(-1)
				for s := 0; s <= t; s++ {
					var d float64
					for c := range hs {
						d += float64(qkv[at(b, t, 0, h, c)]) * float64(qkv[at(b, s, 1, h, c)])
					}
					P[t*T+s] = d * scale
					mx = math.Max(mx, P[t*T+s])
				}
				var sum float64
				for s := 0; s <= t; s++ {
					P[t*T+s] = math.Exp(P[t*T+s] - mx)
					sum += P[t*T+s]
				}
				for s := 0; s <= t; s++ {
					P[t*T+s] /= sum
					for c := range hs {
						out[(b*T+t)*C+h*hs+c] += P[t*T+s] * float64(qkv[at(b, s, 2, h, c)])
					}
				}
			}
			if dout == nil {
				continue
			}
			for t := range T {
				dy := func(c int) float64 { return float64(dout[(b*T+t)*C+h*hs+c]) }
				dP := make([]float64, t+1)
				var dot float64
				for s := range dP {
					for c := range hs {
						dP[s] += dy(c) * float64(qkv[at(b, s, 2, h, c)])
					}
					dot += P[t*T+s] * dP[s]
				}
				for s := range dP {
					dS := P[t*T+s] * (dP[s] - dot) * scale
					for c := range hs {
						dqkv[at(b, t, 0, h, c)] += dS * float64(qkv[at(b, s, 1, h, c)])
						dqkv[at(b, s, 1, h, c)] += dS * float64(qkv[at(b, t, 0, h, c)])
						dqkv[at(b, s, 2, h, c)] += P[t*T+s] * dy(c)
					}
				}
			}
		}
	}
	return out, att, dqkv
}
