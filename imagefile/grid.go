package imagefile

import (
	"errors"
	"fmt"
)

// Grid lays images out in rows of cols cells, left to right and top to
// bottom, gap pixels apart and around, on a background of sample value bg
// (every channel). Every cell is as large as the largest image; smaller
// images sit in their cell's top-left corner. The images must agree in
// channels and maximum value.
func Grid(ims []*Image, cols, gap int, bg uint16) (*Image, error) {
	if len(ims) == 0 {
		return nil, errors.New("imagefile: grid of no images")
	}
	if cols < 1 || gap < 0 {
		return nil, fmt.Errorf("imagefile: grid of %d columns, gap %d", cols, gap)
	}
	C, maxVal := ims[0].Channels, ims[0].MaxVal
	cw, ch := 0, 0
	for i, im := range ims {
		if im.Channels != C || im.MaxVal != maxVal {
			return nil, fmt.Errorf("imagefile: grid: image %d has %d channels and maximum %d, image 0 %d and %d", i, im.Channels, im.MaxVal, C, maxVal)
		}
		cw, ch = max(cw, im.Width), max(ch, im.Height)
	}
	cols = min(cols, len(ims))
	rows := (len(ims) + cols - 1) / cols
	out, err := NewImage(gap+cols*(cw+gap), gap+rows*(ch+gap), C, maxVal)
	if err != nil {
		return nil, err
	}
	for i := range out.Pix {
		out.Pix[i] = min(bg, uint16(maxVal))
	}
	for i, im := range ims {
		x0, y0 := gap+(i%cols)*(cw+gap), gap+(i/cols)*(ch+gap)
		for y := range im.Height {
			dst := out.Pix[((y0+y)*out.Width+x0)*C:]
			copy(dst[:im.Width*C], im.Pix[y*im.Width*C:(y+1)*im.Width*C])
		}
	}
	return out, nil
}
