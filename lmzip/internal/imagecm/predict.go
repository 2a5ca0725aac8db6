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
	pix := im.Pix
	i := (y*W+x)*C + c // this sample
	row := W * C
	switch {
	case y == 0 && x == 0:
		mid := int32(im.MaxVal+1) / 2
		*nb = neighbours{mid, mid, mid, mid, mid, mid, mid, 0, 0, 0}
	case y == 0:
		w := int32(pix[i-C])
		nb.n, nb.w, nb.nw, nb.ne, nb.nn, nb.nne, nb.ww = w, w, w, w, w, w, w
		if x > 1 {
			nb.ww = int32(pix[i-2*C])
		}
	default:
		nb.n = int32(pix[i-row])
		nb.w, nb.nw = nb.n, nb.n
		if x > 0 {
			nb.w, nb.nw = int32(pix[i-C]), int32(pix[i-row-C])
		}
		nb.ne = nb.n
		if x < W-1 {
			nb.ne = int32(pix[i-row+C])
		}
		nb.nn, nb.nne = nb.n, nb.ne
		if y > 1 {
			nb.nn = int32(pix[i-2*row])
			nb.nne = nb.nn
			if x < W-1 {
				nb.nne = int32(pix[i-2*row+C])
			}
		}
		nb.ww = nb.w
		if x > 1 {
			nb.ww = int32(pix[i-2*C])
		}
	}
	if c == 0 {
		return
	}
	// The previous channel (r = c−1, one sample back).
	nb.vr = int32(pix[i-1])
	nb.wr, nb.nr = nb.vr, nb.vr
	switch {
	case x > 0:
		nb.wr = int32(pix[i-C-1])
	case y > 0:
		nb.wr = int32(pix[i-row-1])
	}
	if y > 0 {
		nb.nr = int32(pix[i-row-1])
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

// recipSq[e] = 2^32 / (e+1)² (2^32 − 1 for e = 0): the weight of a
// predictor whose error sum is e, errors past maxErr counting as maxErr (a
// weight that small is as good as nothing; the table stays in cache).
var recipSq = func() []uint32 {
	t := make([]uint32, maxErr+1)
	for e := range uint64(len(t)) {
		t[e] = uint32(min((1<<32)/((e+1)*(e+1)), 1<<32-1))
	}
	return t
}()

const maxErr = 4095

// zeroErrs are the error records of a neighbour outside the image.
var zeroErrs [nPred]uint32

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
	// Each predictor's errors around the sample, in one pass over the six
	// neighbours' records (a missing neighbour reads zeros).
	C, W := m.im.Channels, m.im.Width
	i := x*C + c
	zero := &zeroErrs
	eW, eWW, eN0, eNW, eNE, eNN0 := zero, zero, zero, zero, zero, zero
	if x > 0 {
		eW = &erow[i-C]
		if x > 1 {
			eWW = &erow[i-2*C]
		}
	}
	if y > 0 {
		eN0 = &eN[i]
		if x > 0 {
			eNW = &eN[i-C]
		}
		if x < W-1 {
			eNE = &eN[i+C]
		}
		if y > 1 {
			eNN0 = &eNN[i]
		}
	}
	var e [nPred]uint32
	if m.pairs && c > 0 {
		// Colour in column pairs: the neighbours in the same column
		// parity (WW, N, NN, NWW) tell how the predictors do at this
		// place in a pair; W, weighted as before, how they do nearby.
		eNWW := zero
		if y > 0 && x > 1 {
			eNWW = &eN[i-2*C]
		}
		for k := range e {
			e[k] = 2*(eWW[k]+eN0[k]+eW[k]) + eNN0[k] + eNWW[k]
		}
	} else {
		for k := range e {
			e[k] = 2*(eW[k]+eN0[k]) + eWW[k] + eNW[k] + eNE[k] + eNN0[k]
		}
	}
	var sw, swp int64
	s.emin = 1 << 62
	for k := range p {
		if c == 0 && k >= 8 && k <= 10 {
			continue
		}
		ek := e[k] >> m.eshift
		wk := int64(recipSq[min(ek, maxErr)])
		sw += wk
		swp += wk * int64(p[k])
		s.emin = min(s.emin, uint64(ek))
	}
	pred := int32((swp + sw/2) / sw)
	tex := above(n, pred)<<5 | above(w, pred)<<4 | above(nw, pred)<<3 | above(ne, pred)<<2 | above(nn, pred)<<1 | above(ww, pred)
	q := 0
	for t := s.emin; t > 8 && q < 15; t >>= 1 {
		q++
	}
	s.tex, s.q = tex, q
	s.bctx = (tex*16+q)*m.nc + s.c
	if cnt := m.biasCnt[s.bctx]; cnt > 0 {
		pred += m.biasSum[s.bctx] / cnt
	}
	s.pred = pred
	s.pr = min(max((pred+4)>>3, 0), int32(m.im.MaxVal))
	s.frac = int(pred+4) & 7
}

// above is 1 if v lies above the prediction pred (×8), else 0.
func above(v, pred int32) int {
	if v*8 > pred {
		return 1
	}
	return 0
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
