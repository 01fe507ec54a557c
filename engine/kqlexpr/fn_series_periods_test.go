package kqlexpr

import (
	"reflect"
	"testing"
)

// Learn's example for series_periods_detect: a month of traffic in 12-hour bins, searched from 0
// to 50 bins for 2 periods, has a weekly period, 14 bins; scores lie between 0 and 1.
// https://learn.microsoft.com/kusto/query/series-periods-detect-function
func TestSeriesPeriodsDetectFindsLearnsWeeklyPeriod(t *testing.T) {
	got := eval(t, `series_periods_detect(todynamic("[80, 139, 87, 110, 68, 54, 50, 51, 53, 133, 86, 141, 97, 156, 94, 149, 95, 140, 77, 61, 50, 54, 47, 133, 72, 152, 94, 148, 105, 162, 101, 160, 87, 63, 53, 55, 54, 151, 103, 189, 108, 183, 113, 175, 113, 178, 90, 71, 62, 62, 65, 165, 109, 181, 115, 182, 121, 178, 114, 170]"), 0.0, 50.0, 2)`, nil).([]any)
	periods, scores := got[0].([]any), got[1].([]any)
	if len(periods) != 2 || len(scores) != 2 || periods[0] != 14.0 {
		t.Fatalf("periods %v scores %v, want 14 first, two of each", periods, scores)
	}
	for _, s := range scores {
		if f := s.(float64); f < 0 || f > 1 {
			t.Errorf("score %v outside [0, 1]", f)
		}
	}
	if scores[0].(float64) < scores[1].(float64) {
		t.Errorf("scores %v are not ordered best first", scores)
	}
	// A range that leaves 14 out does not find it; one too narrow for any period gives zeros.
	got = eval(t, `series_periods_detect(todynamic("[1, 3, 5, 2, 4, 6, 1, 3, 5, 2, 4, 6]"), 0.0, 50.0, 1)`, nil).([]any)
	if want := []any{[]any{0.0}, []any{0.0}}; !reflect.DeepEqual(got, want) {
		t.Errorf("6 points repeated twice: %v, want no period (Learn, series_seasonal)", got)
	}
}

// series_decompose's seasonality -1 detects the period (Learn: "Autodetect seasonality using
// series_periods_detect"), and the seasonal part is the median of the points in each phase. On
// series_seasonal's examples the detected periods are 6 and 5 bins, with the seasonal parts Learn
// prints, and the third series' period is too short to detect: zeros, as with seasonality 0.
// https://learn.microsoft.com/kusto/query/series-decompose-function
// https://learn.microsoft.com/kusto/query/series-seasonal-function
func TestSeriesDecomposeAutodetectsLearnsPeriods(t *testing.T) {
	for _, c := range []struct{ series, seasonal string }{
		{"[2, 5, 3, 4, 3, 2, 1, 2, 3, 4, 3, 2, 1, 2, 3, 4, 3, 2, 1, 2, 3, 4, 3, 2, 1]",
			"[1, 2, 3, 4, 3, 2, 1, 2, 3, 4, 3, 2, 1, 2, 3, 4, 3, 2, 1, 2, 3, 4, 3, 2, 1]"},
		{"[8, 12, 14, 12, 10, 10, 12, 14, 12, 10, 10, 12, 14, 12, 10, 10, 12, 14, 12, 10]",
			"[10, 12, 14, 12, 10, 10, 12, 14, 12, 10, 10, 12, 14, 12, 10, 10, 12, 14, 12, 10]"},
		{"[1, 3, 5, 2, 4, 6, 1, 3, 5, 2, 4, 6]", "[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]"},
	} {
		for _, call := range []string{`series_decompose(todynamic("` + c.series + `"), -1, 'none')`,
			`series_decompose(todynamic("` + c.series + `"))`} {
			got := eval(t, call, nil).([]any)
			want := eval(t, `todynamic("`+c.seasonal+`")`, nil).([]any)
			seasonal := got[1].([]any)
			for i := range want {
				w, _ := want[i].(int64)
				if !near(seasonal[i].(float64), float64(w), 1e-9) {
					t.Errorf("%s: seasonal %v, want %v", call, seasonal, want)
					break
				}
			}
		}
	}
}

// A series without a period decomposes as with seasonality 0; seasonality_threshold decides
// whether a detected period is kept: series_seasonal's first series scores 0.744 at 6 bins.
func TestSeriesDecomposeAutodetectFindsNoPeriodInNoise(t *testing.T) {
	flat := `todynamic("[3, 3, 4, 3, 2, 3, 3, 3, 4, 3, 3, 9, 3, 2, 3, 3]")`
	auto := eval(t, `series_decompose_anomalies(`+flat+`)`, nil)
	none := eval(t, `series_decompose_anomalies(`+flat+`, 1.5, 0)`, nil)
	if !reflect.DeepEqual(auto, none) {
		t.Errorf("autodetect %v, no seasonality %v", auto, none)
	}
	periodic := `todynamic("[2, 5, 3, 4, 3, 2, 1, 2, 3, 4, 3, 2, 1, 2, 3, 4, 3, 2, 1, 2, 3, 4, 3, 2, 1]")`
	kept := eval(t, `series_decompose(`+periodic+`, -1, 'avg', 0, 0.74)`, nil).([]any)[1].([]any)
	dropped := eval(t, `series_decompose(`+periodic+`, -1, 'avg', 0, 0.75)`, nil).([]any)[1].([]any)
	if kept[1] != 2.0 || dropped[1] != 0.0 {
		t.Errorf("threshold 0.74 kept seasonal %v, 0.75 %v: want the period kept, then dropped", kept, dropped)
	}
}
