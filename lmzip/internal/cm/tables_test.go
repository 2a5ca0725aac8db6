package cm

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/tables.golden")

// TestTablesGolden pins the numeric tables (exp, squash, stretch) by hash:
// every adaptive and static file's probabilities go through them.
func TestTablesGolden(t *testing.T) {
	InitTables()
	h := sha256.New()
	binary.Write(h, binary.LittleEndian, expWhole)
	binary.Write(h, binary.LittleEndian, expMid)
	binary.Write(h, binary.LittleEndian, expLow)
	binary.Write(h, binary.LittleEndian, squashTab)
	binary.Write(h, binary.LittleEndian, stretchTab)
	got := hex.EncodeToString(h.Sum(nil))
	path := filepath.Join("testdata", "tables.golden")
	if *update {
		os.WriteFile(path, []byte(got+"\n"), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != strings.TrimSpace(string(want)) {
		t.Fatalf("numeric tables hash %s, golden %s", got, want)
	}
}

func TestExpTable(t *testing.T) {
	InitTables()
	for _, y := range []float64{0, 1e-5, 0.001, 0.5, 1, 2.5, 10, 20, 40, 47.9} {
		got := float64(ExpNegQ16(int64(y*65536))) / (1 << 32)
		want := math.Exp(-float64(int64(y*65536)) / 65536)
		if math.Abs(got-want) > 1e-9*math.Max(1, want*1e3) {
			t.Errorf("exp(-%g) = %.12g, want %.12g", y, got, want)
		}
	}
	for x := int32(-2047); x <= 2047; x += 7 {
		want := 65536 / (1 + math.Exp(-float64(x)/256))
		if got := float64(Squash(x)); math.Abs(got-want) > 1 {
			t.Errorf("Squash(%d) = %g, want %g", x, got, want)
		}
	}
	for p := uint32(1); p < 4095; p++ {
		x := Stretch(p)
		if d := math.Abs(float64(Squash(x))/16 - float64(p)); d > 4 && p > 16 && p < 4080 {
			t.Errorf("Squash(Stretch(%d)) = %g", p, float64(Squash(x))/16)
		}
	}
}
