package pcm

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/autoreg/autoreg/arith"
	"github.com/autoreg/autoreg/internal/testutil"
	"github.com/autoreg/autoreg/wavfile"
)

// BenchmarkMusic codes and decodes the first 10 s of the music clip (44.1
// kHz stereo) on one thread, reporting the CPU time per second of audio
// as a real-time factor (×RT: seconds of audio per CPU second).
func BenchmarkMusic(b *testing.B) {
	wf, err := wavfile.ReadFile(testutil.SharedFile(b, "data/audio/music-44k.wav"))
	if err != nil {
		b.Fatal(err)
	}
	ints, _ := wf.Ints(nil)
	ints = ints[:2*441000]
	f := Format{Channels: 2, Bits: 16, Rate: 44100}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var encCPU, decCPU time.Duration
	var size int
	for range b.N {
		enc, _ := NewEncoder(f, 1)
		var buf bytes.Buffer
		ae := arith.NewEncoder(&buf)
		c0 := testutil.ThreadCPU()
		enc.Encode(ae, ints)
		ae.Close()
		c1 := testutil.ThreadCPU()
		dec, _ := NewDecoder(f, 1)
		out := make([]int32, len(ints))
		dec.Decode(arith.NewDecoder(bytes.NewReader(buf.Bytes())), out)
		c2 := testutil.ThreadCPU()
		encCPU += c1 - c0
		decCPU += c2 - c1
		size = buf.Len()
	}
	secs := 10 * float64(b.N)
	b.ReportMetric(secs/encCPU.Seconds(), "enc-xRT")
	b.ReportMetric(secs/decCPU.Seconds(), "dec-xRT")
	b.ReportMetric(8*float64(size)/float64(len(ints)), "bits/sample")
}

// BenchmarkSharedClips codes each shared clip whole at both levels and
// reports bits per sample and how far below WavPack -hh -x6 (the data
// README's 9.683 and 9.799 bits per sample, its whole file) the samples
// alone come.
func BenchmarkSharedClips(b *testing.B) {
	for _, c := range []struct {
		name    string
		wavpack float64
	}{{"speech-8k.wav", 9.683}, {"music-44k.wav", 9.799}} {
		ints, f := clip(b, c.name, 0)
		for level := 1; level <= 2; level++ {
			b.Run(fmt.Sprintf("%s/level%d", c.name, level), func(b *testing.B) {
				var n int
				for range b.N {
					n = len(roundTrip(b, f, level, ints))
				}
				bps := 8 * float64(n) / float64(len(ints))
				b.ReportMetric(bps, "bits/sample")
				b.ReportMetric(100*(1-bps/c.wavpack), "%-below-wavpack")
			})
		}
	}
}
