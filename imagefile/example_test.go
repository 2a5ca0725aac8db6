package imagefile_test

import (
	"bytes"
	"fmt"

	"github.com/autoreg/autoreg/imagefile"
)

// A PNG keeps its ancillary chunks through a round trip: the pixels and
// the metadata come back, the compressed bytes need not.
func ExamplePNG() {
	im, _ := imagefile.NewImage(2, 1, 1, 255)
	im.Pix[0], im.Pix[1] = 10, 200
	p, _ := imagefile.NewPNG(im)
	p.Chunks = []imagefile.Chunk{{Type: "tEXt", Data: []byte("Title\x00two pixels"), Place: imagefile.AfterIDAT}}
	var buf bytes.Buffer
	if err := p.Encode(&buf, 9); err != nil {
		fmt.Println(err)
		return
	}
	q, err := imagefile.DecodePNG(buf.Bytes())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(q.Width, q.Height, q.BitDepth, q.Pix, q.Chunks[0].Type, string(q.Chunks[0].Data[6:]))
	// Output: 2 1 8 [10 200] tEXt two pixels
}

// A decoding bomb is refused before its pixels are allocated.
func ExampleDecodePNM() {
	_, err := imagefile.DecodePNM([]byte("P5\n100000 100000\n255\n\x00"))
	fmt.Println(err)
	// Output: imagefile: pnm: 100000 × 100000 × 1 samples: more than 268435456
}
