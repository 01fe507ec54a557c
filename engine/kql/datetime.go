package kql

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Tick is KQL's datetime and timespan resolution: 100 nanoseconds.
// https://learn.microsoft.com/kusto/query/scalar-data-types/datetime
const Tick = 100 * time.Nanosecond

// DatetimeLayout is how Log Analytics and tostring() print a datetime: UTC, always seven
// fractional digits.
const DatetimeLayout = "2006-01-02T15:04:05.0000000Z"

// ParseDatetime reads an ISO 8601 datetime with 0 to 7 (or more, truncated to the tick) fractional
// digits and a Z, an offset, or no zone (taken as UTC), and returns it in UTC.
func ParseDatetime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, ok := ParseExportDatetime(s); ok {
		return t, nil
	}
	for _, layout := range []string{
		"2006-01-02T15:04:05.999999999Z07:00",
		"2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999",
		"2006-01-02T15:04Z07:00",
		"2006-01-02",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Truncate(Tick), nil
		}
	}
	return time.Time{}, fmt.Errorf("not an ISO 8601 datetime: %q", s)
}

// ParseExportDatetime reads the datetimes exports write, YYYY-MM-DDThh:mm:ss with 0 to 7
// fractional digits and a Z (the time of every record read), without time.Parse's walk over a
// layout: it tells false for anything else, or for a field out of range, which ParseDatetime
// (time.Parse) then reads or refuses as before.
func ParseExportDatetime(s string) (time.Time, bool) {
	if len(s) < 20 || len(s) > 28 || s[len(s)-1] != 'Z' || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	number := func(from, to int) (int, bool) {
		n := 0
		for i := from; i < to; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = 10*n + int(c-'0')
		}
		return n, true
	}
	year, ok1 := number(0, 4)
	month, ok2 := number(5, 7)
	day, ok3 := number(8, 10)
	hour, ok4 := number(11, 13)
	minute, ok5 := number(14, 16)
	second, ok6 := number(17, 19)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || year < 1 || month < 1 || month > 12 || day < 1 ||
		day > daysIn(time.Month(month), year) || hour > 23 || minute > 59 || second > 59 {
		return time.Time{}, false
	}
	nanos := 0
	if fraction := s[19 : len(s)-1]; fraction != "" {
		digits := len(fraction) - 1
		if fraction[0] != '.' || digits < 1 || digits > 7 {
			return time.Time{}, false
		}
		n, ok := number(20, 20+digits)
		if !ok {
			return time.Time{}, false
		}
		for range 9 - digits {
			n *= 10
		}
		nanos = n
	}
	return time.Date(year, time.Month(month), day, hour, minute, second, nanos, time.UTC), true
}

// daysIn is the number of days of month in year.
func daysIn(month time.Month, year int) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// FormatDatetime prints t as Log Analytics does, e.g. 2026-11-20T09:00:01.1234567Z.
func FormatDatetime(t time.Time) string {
	return t.UTC().Format(DatetimeLayout)
}

// DatetimeDiff returns a - b counted in period boundaries crossed, as datetime_diff does: each
// datetime is truncated to the period and the truncated values subtracted, so
// datetime_diff('minute', 10:01:00.1, 10:00:59.9) is 1 and datetime_diff('minute', 10:00:59.9,
// 10:00:00.0) is 0. Weeks start on Sunday.
// https://learn.microsoft.com/kusto/query/datetime-diff-function
func DatetimeDiff(period string, a, b time.Time) (int64, error) {
	a, b = a.UTC(), b.UTC()
	switch strings.ToLower(period) {
	case "year":
		return int64(a.Year() - b.Year()), nil
	case "quarter":
		return quarterIndex(a) - quarterIndex(b), nil
	case "month":
		return monthIndex(a) - monthIndex(b), nil
	case "week":
		// 1970-01-04 (day 3 of the epoch) was a Sunday: count from it so that week numbers change on Sundays.
		const day = 24 * 60 * 60
		return floorDiv(a.Unix()-3*day, 7*day) - floorDiv(b.Unix()-3*day, 7*day), nil
	case "day":
		return floorDiv(a.Unix(), 86400) - floorDiv(b.Unix(), 86400), nil
	case "hour":
		return floorDiv(a.Unix(), 3600) - floorDiv(b.Unix(), 3600), nil
	case "minute":
		return floorDiv(a.Unix(), 60) - floorDiv(b.Unix(), 60), nil
	case "second":
		return a.Unix() - b.Unix(), nil
	case "millisecond":
		return subUnits(a, b, 1e6), nil
	case "microsecond":
		return subUnits(a, b, 1e3), nil
	case "nanosecond":
		return subUnits(a, b, 1), nil
	}
	return 0, fmt.Errorf("datetime_diff: unknown period %q (want year, quarter, month, week, day, hour, minute, second, millisecond, microsecond or nanosecond)", period)
}

