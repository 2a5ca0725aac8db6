package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/tokenize"
)

func init() {
	register(&command{
		name:    "info",
		summary: "Describe a model file: family, configuration, tokenizer, vocabulary, identity (SHA-256).",
		usage:   "--model FILE [--json]",
		run:     runInfo,
	})
}

// runInfo is `autoreg info`.
func runInfo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("info")
	model := fs.String("model", "", "the model: an autoreg model file or an ARPA `FILE`")
	asJSON := fs.Bool("json", false, "print one JSON object")
	args, err := parseArgs(fs, args, stdout)
	if err != nil {
		return err
	}
	if *model == "" && len(args) == 1 {
		*model = args[0]
	} else if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	if modelfile.IsRealFile(*model) {
		return runInfoReal(stdout, *model, *asJSON)
	}
	f, err := loadModel(*model)
	if err != nil {
		return err
	}
	v := f.Model.Vocab()
	size := int64(-1)
	if fi, err := os.Stat(*model); err == nil {
		size = fi.Size()
	}
	info := map[string]any{
		"file":       *model,
		"format":     f.Format,
		"bytes":      size,
		"sha256":     hex.EncodeToString(f.SHA256[:]),
		"family":     f.Meta.Family,
		"mode":       f.Meta.Mode,
		"tokenizer":  f.Tokenizer.Kind(),
		"vocab_size": v.Size(),
		"vocab_base": v.Base,
		"controls":   v.Controls,
	}
	if f.SourceTokenizer != nil {
		sv := f.SourceTokenizer.Vocab()
		info["source_tokenizer"], info["source_vocab_size"] = f.SourceTokenizer.Kind(), sv.Size()
	}
	if len(f.Meta.Config) > 0 {
		info["config"] = f.Meta.Config
	}
	lm, latent := f.Model.(autoreg.Latent)
	if latent {
		info["latent_dim"] = lm.LatentDim()
	}
	if len(f.Meta.Training) > 0 {
		info["training"] = f.Meta.Training
	}
	snd, isSound := f.Tokenizer.(tokenize.Sound)
	if isSound {
		info["audio"] = snd.Audio()
	}
	var extra []string
	for _, s := range f.Extra {
		extra = append(extra, fmt.Sprintf("%s (%s)", s.Tag, humanBytes(int64(len(s.Data)))))
	}
	if extra != nil {
		info["extra_sections"] = extra
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(info)
	}
	w := stdout
	fmt.Fprintf(w, "file        %s (%s, %s)\n", *model, f.Format, humanBytes(size))
	fmt.Fprintf(w, "sha256      %x\n", f.SHA256)
	fmt.Fprintf(w, "family      %s\n", f.Meta.Family)
	fmt.Fprintf(w, "mode        %s\n", f.Meta.Mode)
	fmt.Fprintf(w, "tokenizer   %s: %d ordinary tokens + 3 specials + %d control codes = %d\n", f.Tokenizer.Kind(), v.Base, len(v.Controls), v.Size())
	if isSound {
		fmt.Fprintf(w, "audio       %s\n", snd.Audio())
	}
	if len(v.Controls) > 0 {
		fmt.Fprintf(w, "controls    %v\n", v.Controls)
	}
	if f.SourceTokenizer != nil {
		sv := f.SourceTokenizer.Vocab()
		fmt.Fprintf(w, "source      %s: %d ordinary tokens + 3 specials = %d (the encoder's input)\n", f.SourceTokenizer.Kind(), sv.Base, sv.Size())
	}
	if len(f.Meta.Config) > 0 {
		fmt.Fprintf(w, "config      %s\n", f.Meta.Config)
	}
	if latent {
		fmt.Fprintf(w, "latent      a code of %d dimensions (eval bounds the likelihood; sample draws codes from the prior)\n", lm.LatentDim())
	}
	if len(f.Meta.Training) > 0 {
		fmt.Fprintf(w, "training    %s\n", f.Meta.Training)
	}
	if extra != nil {
		fmt.Fprintf(w, "sections    %v\n", extra)
	}
	return nil
}
