package pcm

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

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

// The start of each shared clip round-trips at both levels and codes to
// no more bits than it did when the levels were tuned (the whole clips,
// against FLAC and WavPack, are scripts/bench-audio.sh's and
// BenchmarkSharedClips').
func TestSharedClips(t *testing.T) {
	for _, c := range []struct {
		name    string
		seconds int
		bits    [2]float64 // levels 1 and 2
	}{{"speech-8k.wav", 8, [2]float64{9.3545, 9.3374}}, {"music-44k.wav", 2, [2]float64{9.2749, 9.2529}}} {
		ints, f := clip(t, c.name, c.seconds)
		for level := 1; level <= 2; level++ {
			b := roundTrip(t, f, level, ints)
			bps := 8 * float64(len(b)) / float64(len(ints))
			t.Logf("%s, first %d s, level %d: %.4f bits/sample", c.name, c.seconds, level, bps)
			if bps > c.bits[level-1]+0.001 {
				t.Errorf("%s, first %d s, level %d: %.4f bits/sample, was %.4f", c.name, c.seconds, level, bps, c.bits[level-1])
			}
		}
	}
}

// clip returns the samples of the first seconds of a shared clip (all of
// it if seconds is 0) and their format.
func clip(t testing.TB, name string, seconds int) ([]int32, Format) {
	wf, err := wavfile.ReadFile(testutil.SharedFile(t, "data/audio/"+name))
	if err != nil {
		t.Fatal(err)
	}
	ints, _ := wf.Ints(nil)
	f := Format{Channels: wf.Format.Channels, Bits: 16, Rate: wf.Format.SampleRate}
	if n := seconds * f.Rate * f.Channels; seconds > 0 && n < len(ints) {
		ints = ints[:n]
	}
	return ints, f
}
