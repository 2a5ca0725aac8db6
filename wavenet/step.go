package wavenet

import (
	"fmt"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/nn"
)

// Step advances many states by one token each (autoreg.Stepper): every
// layer's convolution and residual product, and the output layers, run
// as one batched product over the states' rows (kernels.GemvPackedRows,
// which reads each packed weight once per group of rows and gives every
// row the bits of the one-row kernels.GemvPacked that Append uses); the
// gated units, the control codes' biases and the residual additions run
// row by row with the very calls of Append. So a state gets exactly the
// bits Append would give it, whatever else shares the step. The next
// token's logits are computed in the same pass. Exact states take their
// token alone.
func (m *Model) Step(states []autoreg.State, xs []autoreg.Token) {
	if len(states) != len(xs) {
		panic(fmt.Sprintf("wavenet: Step: %d states, %d tokens", len(states), len(xs)))
	}
	b, _ := m.steps.Get().(*stepBatch)
	if b == nil {
		b = &stepBatch{}
	}
	defer m.steps.Put(b)
	rows := b.ss[:0]
	for i, st := range states {
		s, ok := st.(*State)
		if !ok || s.m != m {
			panic("wavenet: Step: a state of another model")
		}
		x := xs[i]
		s.next.CheckToken("Step", x)
		if s.exact {
			s.Append(x)
			continue
		}
		for _, o := range rows {
			if o == s {
				panic("wavenet: Step: the same state twice")
			}
		}
		rows = append(rows, s)
		b.xs = append(b.xs[:len(rows)-1], x)
	}
	b.ss = rows
	if len(rows) > 0 {
		b.run(m)
	}
	clear(b.ss) // drop the states: the pool outlives them
	b.ss, b.xs = b.ss[:0], b.xs[:0]
}

// stepBatch is the scratch of one Step: the rows' concatenated
// convolution inputs, gate pre-activations, gated outputs, residual
// products, skip and output activations.
type stepBatch struct {
	ss                      []*State
	xs                      []autoreg.Token
	cat, z, u, tmp, skip, h []float32
}

func grow(b *[]float32, n int) []float32 {
	if cap(*b) < n {
		*b = make([]float32, n)
	}
	return (*b)[:n]
}

// run steps the rows b.ss by the tokens b.xs.
func (b *stepBatch) run(m *Model) {
	a := m.arena
	n := len(b.ss)
	R, D, L, S, O, V := m.cfg.Residual, m.cfg.Gate, m.cfg.Depth(), m.cfg.Skip, m.cfg.out(), m.V
	p := m.packed()
	cat, z, tmp := grow(&b.cat, n*2*R), grow(&b.z, n*2*D), grow(&b.tmp, n*R)
	emb := m.emb.Data(a)
	for i, s := range b.ss {
		x := b.xs[i]
		if k := m.control(x); k >= 0 {
			s.ctl = k
		}
		copy(s.r, emb[int(x)*R:int(x+1)*R])
	}
	for l := range L {
		w := &m.layers[l]
		d := m.cfg.Dilation(l)
		for i, s := range b.ss {
			slot := s.queue[p.queueOff[l]+(s.n&(d-1))*R:][:R]
			row := cat[i*2*R : (i+1)*2*R]
			copy(row[:R], slot)
			copy(row[R:], s.r)
			copy(slot, s.r)
		}
		kernels.GemvPackedRows(n, z, 2*D, cat, 2*R, 2*R, w.bias.Data(a), &p.conv[l], 0, 0, 2*D)
		for i, s := range b.ss {
			zi := z[i*2*D : (i+1)*2*D]
			if w.cond.Len > 0 {
				kernels.Axpy(1, w.cond.Data(a)[s.ctl*2*D:(s.ctl+1)*2*D], zi)
			}
			nn.GatedForward(s.u[l*D:(l+1)*D], s.act, zi, 1, D)
		}
		if l < L-1 {
			u := grow(&b.u, n*D)
			for i, s := range b.ss {
				copy(u[i*D:(i+1)*D], s.u[l*D:(l+1)*D])
			}
			kernels.GemvPackedRows(n, tmp, R, u, D, D, w.resb.Data(a), &p.res[l], 0, 0, R)
			for i, s := range b.ss {
				kernels.Add(s.r, s.r, tmp[i*R:(i+1)*R])
			}
		}
	}
	// The output layers, for every row at once.
	u, skip, h := grow(&b.u, n*L*D), grow(&b.skip, n*S), grow(&b.h, n*O)
	for i, s := range b.ss {
		copy(u[i*L*D:(i+1)*L*D], s.u)
		s.n++
	}
	kernels.GemvPackedRows(n, skip, S, u, L*D, L*D, m.skipb.Data(a), &p.skip, 0, 0, S)
	relu(skip)
	kernels.GemvPackedRows(n, h, O, skip, S, S, m.out1b.Data(a), &p.out1, 0, 0, O)
	relu(h)
	logits := grow(&b.z, n*V) // z is no longer needed
	kernels.GemvPackedRows(n, logits, V, h, O, O, m.out2b.Data(a), &p.out2, 0, 0, V)
	for i, s := range b.ss {
		copy(s.next.Logits, logits[i*V:(i+1)*V])
		s.next.SetLogits()
	}
}
