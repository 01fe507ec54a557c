package kqlexpr

import (
	"math"
	"reflect"
	"testing"
)

func near(a, b, tolerance float64) bool { return math.Abs(a-b) <= tolerance }

// Learn's example: y = [2, 5, 6, 8, 11, 15, 17, 18, 25, 26, 30, 30] gives RSquare 0.982, Slope
// 2.730, Variance 98.628, RVariance 1.686, Interception -1.666 and a LineFit from 1.064.
// https://learn.microsoft.com/kusto/query/series-fit-line-function
func TestSeriesFitLineAsLearnShowsIt(t *testing.T) {
	got, _ := eval(t, `series_fit_line(todynamic("[2, 5, 6, 8, 11, 15, 17, 18, 25, 26, 30, 30]"))`, nil).([]any)
	if len(got) != 6 {
		t.Fatalf("series_fit_line gave %v, want its six columns", got)
	}
	want := []float64{0.982, 2.730, 98.628, 1.686, -1.666}
	for i, w := range want {
		if f, _ := got[i].(float64); !near(f, w, 0.001) {
			t.Errorf("column %d = %v, want %v", i, got[i], w)
		}
	}
	line, _ := got[5].([]any)
	if len(line) != 12 || !near(line[0].(float64), 1.064, 0.001) || !near(line[11].(float64), 31.102, 0.001) {
		t.Errorf("line_fit = %v, want 12 values from 1.064 to 31.102", line)
	}
}

// Tukey's fence on the residuals: with no trend and no seasonality the residuals are the series.
// Of 1..10 and X, the 10th percentile is 2 and the 90th 10 (ranks 1 and 9 of 11), a range of 8:
// the fence at threshold 1.5 is 10 + 1.5 * 8 = 22. X = 23 scores (23 - 10) / 8 = 1.625, an
// anomaly; X = 21 scores 1.375, a near miss.
// https://learn.microsoft.com/kusto/query/series-decompose-anomalies-function
// https://learn.microsoft.com/kusto/query/series-outliers-function
func TestSeriesDecomposeAnomaliesTukeyFence(t *testing.T) {
	for _, c := range []struct {
		last  string
		flag  int64
		score float64
	}{{"23", 1, 1.625}, {"21", 0, 1.375}} {
		got, _ := eval(t, `series_decompose_anomalies(todynamic("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, `+c.last+`]"), 1.5, 0, 'none')`, nil).([]any)
		if len(got) != 3 {
			t.Fatalf("gave %v, want ad_flag, ad_score, baseline", got)
		}
		flags, scores := got[0].([]any), got[1].([]any)
		if flags[10] != c.flag || !near(scores[10].(float64), c.score, 1e-9) {
			t.Errorf("X = %s: flag %v score %v, want %v and %v", c.last, flags[10], scores[10], c.flag, c.score)
		}
		for i := 0; i < 10; i++ {
			if flags[i] != int64(0) {
				t.Errorf("X = %s: point %d flagged %v", c.last, i, flags[i])
			}
		}
	}
	// A threshold of 1.6 no longer flags 1.625's neighbour 1.5 but still flags 1.625.
	got := eval(t, `series_decompose_anomalies(todynamic("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 23]"), 1.7, 0, 'none')`, nil).([]any)
	if got[0].([]any)[10] != int64(0) {
		t.Errorf("threshold 1.7 flagged a score of 1.625")
	}
}

