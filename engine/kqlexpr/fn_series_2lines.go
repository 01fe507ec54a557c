package kqlexpr

import (
	"github.com/signin-detect/detect/engine/kql"
)

// series_fit_2lines: the split of the series into two parts, each fitted by its own line
// (series_fit_line), that maximises the total r-square.
// https://learn.microsoft.com/kusto/query/series-fit-2lines-function
func init() {
	realParam := func(name string) Param { return Param{Name: name, Type: kql.Real} }
	register(&Function{Name: "series_fit_2lines", Params: []Param{{Name: "series", Type: kql.Dynamic}}, Result: kql.Dynamic,
		Columns: []Param{realParam("rsquare"), {Name: "split_idx", Type: kql.Long}, realParam("variance"), realParam("rvariance"),
			{Name: "line_fit", Type: kql.Dynamic},
			realParam("right_rsquare"), realParam("right_slope"), realParam("right_interception"), realParam("right_variance"), realParam("right_rvariance"),
			realParam("left_rsquare"), realParam("left_slope"), realParam("left_interception"), realParam("left_variance"), realParam("left_rvariance")},
		Eval: func(_ *Context, a []any) (any, error) {
			y, err := seriesValues(a[0])
			if err != nil || len(y) < 4 {
				return nil, err
			}
			f := fitTwoLines(y)
			return []any{f.rsquare, int64(f.split), f.variance, f.rvariance, reals(f.line),
				f.right.rsquare, f.right.slope, f.right.interception, f.right.variance, f.right.rvariance,
				f.left.rsquare, f.left.slope, f.left.interception, f.left.variance, f.left.rvariance}, nil
		},
		Learn: "https://learn.microsoft.com/kusto/query/series-fit-2lines-function",
		Doc:   "two lines fitted by least squares (as series_fit_line) to the series split at split_idx (zero-based: the left part is the points before it, the right part the rest, each of at least 2 points; x counts 1, 2, ... over the whole series), the split chosen to maximise the total r-square, 1 - (sum of both parts' squared residuals) / (sum of squared deviations from the series' mean); the first such split on ties. Columns rsquare, split_idx, variance, rvariance (of the residuals from both lines), line_fit (both lines), then right_ and left_ rsquare, slope, interception, variance, rvariance; null for fewer than 4 points"})
}

type twoLineFit struct {
	rsquare, variance, rvariance float64
	split                        int
	line                         []float64
	left, right                  lineFit
}

// fitTwoLines tries every split leaving at least two points on each side. Each part's line is
// fitted over the part's own x (its positions in the whole series), so line_fit reads as two
// segments on one axis.
func fitTwoLines(y []float64) twoLineFit {
	n := len(y)
	whole := fitLine(y)
	var mean, total float64
	for _, v := range y {
		mean += v
	}
	mean /= float64(n)
	for _, v := range y {
		total += (v - mean) * (v - mean)
	}
	best := twoLineFit{rsquare: -1}
	for split := 2; split <= n-2; split++ {
		left := fitLineFrom(y[:split], 1)
		right := fitLineFrom(y[split:], split+1)
		line := append(append([]float64(nil), left.line...), right.line...)
		var residual float64
		for i, v := range y {
			residual += (v - line[i]) * (v - line[i])
		}
		rsquare := 1.0
		if total > 0 {
			rsquare = 1 - residual/total
		}
		if rsquare > best.rsquare {
			best = twoLineFit{rsquare: rsquare, split: split, line: line, left: left, right: right,
				variance: whole.variance, rvariance: residual / float64(n-1)}
		}
	}
	return best
}

// fitLineFrom is fitLine with x counting from first instead of 1.
func fitLineFrom(y []float64, first int) lineFit {
	f := fitLine(y)
	shift := float64(first - 1)
	f.interception -= f.slope * shift
	return f
}
