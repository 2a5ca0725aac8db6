package pixelcnn

import (
	"fmt"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/nn"
)

// ScoreSequence implements autoreg.Scorer: it writes log P(xs[i] |
// history, xs[:i]) into dst[i] and leaves st conditioned on xs. The
// samples of an image from its start go through one batched pass (the
// training forward with one image), whose feature maps then become the
// state's; anything else goes sample by sample.
func (m *Model) ScoreSequence(st autoreg.State, xs []autoreg.Token, dst []float64) {
	s, ok := st.(*State)
	if !ok || s.m != m {
		panic("pixelcnn: ScoreSequence: state of another model")
	}
	if len(dst) != len(xs) {
		panic(fmt.Sprintf("pixelcnn: ScoreSequence: %d tokens, %d results", len(xs), len(dst)))
	}
	for i := 0; i < len(xs); {
		k := 0
		if s.j == 0 && !s.wantClass {
			for k < min(len(xs)-i, m.N) && int(xs[i+k]) < m.K && xs[i+k] >= 0 {
				k++
			}
		}
		if k < 2 {
			dst[i] = s.LogProb(xs[i])
			s.Append(xs[i])
			i++
			continue
		}
		s.scoreImage(xs[i:i+k], dst[i:i+k])
		i += k
	}
}

// scoreImage scores the first k samples of an image in one pass and
// leaves the state after them.
func (s *State) scoreImage(xs []autoreg.Token, dst []float64) {
	m := s.m
	if s.whole == nil {
		s.whole = &acts{}
	}
	a := s.whole
	m.grow(a, 1)
	W, Ci, K, p := m.cfg.Image.Width, m.cfg.Image.Channels, m.K, m.cfg.Channels
	a.class[0] = s.class
	s.newImage()
	for _, t := range xs {
		s.x[(s.j/Ci)*(Ci+1)+s.j%Ci] = m.level(int(t))
		s.j++
	}
	copy(a.x, s.x)
	m.forward(a)
	for i, t := range xs {
		dst[i] = nn.LogProbRow(a.logits[i*K:(i+1)*K], int(t), s.probe)
	}
	s.n += len(xs)
	if s.j == m.N {
		s.newImage()
		return
	}
	// The maps become the state's: rows up to the current one are final
	// (their vertical stack sees only the rows above), and so are the
	// pixels before the current one.
	px := s.j / Ci
	s.rowsDone, s.pixDone = px/W+1, px
	for l, la := range a.layers {
		copy(s.vpre[l][:s.rowsDone*W*2*p], la.vpre)
		if s.vout[l] != nil {
			copy(s.vout[l][:s.rowsDone*W*p], la.vout)
		}
		copy(s.hout[l][:px*p], la.hout)
	}
	s.logpAt = -1
}
