package rnn

import (
	"fmt"
	"math/rand/v2"

	"github.com/autoreg/autoreg/internal/fused"
	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/nn"
	"github.com/autoreg/autoreg/tensor"
)

// Stack is the recurrent layers of a model, between its input vectors and
// its output layer: L LSTM or GRU layers, dropout on each layer's output
// in training. It is the one implementation of the family's recurrence:
// a Model and a RealModel are a Stack with an input and an output stage,
// and other families build on it (package vae's encoder is two Stacks,
// one reading each sequence backwards, and its decoder a third), each
// declaring its stacks' weights in its own arena.
//
// A Stack's Config gives the cell, the layers, the width H, the dropout,
// and in Embed the width of the first layer's input vectors (0 means H).
type Stack struct {
	cfg    Config
	layers []layer
}

type layer struct {
	wx  tensor.View // (G·H, In)
	wh  tensor.View // (G·H, H)
	b   tensor.View // (G·H): input-side bias
	bhn tensor.View // GRU only: (H), the hidden-side bias of the n gate
}

// NewStack declares the weights of the layers of cfg in b, named
// prefix+"l0.wx" and so on (W of the input side, U of the hidden side,
// the bias, and the GRU's hidden-side n-gate bias), each layer's in that
// order.
func NewStack(b *tensor.Builder, prefix string, cfg Config) (*Stack, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	return declareStack(b, prefix, cfg), nil
}

func declareStack(b *tensor.Builder, prefix string, cfg Config) *Stack {
	H, G := cfg.Hidden, cfg.gates()
	s := &Stack{cfg: cfg}
	in := cfg.embed()
	for l := range cfg.Layers {
		p := fmt.Sprintf("%sl%d.", prefix, l)
		ly := layer{
			wx: b.Add(p+"wx", true, G*H, in),
			wh: b.Add(p+"wh", true, G*H, H),
			b:  b.Add(p+"b", false, G*H),
		}
		if cfg.Cell == GRU {
			ly.bhn = b.Add(p+"bhn", false, H)
		}
		s.layers = append(s.layers, ly)
		in = H
	}
	return s
}

// Config returns the stack's configuration (Embed: its input width).
func (s *Stack) Config() Config { return s.cfg }

// In is the width of the first layer's input vectors.
func (s *Stack) In() int { return s.cfg.embed() }

// StateLen is the length of a sequence's recurrent state: h (H) of every
// layer, then for LSTM c (H) of every layer. A batch's state (the carry of
// Forward) is laid out h of layer 0 (B,H), h of layer 1, …, then c of
// layer 0 (B,H), c of layer 1, ….
func (s *Stack) StateLen() int {
	n := s.cfg.Layers * s.cfg.Hidden
	if s.cfg.Cell == LSTM {
		n *= 2
	}
	return n
}

// SetForgetBias sets every LSTM layer's forget-gate bias to 1 (Jozefowicz
// et al. 2015: early gradients flow through the cell); a GRU has none.
func (s *Stack) SetForgetBias(a *tensor.Arena) {
	if s.cfg.Cell != LSTM {
		return
	}
	H := s.cfg.Hidden
	for _, l := range s.layers {
		tensor.Fill(l.b.Data(a)[H:2*H], 1)
	}
}

// FLOPsPerStep is the training arithmetic of one step of one sequence: 6
// per weight of the products.
func (s *Stack) FLOPsPerStep() float64 {
	H, G := float64(s.cfg.Hidden), float64(s.cfg.gates())
	in := float64(s.cfg.embed())
	var w float64
	for range s.cfg.Layers {
		w += G*H*in + G*H*H
		in = H
	}
	return 6 * w
}

// Training activations, time-major: row t·B + b is sequence b at step t,
// so the rows of one step are contiguous for the recurrent GEMMs.

type layerActs struct {
	xg    []float32 // (T,B,G·H) W·x + b; LSTM: then the gate activations
	gates []float32 // GRU: (T,B,3H) activations [r z n]
	hg    []float32 // GRU: (T,B,3H) U·h' + [0 0 b_hn]
	hs    []float32 // (T+1,B,H): hs[0] is the initial state
	cs    []float32 // LSTM: (T+1,B,H)
	tanhC []float32 // LSTM: (T,B,H)
	out   []float32 // (T,B,H) hs[1:] after dropout
	mask  []float32 // (T,B,H) dropout factors
}

