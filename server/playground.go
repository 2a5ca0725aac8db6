package server

import (
	_ "embed"
	"net/http"
)

// playgroundPage is the playground: one HTML file with its styles and
// script inline, so the binary serves it with no network access and no
// build step.
//
//go:embed playground.html
var playgroundPage []byte

func (s *Server) playground(w http.ResponseWriter, r *http.Request) *apiError {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// The page needs its own inline script and style and this origin's API.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	w.Write(playgroundPage)
	return nil
}
