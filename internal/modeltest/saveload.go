package modeltest

import (
	"bytes"
	"fmt"
	"io"

	"github.com/autoreg/autoreg"
)

// PayloadRoundTrip returns an Options.SaveLoad that writes the model with
// its WriteTo (a family's payload) and reads the bytes back with read (the
// family's reader).
func PayloadRoundTrip[M autoreg.Model](read func(r io.Reader, size int64) (M, error)) func(autoreg.Model) (autoreg.Model, error) {
	return func(m autoreg.Model) (autoreg.Model, error) {
		w, ok := m.(io.WriterTo)
		if !ok {
			return nil, fmt.Errorf("modeltest: %T has no WriteTo", m)
		}
		var buf bytes.Buffer
		n, err := w.WriteTo(&buf)
		if err != nil {
			return nil, err
		}
		return read(&buf, n)
	}
}