func quarterIndex(t time.Time) int64 { return int64(t.Year())*4 + int64(t.Month()-1)/3 }
func monthIndex(t time.Time) int64   { return int64(t.Year())*12 + int64(t.Month()-1) }

// subUnits counts whole units of nsPerUnit between the unit-truncated a and b, without the int64
// overflow that UnixNano has outside the years 1678 to 2262.
func subUnits(a, b time.Time, nsPerUnit int64) int64 {
	perSecond := int64(1e9) / nsPerUnit
	return (a.Unix()-b.Unix())*perSecond + int64(a.Nanosecond())/nsPerUnit - int64(b.Nanosecond())/nsPerUnit
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

var timespanUnits = []struct {
	suffix string
	unit   time.Duration
}{
	// Longest suffixes first, so that "ms" is not read as "m" followed by garbage.
	{"microseconds", time.Microsecond}, {"microsecond", time.Microsecond},
	{"milliseconds", time.Millisecond}, {"millisecond", time.Millisecond},
	{"seconds", time.Second}, {"second", time.Second},
	{"minutes", time.Minute}, {"minute", time.Minute},
	{"hours", time.Hour}, {"hour", time.Hour},
	{"days", 24 * time.Hour}, {"day", 24 * time.Hour},
	{"ticks", Tick}, {"tick", Tick},
	{"ms", time.Millisecond}, {"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second},
}

// ParseTimespan reads a KQL timespan literal without its timespan() wrapper: a number and a unit
// ("6h", "1.5d", "90m", "30s", "100ms", "10microseconds", "5ticks") or "[d.]hh:mm[:ss[.fffffff]]".
// https://learn.microsoft.com/kusto/query/scalar-data-types/timespan
func ParseTimespan(s string) (time.Duration, error) {
	text := strings.TrimSpace(s)
	if strings.Contains(text, ":") {
		return parseClockTimespan(text)
	}
	lower := strings.ToLower(text)
	for _, u := range timespanUnits {
		if number, ok := strings.CutSuffix(lower, u.suffix); ok {
			n, err := strconv.ParseFloat(number, 64)
			if err != nil {
				break
			}
			return time.Duration(n * float64(u.unit)), nil
		}
	}
	return 0, fmt.Errorf("not a timespan: %q (write a number and a unit, such as 6h, 1d, 30m, 10s, 100ms)", s)
}

func parseClockTimespan(s string) (time.Duration, error) {
	negative := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var days int64
	if dot := strings.Index(s, "."); dot >= 0 && dot < strings.Index(s, ":") {
		d, err := strconv.ParseInt(s[:dot], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("not a timespan: %q", s)
		}
		days, s = d, s[dot+1:]
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, fmt.Errorf("not a timespan: %q", s)
	}
	var total time.Duration
	units := []time.Duration{time.Hour, time.Minute, time.Second}
	for i, p := range parts {
		n, err := strconv.ParseFloat(p, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("not a timespan: %q", s)
		}
		total += time.Duration(n * float64(units[i]))
	}
	total += time.Duration(days) * 24 * time.Hour
	if negative {
		total = -total
	}
	return total, nil
}
