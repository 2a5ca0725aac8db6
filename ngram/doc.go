// Package ngram implements backoff n-gram language models: estimation by
// interpolated modified Kneser-Ney smoothing (Chen & Goodman 1998, "An
// Empirical Study of Smoothing Techniques for Language Modeling", TR-10-98)
// with the exact conventions of KenLM's lmplz (Heafield, Pouzyrevsky, Clark &
// Koehn 2013, "Scalable Modified Kneser-Ney Language Model Estimation"),
// a compact probing-hash query structure in the spirit of KenLM's, the ARPA
// text format, and a binary payload for the autoreg model file.
//
// The package consumes token ids ([autoreg.Token]) and knows nothing of
// text: a [Builder] counts a stream of ids (BOS starts a sequence, EOS ends
// it) and estimates a [Model]; the Model implements [autoreg.Model], so
// evaluation and sampling need nothing n-gram specific. The equations are at
// the top of model.go.
//
//	b, err := ngram.NewBuilder(vocab, ngram.Options{Order: 5})
//	err = b.Add(tokens) // any number of chunks
//	m, err := b.Build(ctx)
//	st := m.NewState()
//	st.Append(vocab.BOS())
//	lp := st.LogProb(x) // nats
//
// Files: [Model.WriteTo] and [ReadModel] for the binary payload (format in
// payload.go), [Model.WriteARPA] and [ReadARPA] for ARPA text as KenLM
// writes and reads it.
package ngram