// StackActs holds a Stack's activations of one batch, kept from Forward
// for Backward, and the scratch of both passes. Its zero value is ready;
// it grows to the batch shape of each Forward and keeps its memory.
type StackActs struct {
	B, T    int
	dropout bool
	given   bool      // the first layer's pre-activations were given (Gates0)
	inputs  []float32 // Forward's inputs (T,B,In), for the first layer's weight gradient
	layers  []layerActs
	// Gradient scratch.
	dH, dIn  []float32       // (N,H), (N,max(In,H))
	dG, dhg  []float32       // (N,max(G·H,In))
	dhn, dcn []float32       // (B,H)
	dcp      []float32       // (B,H)
	colTmp   []float32       // (G·H)
	packU    kernels.PackedB // U of the current layer, packed for the step products
}

// Prepare sizes acts for B sequences of T steps.
func (s *Stack) Prepare(acts *StackActs, B, T int) {
	if acts.B == B && acts.T == T && len(acts.layers) == s.cfg.Layers {
		return
	}
	H, E, G, N := s.cfg.Hidden, s.cfg.embed(), s.cfg.gates(), B*T
	g := tensor.Grow
	acts.B, acts.T = B, T
	if len(acts.layers) != s.cfg.Layers {
		acts.layers = make([]layerActs, s.cfg.Layers)
	}
	for l := range acts.layers {
		a := &acts.layers[l]
		g(&a.xg, N*G*H)
		g(&a.hs, (T+1)*B*H)
		if s.cfg.Cell == LSTM {
			g(&a.cs, (T+1)*B*H)
			g(&a.tanhC, N*H)
		} else {
			g(&a.gates, N*G*H)
			g(&a.hg, N*G*H)
		}
		g(&a.out, N*H)
		g(&a.mask, N*H)
	}
	g(&acts.dH, N*H)
	g(&acts.dIn, N*max(E, H))
	g(&acts.dG, N*max(G*H, E))
	g(&acts.dhg, N*G*H)
	g(&acts.dhn, B*H)
	g(&acts.dcn, B*H)
	g(&acts.dcp, B*H)
	g(&acts.colTmp, G*H)
}

// Gates0 returns the first layer's input-side pre-activations W·x + b
// (T,B,G·H) of the batch Prepare sized: a caller that computes them
// itself (through a table of token rows, say) fills them and passes a nil
// input to Forward.
func (acts *StackActs) Gates0() []float32 { return acts.layers[0].xg }

// Out returns the top layer's output after dropout (T,B,H) of the last
// Forward.
func (acts *StackActs) Out() []float32 { return acts.layers[len(acts.layers)-1].out }

// H returns layer l's hidden states (T+1,B,H) of the last Forward: row
// block 0 is the initial state, block t the state after step t (before
// dropout).
func (acts *StackActs) H(l int) []float32 { return acts.layers[l].hs }