// series_decompose: trend 'avg' is the series' mean, the residual the rest; 'linefit' the
// least-squares line; a period averages each phase.
// https://learn.microsoft.com/kusto/query/series-decompose-function
func TestSeriesDecompose(t *testing.T) {
	got := eval(t, `series_decompose(todynamic("[1, 2, 3]"), 0, 'avg')`, nil).([]any)
	if want := []any{[]any{2.0, 2.0, 2.0}, []any{0.0, 0.0, 0.0}, []any{2.0, 2.0, 2.0}, []any{-1.0, 0.0, 1.0}}; !reflect.DeepEqual(got, want) {
		t.Errorf("avg: %v, want %v", got, want)
	}
	got = eval(t, `series_decompose(todynamic("[1, 2, 3, 4]"), 0, 'linefit')`, nil).([]any)
	if res := got[3].([]any); !near(res[0].(float64), 0, 1e-9) || !near(res[3].(float64), 0, 1e-9) {
		t.Errorf("linefit of a line left residuals %v", res)
	}
	got = eval(t, `series_decompose(todynamic("[1, 5, 1, 5, 1, 5]"), 2, 'avg')`, nil).([]any)
	if res := got[3].([]any); !reflect.DeepEqual(res, []any{0.0, 0.0, 0.0, 0.0, 0.0, 0.0}) {
		t.Errorf("a period of 2 left residuals %v", res)
	}
}

func TestSeriesChecks(t *testing.T) {
	for _, src := range []string{`series_decompose_anomalies(todynamic("[1]"), 1.5, -1, 'linear')`,
		`series_decompose_anomalies(todynamic("[1]"), 1.5, -1, 'avg', 0, 'iqr')`} {
		if _, err := Compile(src, env()); err == nil {
			t.Errorf("%s compiled", src)
		}
	}
}

// https://learn.microsoft.com/kusto/query/series-stats-function: min and max with their first
// index, the mean, and the sample standard deviation and variance.
func TestSeriesStats(t *testing.T) {
	got := eval(t, `series_stats(todynamic("[4, 1, 7, 1, 7]"))`, nil).([]any)
	if want := []any{1.0, int64(1), 7.0, int64(2), 4.0, 3.0, 9.0}; !reflect.DeepEqual(got, want) {
		t.Errorf("series_stats = %v, want %v", got, want)
	}
}

// Learn's example for series_fit_2lines, y = [1, 2.2, 2.5, 4.7, 5.0, 12, 10.3, 10.3, 9, 8.3,
// 6.2]: a climb to 5.0, then a jump to 12 and a decline; its chart draws LineFit2 as two
// segments meeting at that trend change. Worked by hand: the left line through 1 .. 5.0 at x = 1
// .. 5 has slope 10.5 / 10 = 1.05 and interception 3.08 - 1.05 * 3 = -0.07; the right line, 12 ..
// 6.2 at x = 6 .. 11, slope -1.037; the variance is the whole series' (as series_fit_line's).
// https://learn.microsoft.com/kusto/query/series-fit-2lines-function
func TestSeriesFit2LinesAsLearnShowsIt(t *testing.T) {
	got, _ := eval(t, `series_fit_2lines(todynamic("[1, 2.2, 2.5, 4.7, 5.0, 12, 10.3, 10.3, 9, 8.3, 6.2]"))`, nil).([]any)
	if len(got) != 15 {
		t.Fatalf("series_fit_2lines gave %v, want its 15 columns", got)
	}
	if got[1] != int64(5) {
		t.Errorf("split_idx = %v, want 5 (the jump to 12)", got[1])
	}
	for _, c := range []struct {
		column int
		name   string
		want   float64
	}{{0, "rsquare", 0.9865}, {2, "variance", 13.894}, {3, "rvariance", 0.1874}, {6, "right_slope", -1.0371},
		{7, "right_interception", 18.1657}, {11, "left_slope", 1.05}, {12, "left_interception", -0.07}, {13, "left_variance", 2.937}} {
		if f, _ := got[c.column].(float64); !near(f, c.want, 0.0001) {
			t.Errorf("%s = %v, want %v", c.name, got[c.column], c.want)
		}
	}
	line, _ := got[4].([]any)
	if len(line) != 11 || !near(line[4].(float64), 5.18, 1e-9) || !near(line[5].(float64), 11.9429, 0.0001) {
		t.Errorf("line_fit = %v, want the left line to 5.18 at index 4 and the right from 11.943", line)
	}
	if got := eval(t, `series_fit_2lines(todynamic("[1, 2, 3]"))`, nil); got != nil {
		t.Errorf("three points gave %v, want null (two parts of two points need four)", got)
	}
}
