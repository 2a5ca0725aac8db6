package wavfile

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the reader: nothing may panic, and
// whatever decodes must encode back to exactly the bytes it came from and
// give its samples.
func FuzzDecode(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("testdata", "*.wav"))
	for _, n := range names {
		if b, err := os.ReadFile(n); err == nil && len(b) < 4096 {
			f.Add(b)
		}
	}
	f.Add(wavBytes(-1, "fmt ", fmt16, "LIST", "abc", "data", "\x01\x02"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if f, off, n, err := Layout(data); err == nil && (f.Check() != nil || off < 12 || off > int64(len(data)) || n < 0) {
			t.Fatalf("Layout: %+v at %d, %d bytes", f, off, n)
		}
		wf, err := Decode(data)
		if err != nil {
			return
		}
		out, err := wf.Encode()
		if err != nil || !bytes.Equal(out, data) {
			t.Fatalf("decoded file does not encode back (%v)", err)
		}
		xs := wf.Floats(nil)
		if len(xs) != wf.Frames()*wf.Format.Channels {
			t.Fatalf("%d samples for %d frames of %d channels", len(xs), wf.Frames(), wf.Format.Channels)
		}
		if wf.Format.Encoding != Float {
			if _, err := wf.Ints(nil); err != nil {
				t.Fatal(err)
			}
		}
	})
}