// Forward runs the layers over B sequences of T input vectors in (T,B,In)
// time-major, starting from the state in carry (laid out as StateLen
// says, B rows per block) and leaving the final state there, and returns
// the top layer's output after dropout (T,B,H), owned by acts. A nil in
// means the caller filled acts.Gates0 (after Prepare). rng drives the
// dropout on every layer's output (nil: none).
func (s *Stack) Forward(a *tensor.Arena, acts *StackActs, in, carry []float32, B, T int, rng *rand.Rand) []float32 {
	s.Prepare(acts, B, T)
	H, G, L, N := s.cfg.Hidden, s.cfg.gates(), s.cfg.Layers, B*T
	if len(carry) != B*s.StateLen() || (in != nil && len(in) < N*s.In()) {
		panic(fmt.Sprintf("rnn: Stack.Forward: B=%d T=%d with %d inputs and a carry of %d", B, T, len(in), len(carry)))
	}
	p := s.cfg.Dropout
	acts.dropout = rng != nil && p > 0
	acts.given, acts.inputs = in == nil, in
	inW := s.In()
	for l := range s.layers {
		w, la := &s.layers[l], &acts.layers[l]
		if !(l == 0 && acts.given) {
			nn.LinearForward(la.xg, in, w.wx.Data(a), w.b.Data(a), N, inW, G*H)
		}
		ch := carry[l*B*H : (l+1)*B*H]
		copy(la.hs[:B*H], ch)
		// The step products h·Uᵀ multiply by U packed once per Forward
		// (Sgemm would pack its right operand again at every step).
		pu := &acts.packU
		pu.Pack(true, H, G*H, w.wh.Data(a), H)
		if s.cfg.Cell == LSTM {
			cc := carry[(L+l)*B*H : (L+l+1)*B*H]
			copy(la.cs[:B*H], cc)
			for t := range T {
				g := la.xg[t*B*G*H : (t+1)*B*G*H]
				kernels.SgemmPacked(false, B, 1, la.hs[t*B*H:], H, pu, 1, g, G*H)
				nn.LSTMCellForward(la.hs[(t+1)*B*H:(t+2)*B*H], la.cs[(t+1)*B*H:(t+2)*B*H],
					la.tanhC[t*B*H:(t+1)*B*H], g, la.cs[t*B*H:(t+1)*B*H], B, H)
			}
			copy(cc, la.cs[T*B*H:])
		} else {
			bhn := w.bhn.Data(a)
			for t := range T {
				hg := la.hg[t*B*G*H : (t+1)*B*G*H]
				kernels.SgemmPacked(false, B, 1, la.hs[t*B*H:], H, pu, 0, hg, G*H)
				for b := range B {
					kernels.Axpy(1, bhn, hg[b*G*H+2*H:b*G*H+3*H])
				}
				nn.GRUCellForward(la.hs[(t+1)*B*H:(t+2)*B*H], la.gates[t*B*G*H:(t+1)*B*G*H],
					la.xg[t*B*G*H:(t+1)*B*G*H], hg, la.hs[t*B*H:(t+1)*B*H], B, H)
			}
		}
		copy(ch, la.hs[T*B*H:])
		if acts.dropout {
			nn.DropoutForward(la.out, la.mask, la.hs[B*H:], p, rng)
		} else {
			copy(la.out, la.hs[B*H:])
		}
		in, inW = la.out, H
	}
	return in
}

// Backward accumulates the gradients of the layers' weights given dOut,
// the gradient of the top layer's output after dropout (T,B,H), through
// time within the batch, and returns the gradient of the inputs (T,B,In),
// owned by acts — or, when Forward's inputs were given as Gates0, the
// gradient of those pre-activations (T,B,G·H), for the caller to take
// further. With dCarry (B·StateLen, laid out as the carry) it also writes
// there the gradient of the initial state; without, the initial state is
// a constant (truncated backpropagation through time).
func (s *Stack) Backward(a *tensor.Arena, acts *StackActs, dOut, dCarry []float32) []float32 {
	B, T := acts.B, acts.T
	H, E, G, L, N := s.cfg.Hidden, s.cfg.embed(), s.cfg.gates(), s.cfg.Layers, B*T
	for l := L - 1; l >= 0; l-- {
		w, la := &s.layers[l], &acts.layers[l]
		// Through the output dropout: dH = gradient of hs[1:].
		if acts.dropout {
			fused.DropoutBackwardSet(acts.dH, dOut, la.mask)
		} else {
			copy(acts.dH, dOut)
		}
		in, inW := acts.inputs, E
		if l > 0 {
			in, inW = acts.layers[l-1].out, H
		}
		pu := &acts.packU
		pu.Pack(false, G*H, H, w.wh.Data(a), H)
		dG := acts.dG[:N*G*H]
		clear(acts.dhn)
		if s.cfg.Cell == LSTM {
			dcn, dcp := acts.dcn, acts.dcp
			for t := T - 1; t >= 0; t-- {
				dh := acts.dH[t*B*H : (t+1)*B*H]
				if t < T-1 {
					kernels.Axpy(1, acts.dhn, dh)
				}
				var dc []float32
				if t < T-1 {
					dc = dcn
				}
				g := dG[t*B*G*H : (t+1)*B*G*H]
				fused.LSTMCellBackwardSet(g, dcp, dh, dc, la.xg[t*B*G*H:(t+1)*B*G*H], la.cs[t*B*H:(t+1)*B*H],
					la.tanhC[t*B*H:(t+1)*B*H], B, H)
				// dh_(t−1) = dG_t·U
				kernels.SgemmPacked(false, B, 1, g, G*H, pu, 0, acts.dhn, H)
				dcn, dcp = dcp, dcn
			}
			// dU += Σ_t dG_tᵀ·h_(t−1), one GEMM over all steps.
			kernels.Sgemm(true, false, G*H, H, N, 1, dG, G*H, la.hs, H, 1, w.wh.Grad(a), H)
			if dCarry != nil {
				copy(dCarry[(L+l)*B*H:(L+l+1)*B*H], dcn) // dc_0, after the last swap
			}
		} else {
			dhg := acts.dhg[:N*G*H]
			for t := T - 1; t >= 0; t-- {
				dh := acts.dH[t*B*H : (t+1)*B*H]
				if t < T-1 {
					kernels.Axpy(1, acts.dhn, dh)
				}
				hgT := dhg[t*B*G*H : (t+1)*B*G*H]
				clear(hgT)
				clear(dG[t*B*G*H : (t+1)*B*G*H])
				clear(acts.dcp) // dh_(t−1) accumulator
				nn.GRUCellBackward(dG[t*B*G*H:(t+1)*B*G*H], hgT, acts.dcp, dh, la.gates[t*B*G*H:(t+1)*B*G*H],
					la.hg[t*B*G*H:(t+1)*B*G*H], la.hs[t*B*H:(t+1)*B*H], B, H)
				kernels.SgemmPacked(false, B, 1, hgT, G*H, pu, 1, acts.dcp, H)
				copy(acts.dhn, acts.dcp)
			}
			kernels.Sgemm(true, false, G*H, H, N, 1, dhg, G*H, la.hs, H, 1, w.wh.Grad(a), H)
			clear(acts.colTmp)
			fused.ColumnSums(acts.colTmp, dhg, N, G*H)
			kernels.Axpy(1, acts.colTmp[2*H:3*H], w.bhn.Grad(a))
		}
		if dCarry != nil {
			copy(dCarry[l*B*H:(l+1)*B*H], acts.dhn) // dh_0
		}
		if l == 0 && acts.given {
			return dG
		}
		// Input side: dW += dGᵀ·in, db += Σ dG, dIn = dG·W.
		fused.LinearBackwardSet(acts.dIn[:N*inW], w.wx.Grad(a), w.b.Grad(a), dG, in, w.wx.Data(a), N, inW, G*H)
		// Consumed into dH at the top of the next iteration, before dIn
		// is written again.
		dOut = acts.dIn[:N*inW]
	}
	return dOut
}

