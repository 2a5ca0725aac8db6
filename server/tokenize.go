package server

import (
	"net/http"
	"unicode/utf8"

	"github.com/autoreg/autoreg"
)

// tokenizeRequest is the body of POST /tokenize.
type tokenizeRequest struct {
	Model      string `json:"model"`
	Content    string `json:"content"`
	AddSpecial bool   `json:"add_special"` // start with <s>, as a prompt does
	WithPieces bool   `json:"with_pieces"`
}

// pieceJSON is one token with its text: a string when it is valid UTF-8,
// otherwise its bytes.
type pieceJSON struct {
	ID    autoreg.Token `json:"id"`
	Piece *string       `json:"piece,omitempty"`
	Bytes []int         `json:"bytes,omitempty"`
}

// byteList is b as a list of numbers (JSON would write base64).
func byteList(b []byte) []int {
	out := make([]int, len(b))
	for i, c := range b {
		out[i] = int(c)
	}
	return out
}

// readFor reads a request body naming a model, and resolves the model.
func (s *Server) readFor(w http.ResponseWriter, r *http.Request, req interface{ model() string }) (*served, *apiError) {
	if e := readJSON(w, r, s.opts.MaxBodyBytes, req); e != nil {
		return nil, e
	}
	return s.lookup(req.model())
}

func (r *tokenizeRequest) model() string   { return r.Model }
func (r *detokenizeRequest) model() string { return r.Model }

func (s *Server) tokenize(w http.ResponseWriter, r *http.Request) *apiError {
	var req tokenizeRequest
	sm, e := s.readFor(w, r, &req)
	if e != nil {
		return e
	}
	var ids []autoreg.Token
	if req.AddSpecial {
		ids = append(ids, sm.tok.Vocab().BOS())
	}
	enc := sm.tok.NewEncoder()
	ids, err := enc.Encode(ids, []byte(req.Content))
	if err == nil {
		ids, err = enc.Flush(ids)
	}
	if err != nil {
		return badRequest("content", "the content cannot be tokenized: %v", err)
	}
	out := map[string]any{"model": sm.Name, "tokens": ids}
	if ids == nil {
		out["tokens"] = []autoreg.Token{}
	}
	if req.WithPieces {
		v := sm.tok.Vocab()
		ps := make([]pieceJSON, len(ids))
		for i, t := range ids {
			ps[i].ID = t
			if v.IsSpecial(t) {
				name := v.SpecialName(t)
				ps[i].Piece = &name
				continue
			}
			b := sm.tok.AppendText(nil, t)
			if utf8.Valid(b) {
				str := string(b)
				ps[i].Piece = &str
			} else {
				ps[i].Bytes = byteList(b)
			}
		}
		out["pieces"] = ps
	}
	return writeJSON(w, out)
}

// detokenizeRequest is the body of POST /detokenize.
type detokenizeRequest struct {
	Model  string  `json:"model"`
	Tokens []int64 `json:"tokens"`
}

func (s *Server) detokenize(w http.ResponseWriter, r *http.Request) *apiError {
	var req detokenizeRequest
	sm, e := s.readFor(w, r, &req)
	if e != nil {
		return e
	}
	v := sm.tok.Vocab()
	var text []byte
	for _, id := range req.Tokens {
		if id < 0 || id >= int64(v.Size()) {
			return badRequest("tokens", "token id %d is not in the model's vocabulary (0..%d)", id, v.Size()-1)
		}
		text = sm.tok.AppendText(text, autoreg.Token(id))
	}
	out := map[string]any{"model": sm.Name, "content": string(text)}
	if !utf8.Valid(text) {
		// The content's invalid bytes read as U+FFFD in JSON; the bytes
		// are exact.
		out["bytes"] = byteList(text)
	}
	return writeJSON(w, out)
}
