package lmzip_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/autoreg/autoreg/internal/testutil"
	"github.com/autoreg/autoreg/lmzip"
)

// BenchmarkAdaptive compresses and decompresses the whole of tiny
// Shakespeare with each adaptive architecture, reporting bits per byte and
// MB/s:
//
//	go test ./lmzip -run XXX -bench Adaptive -benchtime 3x
func BenchmarkAdaptive(b *testing.B) {
	data, err := os.ReadFile(testutil.SharedFile(b, "data/tinyshakespeare/input.txt"))
	if err != nil {
		b.Fatal(err)
	}
	for _, arch := range lmzip.AdaptiveArchs() {
		var comp []byte
		b.Run("compress/"+arch, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				var out bytes.Buffer
				if _, err := lmzip.Compress(context.Background(), &out, bytes.NewReader(data), lmzip.Options{Adaptive: arch}); err != nil {
					b.Fatal(err)
				}
				comp = out.Bytes()
			}
			b.ReportMetric(float64(len(comp)*8)/float64(len(data)), "bits/byte")
		})
		b.Run("decompress/"+arch, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				var out bytes.Buffer
				if _, err := lmzip.Decompress(context.Background(), &out, bytes.NewReader(comp), lmzip.ReaderOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStaticNgram codes tiny Shakespeare's validation part with an
// order-8 char n-gram trained on the training part.
func BenchmarkStaticNgram(b *testing.B) {
	s, valid := shakespeareNgram(b, 8)
	b.SetBytes(int64(len(valid)))
	b.ResetTimer()
	var n int64
	for i := 0; i < b.N; i++ {
		var out bytes.Buffer
		if _, err := lmzip.Compress(context.Background(), &out, bytes.NewReader(valid), lmzip.Options{Static: s}); err != nil {
			b.Fatal(err)
		}
		n = int64(out.Len())
	}
	b.ReportMetric(float64(n*8)/float64(len(valid)), "bits/byte")
}
