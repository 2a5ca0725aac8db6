package imagecm

// nPred is the number of predictors; the three cross-channel ones (8, 9,
// 10) apply from the second channel on.
const nPred = 12

// neighbours are a sample's causal neighbours in its channel, and for the
// channels after the first the previous channel at this pixel (vr) and at
// its W and N neighbours. Outside the image a neighbour takes the value of
// the nearest causal one (the first sample takes the middle of the range).
type neighbours struct {
	n, w, nw, ne, nn, ww, nne int32
	vr, wr, nr                int32
}

func (nb *neighbours) load(im *Image, x, y, c int) {
	W, C := im.Width, im.Channels
	at := func(xx, yy, cc int) int32 { return int32(im.Pix[(yy*W+xx)*C+cc]) }
	switch {
	case y == 0 && x == 0:
		mid := int32(im.MaxVal+1) / 2
		*nb = neighbours{mid, mid, mid, mid, mid, mid, mid, 0, 0, 0}
	case y == 0:
		w := at(x-1, 0, c)
		nb.n, nb.w, nb.nw, nb.ne, nb.nn, nb.nne, nb.ww = w, w, w, w, w, w, w
		if x > 1 {
			nb.ww = at(x-2, 0, c)
		}
	default:
		nb.n = at(x, y-1, c)
		nb.w, nb.nw = nb.n, nb.n
		if x > 0 {
			nb.w, nb.nw = at(x-1, y, c), at(x-1, y-1, c)
		}
		nb.ne = nb.n
		if x < W-1 {
			nb.ne = at(x+1, y-1, c)
		}
		nb.nn, nb.nne = nb.n, nb.ne
		if y > 1 {
			nb.nn = at(x, y-2, c)
			nb.nne = nb.nn
			if x < W-1 {
				nb.nne = at(x+1, y-2, c)
			}
		}
		nb.ww = nb.w
		if x > 1 {
			nb.ww = at(x-2, y, c)
		}
	}
	if c == 0 {
		return
	}
	r := c - 1
	nb.vr = at(x, y, r)
	nb.wr, nb.nr = nb.vr, nb.vr
	switch {
	case x > 0:
		nb.wr = at(x-1, y, r)
	case y > 0:
		nb.wr = at(x, y-1, r)
	}
	if y > 0 {
		nb.nr = at(x, y-1, r)
	} else {
		nb.nr = nb.wr
	}
}

// sample is what the coder knows of the sample being coded.
type sample struct {
	p     [nPred]int32 // the predictors (×8)
	pred  int32        // the blend, bias corrected (×8)
	pr    int32        // round(pred) clamped to the range: what the residual is taken from
	emin  uint64       // the smallest predictor error around the sample
	tex   int          // the neighbours' sides of the prediction, 6 bits
	bctx  int          // bias context
	q, q2 int          // error level (16), neighbouring residual's magnitude (4)
	qf    int          // finer error level (32), Slow only
	frac  int          // pred's fractional part: where it falls between two values
	c     int          // channel
}

// recipSq[e] = 2^32 / e² (2^32 − 1 for e = 1): the weight of a predictor
// whose error sum is e − 1.
var recipSq = func() []uint32 {
	t := make([]uint32, 1<<16+1)
	for e := uint64(1); e < uint64(len(t)); e++ {
		t[e] = uint32(min((1<<32)/(e*e), 1<<32-1))
	}
	return t
}()

// predict fills s's predictors and blends them.
func (m *model) predict(s *sample, nb *neighbours, x, y, c int, erow, eN, eNN [][nPred]uint32) {
	n, w, nw, ne, nn, ww, nne := nb.n, nb.w, nb.nw, nb.ne, nb.nn, nb.ww, nb.nne
	p := &s.p
	p[0] = w * 8
	p[1] = n * 8
	p[2] = ne * 8
	p[3] = (n + w - nw) * 8
	p[4] = (w + ne - n) * 8
	p[5] = (w + ne) * 4
	p[6] = (n + ne - nne) * 8
	p[7] = (w*2 - ww) * 8
	p[11] = (n + w) * 4
	if c > 0 {
		// The change the previous channel made at this pixel.
		p[8] = (w + nb.vr - nb.wr) * 8
		p[9] = (n + nb.vr - nb.nr) * 8
		p[10] = (n + w - nb.nr - nb.wr + 2*nb.vr) * 4
	}
	// Each predictor's errors around the sample.
	var e [nPred]uint64
	add := func(q *[nPred]uint32, wt uint64) {
		for k := range e {
			e[k] += uint64(q[k]) * wt
		}
	}
	C, W := m.im.Channels, m.im.Width
	i := x*C + c
	if x > 0 {
		add(&erow[i-C], 2)
	}
	if x > 1 {
		add(&erow[i-2*C], 1)
	}
	if y > 0 {
		add(&eN[i], 2)
		if x > 0 {
			add(&eN[i-C], 1)
		}
		if x < W-1 {
			add(&eN[i+C], 1)
		}
	}
	if y > 1 {
		add(&eNN[i], 1)
	}
	var sw, swp int64
	s.emin = 1 << 62
	for k := range p {
		if c == 0 && k >= 8 && k <= 10 {
			continue
		}
		ek := e[k] >> m.eshift
		wk := int64(recipSq[min(ek, 1<<16-1)+1])
		sw += wk
		swp += wk * int64(p[k])
		s.emin = min(s.emin, ek)
	}
	pred := int32((swp + sw/2) / sw)
	tex := 0
	for _, v := range [...]int32{n, w, nw, ne, nn, ww} {
		tex <<= 1
		if v*8 > pred {
			tex |= 1
		}
	}
	q := 0
	for t := s.emin; t > 8 && q < 15; t >>= 1 {
		q++
	}
	s.tex, s.q = tex, q
	s.bctx = (tex*16+q)*C + c
	if cnt := m.biasCnt[s.bctx]; cnt > 0 {
		pred += m.biasSum[s.bctx] / cnt
	}
	s.pred = pred
	s.pr = min(max((pred+4)>>3, 0), int32(m.im.MaxVal))
	s.frac = int(pred+4) & 7
}

// learn records the sample's value v: its predictors' errors (into errs,
// the sample's slot of the row) and its bias context's running mean.
func (m *model) learn(s *sample, v int32, errs []uint32) {
	m.biasSum[s.bctx] += v*8 - s.pred
	m.biasCnt[s.bctx]++
	if m.biasCnt[s.bctx] >= 64 {
		m.biasSum[s.bctx] /= 2
		m.biasCnt[s.bctx] /= 2
	}
	for k, pk := range s.p {
		errs[k] = uint32(abs32(pk - v*8))
	}
}
