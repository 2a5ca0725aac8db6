package server

import (
	"context"
	"encoding/hex"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autoreg/autoreg/modelfile"
	"github.com/chromedp/chromedp"
)

// chromium finds the browser, or skips the test where it is missing;
// under CI=true a missing browser is a failure (CI installs it).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (apt-get install chromium); CI needs it for the playground test")
	}
	t.Skip("chromium is not installed (apt-get install chromium): the playground test needs a headless browser")
	return ""
}

// TestPlaygroundInBrowser loads the playground in headless Chromium from
// a server on 127.0.0.1, types a prompt, generates, and checks the
// streamed text against the API's answer to the same request, the token
// coloring, the alternatives shown on hover and the tokens/s figure.
//
// AUTOREG_PLAYGROUND_MODEL=FILE serves that model file instead of the
// test's tiny one, and AUTOREG_PLAYGROUND_SCREENSHOT=FILE.png saves a
// screenshot of the page with a token's alternatives shown (the README's
// picture).
func TestPlaygroundInBrowser(t *testing.T) {
	exe := chromium(t)
	m := tinyGPT(t, 64)
	prompt := "ROMEO:\n"
	if path := os.Getenv("AUTOREG_PLAYGROUND_MODEL"); path != "" {
		f, err := modelfile.Read(path)
		if err != nil {
			t.Fatal(err)
		}
		m = Model{Name: strings.TrimSuffix(filepathBase(path), ".arm"), Model: f.Model, Tokenizer: f.Tokenizer,
			Family: f.Meta.Family, SHA256: hex.EncodeToString(f.SHA256[:])}
	}
	_, ts := newTestServer(t, Options{}, m)

	bctx := browser(t, exe)

	seed, maxTokens := "7", "60"
	if os.Getenv("AUTOREG_PLAYGROUND_SCREENSHOT") != "" {
		maxTokens = "300" // a fuller page for the picture
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(ts.URL+"/")); err != nil {
		t.Fatal(err)
	}
	// The model list comes from /v1/models.
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`document.querySelectorAll("#model option").length > 0`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatal(err)
	}
	// Settings by script, the prompt typed key by key, then the button.
	generateOnPage(t, bctx, `document.querySelector("#prompt").value = "";
			document.querySelector("#seed").value = "`+seed+`";
			document.querySelector("#max_tokens").value = "`+maxTokens+`";`, "#prompt", prompt)
	type page struct {
		Prompt, Text, Stats, Error string
		Tokens                     int
		Colors                     []string
		P                          []float64
	}
	got, err := chromedp.Run(bctx, chromedp.Evaluate[page](`(() => {
		const spans = [...document.querySelectorAll("#output .tok")];
		return {
			Prompt: document.querySelector("#output .prompt").textContent,
			Text: spans.map((s) => s.textContent).join(""),
			Stats: document.querySelector("#stats").textContent,
			Error: document.querySelector("#error").textContent,
			Tokens: spans.length,
			Colors: spans.map((s) => s.style.background),
			P: spans.map((s) => Number(s.dataset.p)),
		};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if got.Error != "" {
		t.Fatalf("the page reports %q", got.Error)
	}
	// The same request through the API.
	n, _ := strconv.Atoi(maxTokens)
	s, _ := strconv.Atoi(seed)
	want := complete(t, ts.URL, map[string]any{"model": m.Name, "prompt": prompt, "max_tokens": n, "seed": s,
		"temperature": 0.8, "top_p": 1, "logprobs": 5})
	wc := want.Choices[0]
	if got.Prompt != prompt || got.Text != wc.Text {
		t.Fatalf("the page shows %q + %q, the API gives %q", got.Prompt, got.Text, wc.Text)
	}
	if got.Tokens != len(wc.Logprobs.Tokens) || got.Tokens == 0 {
		t.Fatalf("%d colored tokens, the API lists %d", got.Tokens, len(wc.Logprobs.Tokens))
	}
	colors := map[string]bool{}
	for i, c := range got.Colors {
		if !strings.HasPrefix(c, "rgb") {
			t.Fatalf("token %d has background %q", i, c)
		}
		colors[c] = true
		if p := math.Exp(*wc.Logprobs.TokenLogprobs[i]); math.Abs(p-got.P[i]) > 1e-4 {
			t.Fatalf("token %d: the page says p = %v, the API %v", i, got.P[i], p)
		}
	}
	if len(colors) < 3 {
		t.Errorf("tokens of different probabilities share %d colors", len(colors))
	}
	if !strings.Contains(got.Stats, "tokens/s") || !strings.HasPrefix(got.Stats, strconv.Itoa(got.Tokens)+" tokens") {
		t.Errorf("stats %q", got.Stats)
	}
	// Hovering a token shows its alternatives, most probable first.
	type tip struct {
		Shown bool
		Rows  []string
	}
	hover, err := chromedp.Run(bctx, chromedp.Evaluate[tip](`(() => {
		const all = document.querySelectorAll("#output .tok");
		const s = all[Math.floor(all.length * 2 / 3)];
		s.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
		const t = document.querySelector("#tip");
		return { Shown: getComputedStyle(t).display !== "none", Rows: [...t.querySelectorAll(".alt")].map((r) => r.textContent) };
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if !hover.Shown || len(hover.Rows) != 5 {
		t.Fatalf("tooltip %+v, want 5 alternatives", hover)
	}
	if path := os.Getenv("AUTOREG_PLAYGROUND_SCREENSHOT"); path != "" {
		png, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// browser starts headless Chromium for a test, for at most 90 seconds.
func browser(t *testing.T, exe string) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	actx, cancelA := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 760),
	)
	t.Cleanup(cancelA)
	bctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(cancelB)
	return bctx
}

// generateOnPage runs a script setting the page's fields, types text into
// the box named by the CSS selector box (key by key, as a person), clicks
// Generate and waits for the streamed text to end.
func generateOnPage(t *testing.T, bctx context.Context, script, box, text string) {
	t.Helper()
	if err := chromedp.Do(bctx,
		chromedp.Evaluate[chromedp.Void](script),
		chromedp.SendKeys(chromedp.CSS(box), text),
		chromedp.Click(chromedp.CSS("#generate")),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`document.querySelector("#output").dataset.done === "1"`,
		chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		t.Fatal(err)
	}
}

// TestPlaygroundConditions: for an encoder-decoder the page shows a
// source box and sends its text as the request's source.
func TestPlaygroundConditions(t *testing.T) {
	exe := chromium(t)
	_, ts := newTestServer(t, Options{}, tinyGPT(t, 64), tinySeq2seq(t))
	bctx := browser(t, exe)
	if err := chromedp.Do(bctx, chromedp.Navigate(ts.URL+"/")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`document.querySelectorAll("#model option").length == 2`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatal(err)
	}
	hidden, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`document.querySelector("#condbox").hidden`))
	if err != nil || !hidden {
		t.Fatalf("a GPT shows a condition box (hidden %v, %v)", hidden, err)
	}
	generateOnPage(t, bctx, `const sel = document.querySelector("#model");
			sel.value = "s2s"; sel.dispatchEvent(new Event("change"));
			document.querySelector("#prompt").value = "";
			document.querySelector("#seed").value = "7";
			document.querySelector("#max_tokens").value = "20";`, "#cond", "hello")
	type page struct{ Label, Text, Error string }
	got, err := chromedp.Run(bctx, chromedp.Evaluate[page](`({
		Label: document.querySelector("#condlabel").textContent,
		Text: [...document.querySelectorAll("#output .tok")].map((s) => s.textContent).join(""),
		Error: document.querySelector("#error").textContent,
	})`))
	if err != nil {
		t.Fatal(err)
	}
	want := complete(t, ts.URL, map[string]any{"model": "s2s", "source": "hello", "prompt": "", "max_tokens": 20, "seed": 7,
		"temperature": 0.8, "top_p": 1, "logprobs": 5})
	if got.Error != "" || !strings.HasPrefix(got.Label, "source") || got.Text != want.Choices[0].Text || got.Text == "" {
		t.Fatalf("the page: label %q, text %q, error %q; the API: %q", got.Label, got.Text, got.Error, want.Choices[0].Text)
	}
}

func filepathBase(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}
