package exact

// CausalConvStep is one time step of a dilated causal convolution of
// width 2 (WaveNet's, van den Oord et al. 2016), run as Fast WaveNet runs
// it (Paine et al. 2016): the layer keeps a queue of its last d inputs,
// and slot is the entry that holds x_{t−d} (zeros before the series
// starts). The step
//
//	cat = [slot; x],  slot ← x (for step t+d),  out = Linear(w, cat) + b
//
// is exact.Linear over the concatenation, w being (len(out), 2·len(x)):
// the first len(x) columns of a row weigh x_{t−d}, the others x_t. cat
// (2·len(x)) is scratch; out may alias neither slot nor x.
func CausalConvStep(out, cat, slot, x, w, b []float32) {
	C := len(x)
	need("CausalConvStep", "slot, cat/2", C, len(slot), len(cat)/2)
	copy(cat[:C], slot)
	copy(cat[C:2*C], x)
	copy(slot, x)
	Linear(out, cat[:2*C], w, b, 1, 2*C, len(out))
}

// ReLU sets x[k] = max(x[k], 0), exact everywhere (a comparison).
func ReLU(x []float32) {
	for k, v := range x {
		x[k] = max(v, 0)
	}
}
