package kqlexpr

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// now is Friday 2026-11-20 12:00:00 UTC.
func TestCalendarFunctions(t *testing.T) {
	row := map[string]any{"TimeGenerated": date("2026-11-20T09:05:03.0617000Z"), "SecondRequestTimeGenerated": nil}
	cases := []struct {
		source string
		want   any
	}{
		// https://learn.microsoft.com/kusto/query/startofday-function, startofweek-function (weeks
		// start on Sunday), startofmonth-function, startofyear-function, with their offsets.
		{`startofday(TimeGenerated)`, date("2026-11-20T00:00:00Z")},
		{`startofday(TimeGenerated, -1)`, date("2026-11-19T00:00:00Z")},
		{`startofweek(TimeGenerated)`, date("2026-11-15T00:00:00Z")},
		{`startofweek(TimeGenerated, 1)`, date("2026-11-22T00:00:00Z")},
		{`startofmonth(TimeGenerated, 2)`, date("2027-01-01T00:00:00Z")},
		{`startofyear(TimeGenerated)`, date("2026-01-01T00:00:00Z")},
		{`startofday(SecondRequestTimeGenerated)`, nil},
		// https://learn.microsoft.com/kusto/query/endofday-function, endofweek-function,
		// endofmonth-function, endofyear-function: the last tick of the period.
		{`endofday(TimeGenerated)`, date("2026-11-20T23:59:59.9999999Z")},
		{`endofweek(TimeGenerated)`, date("2026-11-21T23:59:59.9999999Z")},
		{`endofmonth(TimeGenerated, -9)`, date("2026-02-28T23:59:59.9999999Z")},
		{`endofyear(TimeGenerated, 1)`, date("2027-12-31T23:59:59.9999999Z")},
		// https://learn.microsoft.com/kusto/query/datetime-part-function
		{`datetime_part("Hour", TimeGenerated)`, int64(9)},
		{`datetime_part("quarter", TimeGenerated)`, int64(4)},
		{`datetime_part("week_of_year", TimeGenerated)`, int64(47)},
		{`datetime_part("DayOfYear", TimeGenerated)`, int64(324)},
		{`datetime_part("Millisecond", TimeGenerated)`, int64(61)},
		{`datetime_part("Microsecond", TimeGenerated)`, int64(61700)},
		{`datetime_part("Nanosecond", TimeGenerated)`, int64(61700000)},
		{`datetime_part("Hour", SecondRequestTimeGenerated)`, nil},
		// https://learn.microsoft.com/kusto/query/day-of-week-function: a timespan since Sunday.
		{`dayofweek(TimeGenerated)`, 5 * 24 * time.Hour},
		{`dayofweek(startofweek(TimeGenerated))`, time.Duration(0)},
		{`dayofmonth(TimeGenerated)`, int64(20)},
		{`dayofyear(TimeGenerated)`, int64(324)},
		{`hourofday(TimeGenerated)`, int64(9)},
		{`getmonth(TimeGenerated)`, int64(11)},
		{`monthofyear(TimeGenerated)`, int64(11)},
		{`getyear(TimeGenerated)`, int64(2026)},
		// https://learn.microsoft.com/kusto/query/week-of-year-function: ISO 8601 weeks.
		{`week_of_year(TimeGenerated)`, int64(47)},
		{`week_of_year(make_datetime(2027, 1, 1))`, int64(53)},
		{`week_of_year(make_datetime(2026, 1, 1))`, int64(1)},
		// https://learn.microsoft.com/kusto/query/datetime-add-function
		{`datetime_add("month", 1, make_datetime(2026, 1, 31))`, date("2026-02-28T00:00:00Z")},
		{`datetime_add("year", -1, make_datetime(2028, 2, 29))`, date("2027-02-28T00:00:00Z")},
		{`datetime_add("week", 2, TimeGenerated)`, date("2026-12-04T09:05:03.0617Z")},
		{`datetime_add("minute", -5, TimeGenerated)`, date("2026-11-20T09:00:03.0617Z")},
		{`datetime_add("day", 1, SecondRequestTimeGenerated)`, nil},
		// https://learn.microsoft.com/kusto/query/make-datetime-function: null when no such date.
		{`make_datetime(2026, 11, 20, 9, 5, 3.0617)`, date("2026-11-20T09:05:03.0617Z")},
		{`make_datetime(2026, 2, 30)`, nil},
		{`make_datetime(2026, 13, 1)`, nil},
		{`make_datetime(TimeGenerated)`, date("2026-11-20T09:05:03.0617000Z")},
		{`make_datetime(todynamic("[\"2026-11-20T09:00:00Z\"]")[0])`, date("2026-11-20T09:00:00Z")},
		// https://learn.microsoft.com/kusto/query/make-timespan-function
		{`make_timespan(1, 30)`, 90 * time.Minute},
		{`make_timespan(1, 30, 15.5)`, 90*time.Minute + 15500*time.Millisecond},
		{`make_timespan(2, 1, 0, 0)`, 49 * time.Hour},
		// https://learn.microsoft.com/kusto/query/format-datetime-function
		{`format_datetime(TimeGenerated, "yyyy-MM-dd [HH:mm:ss]")`, "2026-11-20 [09:05:03]"},
		{`format_datetime(TimeGenerated, "dd-MM-yyyy")`, "20-11-2026"},
		{`format_datetime(TimeGenerated, "yy/M/d h:m:s tt")`, "26/11/20 9:5:3 AM"},
		{`format_datetime(TimeGenerated, "HH:mm:ss.fffffff")`, "09:05:03.0617000"},
		{`format_datetime(TimeGenerated, "ss.FFF")`, "03.061"},
		{`format_datetime(TimeGenerated, "ss.F")`, "03"},
		{`format_datetime(SecondRequestTimeGenerated, "yyyy")`, ""},
		// https://learn.microsoft.com/kusto/query/format-timespan-function
		{`format_timespan(make_timespan(2, 3, 4, 5.25), "d.hh:mm:ss.ff")`, "2.03:04:05.25"},
		{`format_timespan(make_timespan(0, 90), "ddd hh:mm")`, "000 01:30"},
		{`format_timespan(-make_timespan(1, 0), "h:mm")`, "-1:00"},
		// https://learn.microsoft.com/kusto/query/bin-at-function
		{`bin_at(TimeGenerated, "1h", make_datetime(2026, 11, 20, 0, 30))`, date("2026-11-20T08:30:00Z")},
		{`bin_at(6.5, 2.5, 7)`, 4.5},
		{`bin_at(17, 5, 1)`, int64(16)},
		// https://learn.microsoft.com/kusto/query/unixtime-seconds-todatetime-function and its kin
		{`unixtime_seconds_todatetime(1546300800)`, date("2019-01-01T00:00:00Z")},
		{`unixtime_milliseconds_todatetime(1546300800123)`, date("2019-01-01T00:00:00.123Z")},
		{`unixtime_microseconds_todatetime(1546300800123456)`, date("2019-01-01T00:00:00.1234560Z")},
		{`unixtime_nanoseconds_todatetime(1546300800123456789)`, date("2019-01-01T00:00:00.1234567Z")},
		{`unixtime_seconds_todatetime(tolong(AppId))`, nil},
		// https://learn.microsoft.com/kusto/query/ingestion-time-function: over an export, the
		// record's TimeGenerated.
		{`ingestion_time()`, date("2026-11-20T09:05:03.0617000Z")},
		{`ingestion_time() > ago("3h")`, true},
	}
	for _, c := range cases {
		if got := eval(t, c.source, row); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.source, got, c.want)
		}
	}
	for source, want := range map[string]string{
		`datetime_part("Fortnight", TimeGenerated)`:   `unknown part "Fortnight"`,
		`datetime_add("fortnight", 1, TimeGenerated)`: `unknown period "fortnight"`,
		`bin_at(TimeGenerated, "1 hour", now())`:      `not a timespan`,
		`make_datetime(2026, 1, 2, 3)`:                `not 4 arguments`,
	} {
		if _, err := Compile(source, env()); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one saying %q", source, err, want)
		}
	}
	noTime := env()
	delete(noTime.Columns, "TimeGenerated")
	if _, err := Compile(`ingestion_time() > ago("1d")`, noTime); err == nil || !strings.Contains(err.Error(), "ingestion_time() reads the column TimeGenerated") {
		t.Errorf("ingestion_time() without TimeGenerated: %v", err)
	}
}
