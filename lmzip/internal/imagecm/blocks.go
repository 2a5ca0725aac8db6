package imagecm

// Enlarged images. An image enlarged by repeating every pixel in fx × fy
// blocks (nearest-neighbour upscaling) holds no more information than the
// image of its blocks, but a predictor over causal neighbours sees the
// repetition as an alternation of exact copies and real changes, which
// its error-weighted blend cannot tell apart. The coder therefore codes
// the image of the blocks and the factors instead.

// MaxBlock is the largest block side Blocks looks for.
const MaxBlock = 8

// Blocks returns the largest factors fx, fy ≤ MaxBlock such that im is made
// of fx × fy blocks of one pixel each (1, 1 if it is not enlarged). A
// factor must divide the side.
func Blocks(im *Image) (fx, fy int) {
	W, H, C := im.Width, im.Height, im.Channels
	pix := im.Pix
	fx, fy = 1, 1
	for f := 2; f <= MaxBlock; f++ {
		if W%f == 0 && repeatsX(pix, W, H, C, f) {
			fx = f
		}
		if H%f == 0 && repeatsY(pix, W, H, C, f) {
			fy = f
		}
	}
	return fx, fy
}

// repeatsX reports whether every pixel equals the first of its run of f
// in its row.
func repeatsX(pix []uint16, W, H, C, f int) bool {
	for y := range H {
		row := pix[y*W*C : (y+1)*W*C]
		for x := 0; x < W; x += f {
			first := row[x*C : (x+1)*C]
			for k := 1; k < f; k++ {
				o := (x + k) * C
				for c := range C {
					if row[o+c] != first[c] {
						return false
					}
				}
			}
		}
	}
	return true
}

// repeatsY reports whether every row equals the first of its run of f.
func repeatsY(pix []uint16, W, H, C, f int) bool {
	n := W * C
	for y := 0; y < H; y += f {
		first := pix[y*n : (y+1)*n]
		for k := 1; k < f; k++ {
			row := pix[(y+k)*n : (y+k+1)*n]
			for i, v := range row {
				if v != first[i] {
					return false
				}
			}
		}
	}
	return true
}

// Shrink returns the image of im's fx × fy blocks (the top-left pixel of
// each block).
func Shrink(im *Image, fx, fy int) *Image {
	W, H, C := im.Width/fx, im.Height/fy, im.Channels
	s := &Image{Width: W, Height: H, Channels: C, MaxVal: im.MaxVal, Pix: make([]uint16, W*H*C)}
	for y := range H {
		src := im.Pix[y*fy*im.Width*C:]
		dst := s.Pix[y*W*C : (y+1)*W*C]
		for x := range W {
			copy(dst[x*C:(x+1)*C], src[x*fx*C:(x*fx+1)*C])
		}
	}
	return s
}

// Enlarge writes into im (its shape set, Pix of its length) the image s
// with every pixel repeated in fx × fy blocks; s is im's shape divided by
// the factors.
func Enlarge(im, s *Image, fx, fy int) {
	W, C := im.Width, im.Channels
	n := W * C
	for y := range s.Height {
		row := im.Pix[y*fy*n : (y*fy+1)*n]
		for x := range s.Width {
			px := s.Pix[(y*s.Width+x)*C : (y*s.Width+x+1)*C]
			for k := range fx {
				copy(row[(x*fx+k)*C:], px)
			}
		}
		for k := 1; k < fy; k++ {
			copy(im.Pix[(y*fy+k)*n:(y*fy+k+1)*n], row)
		}
	}
}
