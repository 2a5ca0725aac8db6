package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoreg/autoreg/imagefile"
)

// writeStripes writes a labelled folder of 6×6 gray images: sub-folders
// "h" (horizontal stripes) and "v" (vertical), n images each.
func writeStripes(t *testing.T, dir string, n int) {
	t.Helper()
	for _, class := range []string{"h", "v"} {
		os.MkdirAll(filepath.Join(dir, class), 0o755)
		for i := range n {
			im, _ := imagefile.NewImage(6, 6, 1, 255)
			for y := range 6 {
				for x := range 6 {
					on := (y+i)%2 == 0
					if class == "v" {
						on = (x+i)%2 == 0
					}
					if on {
						im.Set(x, y, 0, 230)
					}
				}
			}
			name := filepath.Join(dir, class, string(rune('a'+i))+".pgm")
			if i%2 == 1 {
				name = strings.TrimSuffix(name, ".pgm") + ".png"
			}
			if err := imagefile.WriteFile(name, im); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// Images end to end, for each family: train with class codes from the
// folders, resume, evaluate in nats per image, draw a grid per class and
// complete images from their top rows.
func TestImagesEndToEnd(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "stripes")
	writeStripes(t, data, 8)
	for _, arch := range [][]string{
		{"--arch", "pixelcnn", "--layers", "2", "--dim", "8"},
		{"--arch", "gpt", "--layers", "1", "--dim", "16", "--heads", "2"},
		{"--arch", "lstm", "--layers", "1", "--dim", "16"},
	} {
		out := filepath.Join(dir, arch[1]+".arm")
		args := append([]string{"train", "--tokenizer", "pixels", "--levels", "2", "--binarize", "stochastic",
			"--control-from", "parent-dir", "--data", data, "--valid-split", "0.25", "--batch", "4", "--steps", "12",
			"--eval-every", "6", "--lr", "3e-3", "--out", out}, arch...)
		code, _, errs := cli(t, args...)
		if code != 0 {
			t.Fatalf("%s: train: exit %d: %s", arch[1], code, errs)
		}
		if !strings.Contains(errs, "12 training images, 4 validation images of 6x6x1, 2 levels (stochastic binarization)") {
			t.Errorf("%s: train said %q", arch[1], errs)
		}
		code, stdout, errs := cli(t, "eval", "--model", out, "--data", data, "--json")
		if code != 0 {
			t.Fatalf("%s: eval: exit %d: %s", arch[1], code, errs)
		}
		res := jsonNumbers(t, stdout)
		if res["images"] != 16 || res["samples"] != 16*36 || !(res["nats_per_image"] > 0) ||
			res["bits_per_dim"] != res["bits_per_token"] {
			t.Errorf("%s: eval: %v", arch[1], res)
		}
		code, stdout, errs = cli(t, "eval", "--model", out, "--data", data, "--marginal", "--json")
		// Σ_c P(x|c) ≥ P(x|true class): the marginal is at most ln 2 worse.
		if m := jsonNumbers(t, stdout); code != 0 || !(m["nats_per_image"] > 0) || m["nats_per_image"] > res["nats_per_image"]+math.Ln2+1e-6 {
			t.Errorf("%s: eval --marginal: exit %d %s: %v (given the class: %v)", arch[1], code, errs, m["nats_per_image"], res["nats_per_image"])
		}
		grid := filepath.Join(dir, arch[1]+".png")
		code, stdout, errs = cli(t, "sample", "--model", out, "--count", "3", "--out", grid)
		if code != 0 || !strings.Contains(stdout, "6 image(s) of 6x6x1") {
			t.Fatalf("%s: sample: exit %d: %s %s", arch[1], code, stdout, errs)
		}
		ims, _, err := imagefile.ReadFile(grid)
		if err != nil || ims[0].Width != 2+3*8 || ims[0].Height != 2+2*8 {
			t.Fatalf("%s: grid %v: %d×%d", arch[1], err, ims[0].Width, ims[0].Height)
		}
		code, stdout, errs = cli(t, "sample", "--model", out, "--prompt-image", filepath.Join(data, "v"), "--rows", "3",
			"--count", "2", "--out", grid)
		if code != 0 || !strings.Contains(stdout, "2 image(s)") {
			t.Fatalf("%s: completion: exit %d: %s %s", arch[1], code, stdout, errs)
		}
	}
	// Resuming reads the same folder with the same binarization.
	out := filepath.Join(dir, "pixelcnn.arm")
	code, _, errs := cli(t, "train", "--resume", "--out", out, "--steps", "20")
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, errs)
	}
	// Errors name the problem.
	code, _, errs = cli(t, "train", "--tokenizer", "pixels", "--levels", "4", "--binarize", "stochastic", "--arch", "gpt",
		"--data", data, "--out", filepath.Join(dir, "x.arm"))
	if code != 2 || !strings.Contains(errs, "needs --levels 2") {
		t.Errorf("stochastic with 4 levels: exit %d: %s", code, errs)
	}
	code, _, errs = cli(t, "sample", "--model", out)
	if code != 2 || !strings.Contains(errs, "--out FILE.png is required") {
		t.Errorf("sample without --out: exit %d: %s", code, errs)
	}
}

// compress codes a PNG with the image model by default, pixel-exactly,
// at both levels; --bytes codes it as bytes.
func TestCompressImage(t *testing.T) {
	dir := t.TempDir()
	im, _ := imagefile.NewImage(40, 30, 3, 255)
	for i := range im.Pix {
		im.Pix[i] = uint16((i*7 + i/120*3) % 256)
	}
	src := filepath.Join(dir, "p.png")
	if err := imagefile.WriteFile(src, im); err != nil {
		t.Fatal(err)
	}
	for _, level := range []string{"", "slow"} {
		args := []string{"compress", "--force", src}
		if level != "" {
			args = append(args, "--level", level)
		}
		code, _, errs := cli(t, args...)
		if code != 0 || !strings.Contains(errs, "image: 1,200 pixels") {
			t.Fatalf("compress %v: exit %d: %s", args, code, errs)
		}
		back := filepath.Join(dir, "back.png")
		code, _, errs = cli(t, "decompress", "--force", "--out", back, src+".arz")
		if code != 0 {
			t.Fatalf("decompress: exit %d: %s", code, errs)
		}
		got, _, err := imagefile.ReadFile(back)
		if err != nil || !got[0].Equal(im) {
			t.Fatalf("level %q: the decompressed image differs (%v)", level, err)
		}
	}
	if code, _, errs := cli(t, "compress", "--force", "--no-media", src); code != 0 || strings.Contains(errs, "image:") {
		t.Fatalf("--no-media: exit %d: %s", code, errs)
	}
	if code, _, errs := cli(t, "compress", "--force", "--level", "faster", src); code != 2 {
		t.Fatalf("--level faster: exit %d: %s", code, errs)
	}
}
