package kernels

import "math"

// attentionKVRef is the float64 specification of AttentionKVForward and
// AttentionKVBackward: plain loops over one (sequence, head) pair at a
// time, scores over the real keys only. It returns the output (B,Tq,C),
// the probabilities (B,NH,Tq,Tk) and, given dout, the gradients with
// respect to q, k and v in their layouts (row strides ldq and ldkv; only
// the head columns are set).
func attentionKVRef(q []float32, ldq int, k, v []float32, ldkv int, klen []int32, dout []float32, B, Tq, Tk, C, NH int) (out, att, dq, dk, dv []float64) {
	keys := func(b, t int) int {
		if klen != nil {
			return int(klen[b])
		}
		return Tk
	}
	return attendRef(q, ldq, k, v, ldkv, keys, dout, B, Tq, Tk, C, NH)
}

// attendRef is the attention both specifications share: query t of
// sequence b attends to that sequence's first keys(b, t) keys.
func attendRef(q []float32, ldq int, k, v []float32, ldkv int, keys func(b, t int) int, dout []float32, B, Tq, Tk, C, NH int) (out, att, dq, dk, dv []float64) {
	hs := C / NH
	scale := 1 / math.Sqrt(float64(hs))
	out = make([]float64, B*Tq*C)
	att = make([]float64, B*NH*Tq*Tk)
	dq = make([]float64, max(0, (B*Tq-1)*ldq+C))
	dk = make([]float64, max(0, (B*Tk-1)*ldkv+C))
	dv = make([]float64, len(dk))
	qi := func(b, t, h, c int) int { return (b*Tq+t)*ldq + h*hs + c }
	ki := func(b, s, h, c int) int { return (b*Tk+s)*ldkv + h*hs + c }
	for b := range B {
		for h := range NH {
			P := att[(b*NH+h)*Tq*Tk : (b*NH+h+1)*Tq*Tk]
			for t := range Tq {
				L := keys(b, t)
				mx := math.Inf(-1)
				for s := range L {
					var d float64
					for c := range hs {
						d += float64(q[qi(b, t, h, c)]) * float64(k[ki(b, s, h, c)])
					}
					P[t*Tk+s] = d * scale
					mx = math.Max(mx, P[t*Tk+s])
				}
				var sum float64
				for s := range L {
					P[t*Tk+s] = math.Exp(P[t*Tk+s] - mx)
					sum += P[t*Tk+s]
				}
				for s := range L {
					P[t*Tk+s] /= sum
					for c := range hs {
						out[(b*Tq+t)*C+h*hs+c] += P[t*Tk+s] * float64(v[ki(b, s, h, c)])
					}
				}
			}
			if dout == nil {
				continue
			}
			for t := range Tq {
				L := keys(b, t)
				dy := func(c int) float64 { return float64(dout[(b*Tq+t)*C+h*hs+c]) }
				dP := make([]float64, L)
				var dot float64
				for s := range L {
					for c := range hs {
						dP[s] += dy(c) * float64(v[ki(b, s, h, c)])
					}
					dot += P[t*Tk+s] * dP[s]
				}
				for s := range L {
					dS := P[t*Tk+s] * (dP[s] - dot) * scale
					for c := range hs {
						dq[qi(b, t, h, c)] += dS * float64(k[ki(b, s, h, c)])
						dk[ki(b, s, h, c)] += dS * float64(q[qi(b, t, h, c)])
						dv[ki(b, s, h, c)] += P[t*Tk+s] * dy(c)
					}
				}
			}
		}
	}
	return out, att, dq, dk, dv
}
