package modeltest

import (
	"io"

	"github.com/autoreg/autoreg"
)

// PayloadRoundTrip returns an Options.SaveLoad that writes the model with
// its WriteTo (a family's payload) and reads the bytes back with read (the
// family's reader).
func PayloadRoundTrip[M autoreg.Model](read func(r io.Reader, size int64) (M, error)) func(autoreg.Model) (autoreg.Model, error) {
	return func(m autoreg.Model) (autoreg.Model, error) { return payloadRoundTrip(m, read) }
}

// RealPayloadRoundTrip returns a RealOptions.SaveLoad that writes the model
// with its WriteTo (a family's payload) and reads the bytes back with read.
func RealPayloadRoundTrip[M autoreg.RealModel](read func(r io.Reader, size int64) (M, error)) func(autoreg.RealModel) (autoreg.RealModel, error) {
	return func(m autoreg.RealModel) (autoreg.RealModel, error) { return payloadRoundTrip(m, read) }
}
