package kqlexpr

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/signin-detect/detect/engine/kql"
)

// Time-series functions: each takes a numeric dynamic array (a make-series column) and gives
// several columns, assigned by an extend's tuple: (RSquare, Slope, ...) = series_fit_line(y).
func init() {
	realParam := func(name string) Param { return Param{Name: name, Type: kql.Real} }
	array := func(name string) Param { return Param{Name: name, Type: kql.Dynamic} }
	register(
		&Function{Name: "series_fit_line", Params: []Param{array("series")}, Result: kql.Dynamic,
			Columns: []Param{realParam("rsquare"), realParam("slope"), realParam("variance"), realParam("rvariance"), realParam("interception"), array("line_fit")},
			Eval: func(_ *Context, a []any) (any, error) {
				y, err := seriesValues(a[0])
				if err != nil || len(y) == 0 {
					return nil, err
				}
				fit := fitLine(y)
				return []any{fit.rsquare, fit.slope, fit.variance, fit.rvariance, fit.interception, reals(fit.line)}, nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/series-fit-line-function",
			Doc:   "the least-squares line through the series at x = 1, 2, ...: columns rsquare, slope, variance (the series' sample variance), rvariance (the residuals'), interception, line_fit; assign them with an extend tuple"},
		&Function{Name: "series_stats", Params: []Param{array("series"), {Name: "ignore_nonfinite", Type: kql.Bool, Optional: true}}, Result: kql.Dynamic,
			Columns: []Param{realParam("min"), {Name: "min_idx", Type: kql.Long}, realParam("max"), {Name: "max_idx", Type: kql.Long},
				realParam("avg"), realParam("stdev"), realParam("variance")},
			Eval: func(_ *Context, a []any) (any, error) {
				y, err := seriesValues(a[0])
				if err != nil || len(y) == 0 {
					return nil, err
				}
				minIdx, maxIdx := 0, 0
				var sum float64
				for i, v := range y {
					if v < y[minIdx] {
						minIdx = i
					}
					if v > y[maxIdx] {
						maxIdx = i
					}
					sum += v
				}
				avg := sum / float64(len(y))
				var variance float64
				if len(y) > 1 {
					for _, v := range y {
						variance += (v - avg) * (v - avg)
					}
					variance /= float64(len(y) - 1)
				}
				return []any{y[minIdx], int64(minIdx), y[maxIdx], int64(maxIdx), avg, math.Sqrt(variance), variance}, nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/series-stats-function",
			Doc:   "statistics of the series: columns min, min_idx (its first index), max, max_idx, avg, stdev and variance (of a sample: divided by n - 1)"},
		&Function{Name: "series_decompose", Params: []Param{array("series"), {Name: "seasonality", Type: kql.Long, Optional: true},
			{Name: "trend", Type: kql.String, Optional: true}, {Name: "test_points", Type: kql.Long, Optional: true},
			{Name: "seasonality_threshold", Type: kql.Real, Optional: true}}, Result: kql.Dynamic,
			Columns: []Param{array("baseline"), array("seasonal"), array("trend"), array("residual")},
			Check:   checkDecompose(1),
			Eval: func(_ *Context, a []any) (any, error) {
				d, err := decompose(a, 1, 4)
				if err != nil || d == nil {
					return nil, err
				}
				return []any{reals(d.baseline), reals(d.seasonal), reals(d.trend), reals(d.residual)}, nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/series-decompose-function",
			Doc:   "the series as seasonal + trend + residual (baseline = seasonal + trend): seasonality a period in bins, 0 none, -1 (default) autodetect: series_periods_detect's best period of the learning points, kept when its score is at least seasonality_threshold (default 0.6); the seasonal part is the median of the learning points in each phase; trend 'avg' (default), 'linefit' or 'none'; test_points at the end left out of the fit and extrapolated"},
		&Function{Name: "series_decompose_anomalies", Params: []Param{array("series"), {Name: "threshold", Type: kql.Real, Optional: true},
			{Name: "seasonality", Type: kql.Long, Optional: true}, {Name: "trend", Type: kql.String, Optional: true},
			{Name: "test_points", Type: kql.Long, Optional: true}, {Name: "ad_method", Type: kql.String, Optional: true},
			{Name: "seasonality_threshold", Type: kql.Real, Optional: true}}, Result: kql.Dynamic,
			Columns: []Param{array("ad_flag"), array("ad_score"), array("baseline")},
			Check:   checkDecompose(2),
			Eval: func(_ *Context, a []any) (any, error) {
				d, err := decompose(a, 2, 6)
				if err != nil || d == nil {
					return nil, err
				}
				threshold := 1.5
				if len(a) > 1 && a[1] != nil {
					threshold, _ = kql.ToReal(a[1])
				}
				lo, hi := 10.0, 90.0
				if len(a) > 5 && strings.EqualFold(kql.ToString(a[5]), "tukey") {
					lo, hi = 25, 75
				}
				scores := tukeyScores(d.residual, d.learn, lo, hi)
				flags := make([]any, len(scores))
				for i, s := range scores {
					switch {
					case s > threshold:
						flags[i] = int64(1)
					case s < -threshold:
						flags[i] = int64(-1)
					default:
						flags[i] = int64(0)
					}
				}
				return []any{flags, reals(scores), reals(d.baseline)}, nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/series-decompose-anomalies-function",
			Doc:   "anomalies of the series: series_decompose's residuals scored by Tukey's fence (ad_method 'ctukey', the default: the 10th to 90th percentile range; 'tukey': 25th to 75th), score (x - p_high) / (p_high - p_low) above the range, (x - p_low) / (p_high - p_low) below, 0 inside; ad_flag 1 / -1 where the score is above threshold (default 1.5) / below -threshold, else 0; baseline = seasonal + trend. Columns ad_flag, ad_score, baseline"},
	)
}

// seriesValues reads a numeric dynamic array; a null element is 0 (make-series' default).
func seriesValues(v any) ([]float64, error) {
	arr, ok := v.([]any)
	if !ok {
		if v == nil {
			return nil, nil
		}
		return nil, fmt.Errorf("a series is a dynamic array of numbers, not %s", kql.TypeOf(v))
	}
	out := make([]float64, len(arr))
	for i, e := range arr {
		if e == nil {
			continue
		}
		f, ok := kql.ToReal(e)
		if !ok {
			return nil, fmt.Errorf("series element %d is not a number: %s", i, kql.ToString(e))
		}
		out[i] = f
	}
	return out, nil
}

func reals(xs []float64) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

type lineFit struct {
	rsquare, slope, variance, rvariance, interception float64
	line                                              []float64
}

// fitLine fits y = slope*x + interception by least squares over x = 1 .. len(y), as Learn's
// example shows (line_fit[0] = slope + interception); variance and rvariance divide by n - 1.
func fitLine(y []float64) lineFit {
	n := float64(len(y))
	var mx, my float64
	for i, v := range y {
		mx += float64(i + 1)
		my += v
	}
	mx, my = mx/n, my/n
	var sxy, sxx, syy float64
	for i, v := range y {
		dx := float64(i+1) - mx
		sxy += dx * (v - my)
		sxx += dx * dx
		syy += (v - my) * (v - my)
	}
	f := lineFit{line: make([]float64, len(y))}
	if sxx > 0 {
		f.slope = sxy / sxx
	}
	f.interception = my - f.slope*mx
	var sres float64
	for i, v := range y {
		f.line[i] = f.slope*float64(i+1) + f.interception
		sres += (v - f.line[i]) * (v - f.line[i])
	}
	if n > 1 {
		f.variance = syy / (n - 1)
		f.rvariance = sres / (n - 1)
	}
	f.rsquare = 1
	if syy > 0 {
		f.rsquare = 1 - sres/syy
	}
	return f
}

// decomposition is a series split into its seasonal, trend and residual parts; learn is how many
// points, from the start, the parts were fitted on (the rest are test points).
type decomposition struct {
	baseline, seasonal, trend, residual []float64
	learn                               int
}

// checkDecompose checks the literal seasonality, trend and test_points of series_decompose (first
// at argument 1) or series_decompose_anomalies (at 2).
func checkDecompose(first int) func(lit Literals) (int, error) {
	return func(lit Literals) (int, error) {
		if s, ok := lit.Int(first); ok && s < -1 {
			return first, fmt.Errorf("seasonality is a period in bins, 0 for none or -1 to detect it; not %d", s)
		}
		if t, ok := lit.String(first + 1); ok && t != "avg" && t != "linefit" && t != "none" {
			return first + 1, fmt.Errorf("trend is 'avg', 'linefit' or 'none', not %q", t)
		}
		if first == 2 {
			if m, ok := lit.String(5); ok && m != "ctukey" && m != "tukey" {
				return 5, fmt.Errorf("ad_method is 'ctukey' or 'tukey', not %q", m)
			}
		}
		return -1, nil
	}
}

// decompose splits the series (a[0]) by the arguments from a[first]: seasonality, trend,
// test_points, and seasonality_threshold at a[thresholdAt].
// https://learn.microsoft.com/kusto/query/series-decompose-function
func decompose(a []any, first, thresholdAt int) (*decomposition, error) {
	y, err := seriesValues(a[0])
	if err != nil || len(y) == 0 {
		return nil, err
	}
	arg := func(i int) any {
		if i < len(a) {
			return a[i]
		}
		return nil
	}
	period := int64(-1)
	if v := arg(first); v != nil {
		period, _ = kql.ToLong(v)
	}
	trendKind := "avg"
	if v := arg(first + 1); v != nil {
		trendKind = kql.ToString(v)
	}
	testPoints := int64(0)
	if v := arg(first + 2); v != nil {
		testPoints, _ = kql.ToLong(v)
	}
	n := len(y)
	d := &decomposition{learn: n - int(min(max(testPoints, 0), int64(n-1)))}
	d.seasonal = make([]float64, n)
	d.trend = make([]float64, n)
	if period == -1 {
		period = autodetectPeriod(y[:d.learn], arg(thresholdAt))
	}
	// The seasonal component is, at each point, the median of the learning points in its phase
	// (Learn, series_decompose: "median of the series points in the same phase").
	if period > 1 && int(period) < d.learn {
		phases := make([][]float64, period)
		for i := 0; i < d.learn; i++ {
			phases[i%int(period)] = append(phases[i%int(period)], y[i])
		}
		medians := make([]float64, period)
		for i, values := range phases {
			sort.Float64s(values)
			medians[i] = percentile(values, 50)
		}
		for i := range d.seasonal {
			d.seasonal[i] = medians[i%int(period)]
		}
	}
	deseasoned := make([]float64, d.learn)
	for i := range deseasoned {
		deseasoned[i] = y[i] - d.seasonal[i]
	}
	switch trendKind {
	case "linefit":
		fit := fitLine(deseasoned)
		for i := range d.trend {
			d.trend[i] = fit.slope*float64(i+1) + fit.interception
		}
	case "avg":
		var mean float64
		for _, v := range deseasoned {
			mean += v
		}
		mean /= float64(len(deseasoned))
		for i := range d.trend {
			d.trend[i] = mean
		}
	}
	d.baseline = make([]float64, n)
	d.residual = make([]float64, n)
	for i := range y {
		d.baseline[i] = d.seasonal[i] + d.trend[i]
		d.residual[i] = y[i] - d.baseline[i]
	}
	return d, nil
}

// tukeyScores scores each residual against the low and high percentiles of the first learn
// residuals: 0 inside the range, else how far outside it in units of its width (1 when the range
// is empty). https://learn.microsoft.com/kusto/query/series-outliers-function
func tukeyScores(residual []float64, learn int, low, high float64) []float64 {
	sorted := append([]float64(nil), residual[:learn]...)
	sort.Float64s(sorted)
	q1, q3 := percentile(sorted, low), percentile(sorted, high)
	width := q3 - q1
	if width <= 0 {
		width = 1
	}
	out := make([]float64, len(residual))
	for i, r := range residual {
		switch {
		case r > q3:
			out[i] = (r - q3) / width
		case r < q1:
			out[i] = (r - q1) / width
		}
	}
	return out
}

// percentile is the p-th percentile of sorted values, interpolating linearly between ranks.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 1 {
		return sorted[0]
	}
	rank := p / 100 * float64(len(sorted)-1)
	lo := int(math.Floor(rank))
	if lo+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (rank-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// autodetectPeriod is series_decompose's seasonality -1: the best period series_periods_detect
// finds in the learning points over its whole range (at least 4 points, less than half the
// series), kept when its score reaches seasonality_threshold (default 0.6), else 0, no
// seasonality. https://learn.microsoft.com/kusto/query/series-decompose-function
func autodetectPeriod(y []float64, threshold any) int64 {
	minScore := 0.6
	if threshold != nil {
		minScore, _ = kql.ToReal(threshold)
	}
	found := detectPeriods(y, 4, float64(len(y)))
	if len(found) == 0 || found[0].score < minScore {
		return 0
	}
	return int64(found[0].period)
}
