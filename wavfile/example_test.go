package wavfile_test

import (
	"fmt"

	"github.com/autoreg/autoreg/wavfile"
)

// A file is written in one format and read back: a chunk the package does
// not know travels along unchanged.
func Example() {
	f := wavfile.Format{Encoding: wavfile.PCM, Channels: 2, SampleRate: 44100, Bits: 16}
	data, err := wavfile.EncodeInts(f, []int32{0, 0, 1000, -1000, 32767, -32768})
	if err != nil {
		panic(err)
	}
	wf, _ := wavfile.New(f, data)
	wf.Chunks = append(wf.Chunks, wavfile.Chunk{ID: "note", Data: []byte("kept")})
	b, _ := wf.Encode()

	back, err := wavfile.Decode(b)
	if err != nil {
		panic(err)
	}
	ints, _ := back.Ints(nil)
	fmt.Println(back.Format.Channels, back.Format.SampleRate, back.Frames(), ints)
	fmt.Printf("%s %q, samples at byte %d of %d\n", back.Chunks[2].ID, back.Chunks[2].Data, back.DataOffset(), len(b))
	fmt.Println(wavfile.MuLawToLinear(wavfile.LinearToMuLaw(1000)))
	// Output:
	// 2 44100 3 [0 0 1000 -1000 32767 -32768]
	// note "kept", samples at byte 44 of 68
	// 988
}
