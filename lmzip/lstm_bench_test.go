package lmzip

import (
	"math"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestLSTMAlone prints the bits per byte and speed of the online LSTM on its
// own (no context mixing) over the first LSTM_N bytes of the file LSTM_TRY,
// with LSTM_H cells, horizon LSTM_T and Adam rate LSTM_LR; a tuning aid.
func TestLSTMAlone(t *testing.T) {
	f := os.Getenv("LSTM_TRY")
	if f == "" {
		t.Skip("set LSTM_TRY, LSTM_N, LSTM_H, LSTM_T, LSTM_LR")
	}
	data, err := os.ReadFile(f)
	if err != nil || len(data) < 5 {
		t.Fatalf("LSTM_TRY: %v (or fewer than 5 bytes)", err)
	}
	n, _ := strconv.Atoi(os.Getenv("LSTM_N"))
	if n > 0 && n < len(data) {
		data = data[:n]
	}
	h, _ := strconv.Atoi(os.Getenv("LSTM_H"))
	T, _ := strconv.Atoi(os.Getenv("LSTM_T"))
	lr, _ := strconv.ParseFloat(os.Getenv("LSTM_LR"), 64)
	m := newLSTM(h, T, float32(lr))
	start := time.Now()
	var bits float64
	for i, c := range data {
		p := m.tree[256+int(c)]
		bits -= math.Log2(math.Max(float64(p), 1e-9))
		m.update(c)
		if (i+1)%(len(data)/5) == 0 {
			t.Logf("%d bytes: %.4f bits/char", i+1, bits/float64(i+1))
		}
	}
	el := time.Since(start)
	t.Logf("h=%d T=%d lr=%g: %.4f bits/char, %.1f kB/s", h, T, lr, bits/float64(len(data)), float64(len(data))/el.Seconds()/1e3)
}
