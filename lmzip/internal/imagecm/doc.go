// Package imagecm is lmzip's model of image samples: lossless predictive
// coding with context modelling, in integers only, so that the decoder
// replays the encoder bit for bit on every platform.
//
// # Prediction
//
// Samples are coded in raster order, a pixel's channels one after another.
// Each sample gets a prediction from its causal neighbours in the same
// channel (W, N, NW, NE, NN, WW, NNE): a blend of twelve predictors — the
// neighbours themselves, the planar predictors N+W−NW and W+NE−N, two
// averages, two extrapolations, and for every channel after the first
// three that carry the change the previous channel made at this pixel
// (decorrelation: G follows R's deviation from its own neighbours) — each
// weighted by the inverse square of its recent error around the sample,
//
//	pred = Σ_k w_k p_k / Σ_k w_k,   w_k = 2^32 / (1 + e_k)²,
//	e_k  = 2|err_W| + 2|err_N| + |err_NW| + |err_NE| + |err_WW| + |err_NN|,
//
// (the self-correcting weighting of GraLIC and of JPEG XL's weighted
// predictor), then corrected by the mean error seen in its context of
// texture and error level (CALIC's bias cancellation; Wu and Memon 1997).
// Predictions carry three fractional bits.
//
// # Coding
//
// The residual r = x − round(pred) is binarized — zero?, its sign (unless
// the prediction sits at an end of the range), the exponent of |r| in
// unary, the bits below the leading one — and each binary decision is
// coded with the arithmetic coder under an adaptive probability:
//
//   - Fast: one counter per decision, in a context of the quantized
//     error energy, the magnitude of the neighbouring residual, and (for
//     the zero and sign decisions) the prediction's fractional part, which
//     says on which side of round(pred) the sample probably lies.
//   - Slow: thirteen context models (texture, gradients, the other
//     predictors' disagreement with the blend, alone and in pairs, and a
//     hashed joint context of four of them) mixed in the logistic domain
//     (package cm's mixer) and refined by two adaptive probability maps.
//
// # Colour
//
// A colour image may be coded in JPEG 2000's reversible colour transform
// (Forward, Inverse: brightness and two colour differences), and its
// colour differences in column pairs (Image.ColumnPairs) when the colour
// was stored at half the horizontal resolution; ChooseColour measures the
// three ways with the Fast model on strips of the image.
//
// Both levels code any depth from 1 to 16 bits and 1 to 4 channels.
package imagecm
