package kernels

import "math"

func layerNormRef(out, mean, rstd, inp, weight, bias []float32, rows, cols int, eps float32) {
	for r := range rows {
		x := inp[r*cols : (r+1)*cols]
		var m float64
		for _, v := range x {
			m += float64(v)
		}
		m /= float64(cols)
		var va float64
		for _, v := range x {
			va += (float64(v) - m) * (float64(v) - m)
		}
		va /= float64(cols)
		s := 1 / math.Sqrt(va+float64(eps))
		for j, v := range x {
			o := (float64(v) - m) * s * float64(weight[j])
			if bias != nil {
				o += float64(bias[j])
			}
			out[r*cols+j] = float32(o)
		}
		if mean != nil {
			mean[r] = float32(m)
		}
		if rstd != nil {
			rstd[r] = float32(s)
		}
	}
}

func layerNormBackwardRef(dinp, dweight, dbias, dout, inp, weight, mean, rstd []float32, rows, cols int) {
	for r := range rows {
		x := inp[r*cols : (r+1)*cols]
		d := dout[r*cols : (r+1)*cols]
		mu, s := float64(mean[r]), float64(rstd[r])
		var sg, sgx float64
		for j := range cols {
			g := float64(weight[j]) * float64(d[j])
			sg += g
			sgx += g * (float64(x[j]) - mu) * s
		}
		mg, mgx := sg/float64(cols), sgx/float64(cols)
		for j := range cols {
			xh := (float64(x[j]) - mu) * s
			g := float64(weight[j]) * float64(d[j])
			dinp[r*cols+j] = float32(float64(dinp[r*cols+j]) + s*(g-mg-xh*mgx))
		}
	}
	for j := range cols {
		var dw, db float64
		for r := range rows {
			xh := (float64(inp[r*cols+j]) - float64(mean[r])) * float64(rstd[r])
			dw += xh * float64(dout[r*cols+j])
			db += float64(dout[r*cols+j])
		}
		dweight[j] = float32(float64(dweight[j]) + dw)
		if dbias != nil {
			dbias[j] = float32(float64(dbias[j]) + db)
		}
	}
}