// StepBuf is the scratch of one step through a Stack's layers (Step);
// one per state.
type StepBuf struct {
	x     []float32 // (max(In,H)) current layer input
	g, hg []float32 // (G·H)
	gates []float32 // GRU: (3H) activations
	hnew  []float32 // (H)
}

// NewStepBuf returns the scratch of Step.
func (s *Stack) NewStepBuf() StepBuf {
	H, E, G := s.cfg.Hidden, s.cfg.embed(), s.cfg.gates()
	return StepBuf{x: make([]float32, max(E, H)), g: make([]float32, G*H), hg: make([]float32, G*H),
		gates: make([]float32, G*H), hnew: make([]float32, H)}
}

// Step runs one step of one sequence through the layers, the inference
// path of a State: in (len In) is the first layer's input, h and c
// (L,H) the sequence's state (c unused by a GRU), updated in place. It
// allocates nothing. Its results equal Forward's with B = 1 up to the
// kernels' rounding (other summation orders).
func (s *Stack) Step(a *tensor.Arena, sc *StepBuf, h, c, in []float32) {
	H, G := s.cfg.Hidden, s.cfg.gates()
	for l := range s.layers {
		w := &s.layers[l]
		h, c := h[l*H:(l+1)*H], c[l*H:(l+1)*H]
		nn.LinearForward(sc.g, in, w.wx.Data(a), w.b.Data(a), 1, len(in), G*H)
		if s.cfg.Cell == LSTM {
			kernels.Sgemm(false, true, 1, G*H, H, 1, h, H, w.wh.Data(a), H, 1, sc.g, G*H)
			nn.LSTMCellForward(h, c, sc.hnew, sc.g, c, 1, H)
		} else {
			kernels.Sgemm(false, true, 1, G*H, H, 1, h, H, w.wh.Data(a), H, 0, sc.hg, G*H)
			kernels.Axpy(1, w.bhn.Data(a), sc.hg[2*H:3*H])
			nn.GRUCellForward(h, sc.gates, sc.g, sc.hg, h, 1, H)
		}
		in = sc.x[:H]
		copy(in, h)
	}
}
