package train

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/autoreg/autoreg/dist"
	"github.com/autoreg/autoreg/gpt"
	"github.com/autoreg/autoreg/internal/realio"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/rnn"
)

// Real is what a real-valued model adds to its Arch (`autoreg train` fills
// it from --head and --lags and from the training part of the series).
type Real struct {
	// Head is the output distribution, in standardized units (a
	// dlogistic head's grid too).
	Head dist.Head
	// Lags are the extra lagged values in each step's input (≥ 2,
	// ascending); the last value is always there.
	Lags []int
	// Mean and Scale standardize each dimension: the network reads
	// (x − Mean)/Scale. The training part's mean and population standard
	// deviation, so that nothing of the test part leaks in.
	Mean, Scale []float64
	// Highway adds a linear map from each step's inputs to the head's
	// parameters beside the network (LSTNet's autoregressive highway).
	Highway bool
}

func (r Real) spec() realio.Spec {
	return realio.Spec{Head: r.Head, Lags: slices.Clone(r.Lags), Mean: slices.Clone(r.Mean), Scale: slices.Clone(r.Scale), Highway: r.Highway}
}

// NewRealModel returns a freshly initialized real-valued model of the
// architecture, its weights drawn from seed. Arch.Embed must be 0 (the
// inputs are the steps and their lags).
func NewRealModel(a Arch, r Real, seed uint64) (RealModel, error) {
	switch a.Family {
	case "gpt":
		if a.Embed != 0 {
			return nil, fmt.Errorf("train: a real-valued GPT has no embedding width (its inputs are the steps and their lags)")
		}
		return gpt.NewReal(gpt.Config{Layers: a.Layers, Dim: a.Dim, Heads: a.Heads, Context: a.Context, Dropout: a.Dropout}, r.spec(), seed)
	case rnn.LSTM, rnn.GRU:
		return rnn.NewReal(rnn.Config{Cell: a.Family, Layers: a.Layers, Hidden: a.Dim, Embed: a.Embed, Dropout: a.Dropout}, r.spec(), seed)
	}
	return nil, fmt.Errorf("train: unknown real-valued family %q (want lstm, gru or gpt)", a.Family)
}

// realConfig is a real-valued model's configuration in its file's META,
// for people and tools (the payload is self-sufficient).
type realConfig struct {
	Arch    any        `json:"arch"`
	Head    string     `json:"head"`
	Grid    *dist.Grid `json:"grid,omitempty"`
	Lags    []int      `json:"lags,omitempty"`
	Highway bool       `json:"highway,omitempty"`
	Mean    []float64  `json:"mean"`
	Scale   []float64  `json:"scale"`
}

// RealMeta returns the model-file header of a real-valued model NewRealModel
// builds: its family (the architecture's, "-real" appended: lstm-real,
// gru-real, gpt-real), its configuration, and the value columns and time
// column of its data. Training is left for the caller to record.
func RealMeta(m RealModel, columns []string, time string) (modelfile.Meta, error) {
	meta := modelfile.Meta{Columns: columns, Time: time}
	var arch any
	switch m := m.(type) {
	case *gpt.RealModel:
		meta.Family, arch = "gpt-real", m.Config()
	case *rnn.RealModel:
		meta.Family, arch = m.Config().Cell+"-real", m.Config()
	default:
		return modelfile.Meta{}, fmt.Errorf("train: a %T has no model-file family", m)
	}
	h := m.Head()
	cfg := realConfig{Arch: arch, Head: h.String(), Lags: m.Lags(), Highway: m.Highway()}
	cfg.Mean, cfg.Scale = m.Standardization()
	if h.Kind == dist.KindDiscretizedLogistic {
		g := h.Grid
		cfg.Grid = &g
	}
	var err error
	meta.Config, err = json.Marshal(cfg)
	return meta, err
}
