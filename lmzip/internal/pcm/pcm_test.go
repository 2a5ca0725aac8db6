package pcm

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/autoreg/autoreg/arith"
	"github.com/autoreg/autoreg/internal/testutil"
	"github.com/autoreg/autoreg/wavfile"
)

func roundTrip(t testing.TB, f Format, level int, samples []int32) []byte {
	t.Helper()
	enc, err := NewEncoder(f, level)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	ae := arith.NewEncoder(&buf)
	enc.Encode(ae, samples)
	if err := ae.Close(); err != nil {
		t.Fatal(err)
	}
	dec, _ := NewDecoder(f, level)
	got := make([]int32, len(samples))
	dec.Decode(arith.NewDecoder(bytes.NewReader(buf.Bytes())), got)
	if i := firstDiff(got, samples); i >= 0 {
		t.Fatalf("%+v level %d: sample %d decodes as %d, was %d", f, level, i, got[i], samples[i])
	}
	return buf.Bytes()
}

func firstDiff(a, b []int32) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// Synthetic signals of every width and channel count come back exactly:
// silence, full-scale noise, square waves at the range's ends, a sine.
func TestRoundTripSynthetic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, bits := range []int{8, 12, 16, 20, 24} {
		for _, ch := range []int{1, 2, 3} {
			f := Format{Channels: ch, Bits: bits, Rate: 8000 * ch}
			lo, hi := int32(-1)<<(bits-1), int32(1)<<(bits-1)-1
			n := 3000 * ch
			s := make([]int32, n)
			for range n {
				s = append(s, lo+int32(rng.Int64N(int64(hi)-int64(lo)+1)))
			}
			for i := range n {
				if (i/37)%2 == 0 {
					s = append(s, hi)
				} else {
					s = append(s, lo)
				}
			}
			for i := range n {
				s = append(s, int32(float64(hi)*0.9*math.Sin(float64(i)*0.05)))
			}
			roundTrip(t, f, 1, s)
		}
	}
}

// The shared clips round-trip, and the adaptive coder beats WavPack -hh
// -x6 (the data README's 9.683 and 9.799 bits per sample) by at least 1%.
func TestSharedClips(t *testing.T) {
	for _, c := range []struct {
		name    string
		wavpack float64
	}{{"speech-8k.wav", 9.683}, {"music-44k.wav", 9.799}} {
		wf, err := wavfile.ReadFile(testutil.SharedFile(t, "data/audio/"+c.name))
		if err != nil {
			t.Fatal(err)
		}
		ints, _ := wf.Ints(nil)
		f := Format{Channels: wf.Format.Channels, Bits: 16, Rate: wf.Format.SampleRate}
		start := time.Now()
		b := roundTrip(t, f, 1, ints)
		bps := 8 * float64(len(b)) / float64(len(ints))
		t.Logf("%s: %d bytes, %.4f bits/sample (WavPack %.3f, %.2f%% smaller), round trip in %v", c.name, len(b), bps, c.wavpack,
			100*(1-bps/c.wavpack), time.Since(start).Round(time.Millisecond))
		if bps > 0.99*c.wavpack {
			t.Errorf("%s: %.4f bits/sample, not 1%% below WavPack's %.3f", c.name, bps, c.wavpack)
		}
	}
}
