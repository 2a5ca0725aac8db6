package kernels

import "math"

func adamWRef(params, grads, m, v []float32, decay []uint8, lr, beta1, beta2, eps, weightDecay float32, step int) {
	b1, b2 := float64(beta1), float64(beta2)
	c1 := 1 - math.Pow(b1, float64(step))
	c2 := 1 - math.Pow(b2, float64(step))
	for i := range params {
		g := float64(grads[i])
		mi := b1*float64(m[i]) + (1-b1)*g
		vi := b2*float64(v[i]) + (1-b2)*g*g
		m[i], v[i] = float32(mi), float32(vi)
		u := (mi / c1) / (math.Sqrt(vi/c2) + float64(eps))
		if decay[i] != 0 {
			u += float64(weightDecay) * float64(params[i])
		}
		params[i] = float32(float64(params[i]) - float64(lr)*u)
	}
}
