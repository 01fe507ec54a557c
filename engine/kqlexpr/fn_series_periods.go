package kqlexpr

import (
	"math"
	"sort"

	"github.com/signin-detect/detect/engine/kql"
)

// series_periods_detect: the most significant periods of a series, with scores between 0 and 1.
// https://learn.microsoft.com/kusto/query/series-periods-detect-function
//
// Learn documents the inputs (min_period, max_period, num_periods), that a period has at least 4
// points and at most half the series, that the periods come ordered by score, scores between 0
// and 1, and arrays num_periods long; it does not document how a score is computed. The engine
// scores a period p by the series' autocorrelation at lag p (below), which reproduces the
// periods Learn's examples find: 14 of its 60-point traffic series, 6 and 5 of series_seasonal's
// first two series, and none of its third (6 points repeated twice), which shows that a period
// of exactly half the series is not detected. The scores themselves need not match Kusto's
// (Learn's 14 scores about 0.84 there, the engine's 0.96).
func init() {
	register(&Function{Name: "series_periods_detect", Params: []Param{{Name: "series", Type: kql.Dynamic},
		{Name: "min_period", Type: kql.Real}, {Name: "max_period", Type: kql.Real}, {Name: "num_periods", Type: kql.Long}},
		Result:  kql.Dynamic,
		Columns: []Param{{Name: "periods", Type: kql.Dynamic}, {Name: "scores", Type: kql.Dynamic}},
		Eval: func(_ *Context, a []any) (any, error) {
			y, err := seriesValues(a[0])
			if err != nil || a[1] == nil || a[2] == nil || a[3] == nil {
				return nil, err
			}
			minPeriod, _ := kql.ToReal(a[1])
			maxPeriod, _ := kql.ToReal(a[2])
			num, _ := kql.ToLong(a[3])
			if num < 0 {
				num = 0
			}
			found := detectPeriods(y, minPeriod, maxPeriod)
			periods, scores := make([]float64, num), make([]float64, num)
			for i := 0; i < int(num) && i < len(found); i++ {
				periods[i], scores[i] = float64(found[i].period), found[i].score
			}
			return []any{reals(periods), reals(scores)}, nil
		},
		Learn: "https://learn.microsoft.com/kusto/query/series-periods-detect-function",
		Doc:   "the periods of the series between min_period and max_period (in bins; at least 4 and less than half the series), ordered by score, padded with 0 to num_periods: a period's score is the series' autocorrelation at that lag, sum((y[i] - mean) * (y[i+p] - mean)) / (n - p) over the variance sum((y[i] - mean)^2) / n, clamped to [0, 1]; the periods are its local maxima over the range, a multiple of a better period left out. The periods of Learn's examples are found; the scores may differ from Kusto's. Columns periods, scores"})
}

type detectedPeriod struct {
	period int
	score  float64
}

// detectPeriods gives the periods of y between minPeriod and maxPeriod, best first.
func detectPeriods(y []float64, minPeriod, maxPeriod float64) []detectedPeriod {
	n := len(y)
	lo := max(4, int(math.Ceil(minPeriod)))
	hi := min(int(math.Floor(maxPeriod)), (n-1)/2)
	if lo > hi {
		return nil
	}
	var mean float64
	for _, v := range y {
		mean += v
	}
	mean /= float64(n)
	var variance float64
	for _, v := range y {
		variance += (v - mean) * (v - mean)
	}
	variance /= float64(n)
	if variance == 0 {
		return nil
	}
	// Scores from lo-1 to hi+1, so that the ends of the range can be told local maxima or not.
	score := func(p int) float64 {
		if p < 1 || p >= n {
			return math.Inf(-1)
		}
		var s float64
		for i := 0; i+p < n; i++ {
			s += (y[i] - mean) * (y[i+p] - mean)
		}
		return s / float64(n-p) / variance
	}
	var peaks []detectedPeriod
	for p := lo; p <= hi; p++ {
		s := score(p)
		if s > 0 && s >= score(p-1) && s >= score(p+1) {
			peaks = append(peaks, detectedPeriod{p, min(s, 1)})
		}
	}
	sort.SliceStable(peaks, func(i, j int) bool { return peaks[i].score > peaks[j].score })
	var out []detectedPeriod
	for _, c := range peaks {
		multiple := false
		for _, better := range out {
			if c.period%better.period == 0 {
				multiple = true
				break
			}
		}
		if !multiple {
			out = append(out, c)
		}
	}
	return out
}
