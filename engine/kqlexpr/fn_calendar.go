package kqlexpr

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"

	"github.com/signin-detect/detect/engine/kql"
)

const day = 24 * time.Hour

// Calendar functions: the parts of a datetime, the start and end of its day, week, month and
// year, and datetimes and timespans made or printed from parts. Datetimes are UTC; weeks start on
// Sunday (startofweek, dayofweek) except week_of_year's, which are ISO 8601's.
func init() {
	startOfDay := startOf("startofday", "the start of date's day (00:00:00.0000000), offset days later", func(t time.Time, n int) time.Time {
		return time.Date(t.Year(), t.Month(), t.Day()+n, 0, 0, 0, 0, time.UTC)
	})
	startOfWeek := startOf("startofweek", "the start of date's week (Sunday 00:00:00), offset weeks later", func(t time.Time, n int) time.Time {
		return time.Date(t.Year(), t.Month(), t.Day()-int(t.Weekday())+7*n, 0, 0, 0, 0, time.UTC)
	})
	startOfMonth := startOf("startofmonth", "the start of date's month, offset months later", func(t time.Time, n int) time.Time {
		return time.Date(t.Year(), t.Month()+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	})
	startOfYear := startOf("startofyear", "the start of date's year, offset years later", func(t time.Time, n int) time.Time {
		return time.Date(t.Year()+n, 1, 1, 0, 0, 0, 0, time.UTC)
	})
	register(
		startOfDay, startOfWeek, startOfMonth, startOfYear,
		endOf("endofday", "the last tick of date's day (23:59:59.9999999), offset days later", startOfDay),
		endOf("endofweek", "the last tick of date's week (Saturday 23:59:59.9999999), offset weeks later", startOfWeek),
		endOf("endofmonth", "the last tick of date's month, offset months later", startOfMonth),
		endOf("endofyear", "the last tick of date's year, offset years later", startOfYear),
		&Function{Name: "datetime_part", Params: []Param{{Name: "part", Type: kql.String}, {Name: "datetime", Type: kql.Datetime}}, Result: kql.Long,
			Check: func(lit Literals) (int, error) {
				if s, ok := lit.String(0); ok {
					if _, ok := datetimeParts[strings.ToLower(s)]; !ok {
						return 0, fmt.Errorf("datetime_part: unknown part %q (want Year, Quarter, Month, week_of_year, Day, DayOfYear, Hour, Minute, Second, Millisecond, Microsecond or Nanosecond)", s)
					}
				}
				return -1, nil
			},
			Eval: func(_ *Context, a []any) (any, error) {
				t, ok := a[1].(time.Time)
				if !ok {
					return nil, nil
				}
				part, ok := datetimeParts[strings.ToLower(kql.ToString(a[0]))]
				if !ok {
					return nil, fmt.Errorf("datetime_part: unknown part %q", kql.ToString(a[0]))
				}
				return part(t.UTC()), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/datetime-part-function", Doc: "a part of datetime as a number: Year, Quarter, Month, week_of_year (ISO 8601), Day, DayOfYear, Hour, Minute, Second, Millisecond, Microsecond or Nanosecond (any case; the last three are the fraction of the second in that unit)"},
		&Function{Name: "dayofweek", Params: []Param{{Name: "date", Type: kql.Datetime}}, Result: kql.Timespan,
			Eval:  onDatetime(func(t time.Time) any { return time.Duration(t.Weekday()) * day }),
			Learn: "https://learn.microsoft.com/kusto/query/day-of-week-function", Doc: "a timespan: the whole days since the Sunday before (Sunday 0d, Saturday 6d)"},
		&Function{Name: "dayofmonth", Params: []Param{{Name: "date", Type: kql.Datetime}}, Result: kql.Long,
			Eval:  onDatetime(func(t time.Time) any { return int64(t.Day()) }),
			Learn: "https://learn.microsoft.com/kusto/query/day-of-month-function", Doc: "the day of the month, 1 to 31"},
		&Function{Name: "dayofyear", Params: []Param{{Name: "date", Type: kql.Datetime}}, Result: kql.Long,
			Eval:  onDatetime(func(t time.Time) any { return int64(t.YearDay()) }),
			Learn: "https://learn.microsoft.com/kusto/query/day-of-year-function", Doc: "the day of the year, 1 to 366"},
		&Function{Name: "hourofday", Params: []Param{{Name: "date", Type: kql.Datetime}}, Result: kql.Long,
			Eval:  onDatetime(func(t time.Time) any { return int64(t.Hour()) }),
			Learn: "https://learn.microsoft.com/kusto/query/hour-of-day-function", Doc: "the hour, 0 to 23"},
		&Function{Name: "getmonth", Aliases: []string{"monthofyear"}, Params: []Param{{Name: "date", Type: kql.Datetime}}, Result: kql.Long,
			Eval:  onDatetime(func(t time.Time) any { return int64(t.Month()) }),
			Learn: "https://learn.microsoft.com/kusto/query/getmonth-function", Doc: "the month, 1 to 12"},
		&Function{Name: "getyear", Params: []Param{{Name: "date", Type: kql.Datetime}}, Result: kql.Long,
			Eval:  onDatetime(func(t time.Time) any { return int64(t.Year()) }),
			Learn: "https://learn.microsoft.com/kusto/query/getyear-function", Doc: "the year"},
		&Function{Name: "week_of_year", Params: []Param{{Name: "date", Type: kql.Datetime}}, Result: kql.Long,
			Eval:  onDatetime(func(t time.Time) any { _, w := t.ISOWeek(); return int64(w) }),
			Learn: "https://learn.microsoft.com/kusto/query/week-of-year-function", Doc: "the ISO 8601 week number, 1 to 53 (weeks start on Monday; week 1 holds the year's first Thursday)"},
		&Function{Name: "datetime_add", Params: []Param{{Name: "period", Type: kql.String}, {Name: "amount", Type: kql.Long}, {Name: "datetime", Type: kql.Datetime}},
			Result: kql.Datetime,
			Check: func(lit Literals) (int, error) {
				if s, ok := lit.String(0); ok {
					if _, err := datetimeAdd(s, 0, time.Time{}); err != nil {
						return 0, err
					}
				}
				return -1, nil
			},
			Eval: func(_ *Context, a []any) (any, error) {
				t, ok := a[2].(time.Time)
				n, ok2 := kql.ToLong(normaliseInt(a[1]))
				if !ok || !ok2 || a[1] == nil {
					return nil, nil
				}
				return datetimeAdd(kql.ToString(a[0]), n, t)
			},
			Learn: "https://learn.microsoft.com/kusto/query/datetime-add-function", Doc: "datetime plus amount periods (year, quarter, month, week, day, hour, minute, second, millisecond, microsecond, nanosecond); adding months keeps the day, or takes the month's last day where it has fewer (2026-01-31 plus a month is 2026-02-28)"},
		&Function{Name: "make_datetime", Params: []Param{{Name: "year", Type: kql.Long}, {Name: "month", Type: kql.Long, Optional: true}, {Name: "day", Type: kql.Long, Optional: true},
			{Name: "hour", Type: kql.Long, Optional: true}, {Name: "minute", Type: kql.Long, Optional: true}, {Name: "second", Type: kql.Real, Optional: true}},
			Result: kql.Datetime,
			Check: func(lit Literals) (int, error) {
				if n := len(lit.args); n == 2 || n == 4 {
					return n - 1, fmt.Errorf("make_datetime takes year, month, day[, hour, minute[, second]], or one datetime; not %d arguments", n)
				}
				return -1, nil
			},
			Eval: func(_ *Context, a []any) (any, error) {
				if len(a) == 1 {
					// One argument, as a published rule writes make_datetime(StartTime) of a datetime
					// taken out of a dynamic array: the value as a datetime.
					switch v := a[0].(type) {
					case time.Time:
						return v, nil
					case string:
						if t, err := kql.ParseDatetime(v); err == nil {
							return t, nil
						}
					}
					return nil, nil
				}
				parts := []float64{0, 1, 1, 0, 0, 0}
				// The most each part may be; seconds go up to, not including, 60.
				limits := []float64{9999, 12, 31, 23, 59, 59.9999999}
				for i, v := range a {
					f, ok := realOf(v)
					if !ok || f < 0 || f > limits[i] || i < 5 && f != math.Trunc(f) || i > 0 && i < 3 && f < 1 {
						return nil, nil
					}
					parts[i] = f
				}
				t := time.Date(int(parts[0]), time.Month(parts[1]), int(parts[2]), int(parts[3]), int(parts[4]), 0, 0, time.UTC)
				if t.Day() != int(parts[2]) || parts[0] < 1 {
					return nil, nil // February 30th, year 0
				}
				return t.Add(time.Duration(parts[5] * float64(time.Second)).Truncate(kql.Tick)), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/make-datetime-function", Doc: "the datetime of year, month, day and optionally hour and minute, then second (a real: fractions too); null when they make no date. With one argument (not on Learn's page, but published rules write `make_datetime(StartTime)` of a datetime in a dynamic value), the value as a datetime"},
		&Function{Name: "make_timespan", Params: []Param{{Name: "a", Type: kql.Real}, {Name: "b", Type: kql.Real},
			{Name: "c", Type: kql.Real, Optional: true}, {Name: "d", Type: kql.Real, Optional: true}},
			Result: kql.Timespan,
			Eval: func(_ *Context, a []any) (any, error) {
				units := []time.Duration{time.Hour, time.Minute, time.Second}
				if len(a) == 4 {
					units = []time.Duration{day, time.Hour, time.Minute, time.Second}
				}
				var total float64
				for i, v := range a {
					f, ok := realOf(v)
					if !ok {
						return nil, nil
					}
					total += f * float64(units[i])
				}
				if total >= math.MaxInt64 || total <= math.MinInt64 {
					return nil, nil
				}
				return time.Duration(total).Truncate(kql.Tick), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/make-timespan-function", Doc: "the timespan of hour and minute, of hour, minute and second, or of day, hour, minute and second (second a real)"},
		&Function{Name: "format_datetime", Params: []Param{{Name: "datetime", Type: kql.Datetime}, {Name: "format", Type: kql.String}}, Result: kql.String,
			Eval: func(_ *Context, a []any) (any, error) {
				t, ok := a[0].(time.Time)
				if !ok {
					return "", nil
				}
				return formatDatetime(t.UTC(), kql.ToString(a[1])), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/format-datetime-function", Doc: "datetime as text in format: `yyyy`, `yy`, `y`, `MM`, `M`, `dd`, `d`, `HH`, `H`, `hh`, `h`, `mm`, `m`, `ss`, `s`, `tt` (AM/PM), `f`...`fffffff` (fraction digits), `F`...`FFFFFFF` (the same, trailing zeros and a `.` before none dropped); other characters as they are; `\"\"` for null"},
		&Function{Name: "format_timespan", Params: []Param{{Name: "timespan", Type: kql.Timespan}, {Name: "format", Type: kql.String}}, Result: kql.String,
			Eval: func(_ *Context, a []any) (any, error) {
				d, ok := a[0].(time.Duration)
				if !ok {
					return "", nil
				}
				return formatTimespan(d, kql.ToString(a[1])), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/format-timespan-function", Doc: "timespan as text in format: `d`...`dddddddd` (whole days, at least that many digits), `hh`/`HH`, `h`/`H` (hours of the day), `mm`, `m`, `ss`, `s`, `f`...`fffffff`, `F`...`FFFFFFF`; a negative timespan starts with `-`; `\"\"` for null"},
		&Function{Name: "bin_at", Params: []Param{{Name: "value", Type: Any}, {Name: "bin_size", Type: Any}, {Name: "fixed_point", Type: Any}},
			Result: Any, ResultOf: func(args []kql.Type) kql.Type { return args[0] },
			Check: timespanLiteral("bin_at", 1),
			Eval: func(_ *Context, a []any) (any, error) {
				value, size, fixed := normaliseInt(a[0]), normaliseInt(a[1]), normaliseInt(a[2])
				if text, ok := size.(string); ok {
					d, err := kql.ParseTimespan(text)
					if err != nil {
						return nil, fmt.Errorf("bin_at: %w", err)
					}
					size = d
				}
				if value == nil || size == nil || fixed == nil {
					return nil, nil
				}
				offset, err := kql.Sub(value, fixed)
				if err != nil {
					return nil, fmt.Errorf("bin_at: %w", err)
				}
				binned, err := kql.Bin(offset, size)
				if err != nil || binned == nil {
					return nil, err
				}
				return kql.Add(fixed, binned)
			},
			Learn: "https://learn.microsoft.com/kusto/query/bin-at-function", Doc: "value rounded down to a multiple of bin_size counted from fixed_point (a datetime by a timespan from a datetime, a number by a number from a number)"},
		unixTime("unixtime_seconds_todatetime", time.Second, "seconds"),
		unixTime("unixtime_milliseconds_todatetime", time.Millisecond, "milliseconds"),
		unixTime("unixtime_microseconds_todatetime", time.Microsecond, "microseconds"),
		unixTime("unixtime_nanoseconds_todatetime", time.Nanosecond, "nanoseconds"),
		&Function{Name: "ingestion_time", Result: kql.Datetime,
			Resolve: func(columns map[string]kql.Type, _ []ast.Node) (ast.Node, error) {
				if _, ok := columns["TimeGenerated"]; !ok {
					return nil, fmt.Errorf("ingestion_time() reads the column TimeGenerated, which the rows here do not have")
				}
				return &ast.IdentifierNode{Value: "TimeGenerated"}, nil
			},
			Eval:  func(*Context, []any) (any, error) { return nil, nil },
			Learn: "https://learn.microsoft.com/kusto/query/ingestion-time-function", Doc: "the record's `TimeGenerated`: an export does not keep the time Log Analytics ingested a record (minutes after TimeGenerated for Entra ID logs), so `ingestion_time() > ago(1d)` reads as a lookback on TimeGenerated; a check error where the rows have no TimeGenerated"},
	)
}

// onDatetime makes the Eval of a function of one datetime; null gives null.
func onDatetime(fn func(time.Time) any) func(*Context, []any) (any, error) {
	return func(_ *Context, a []any) (any, error) {
		t, ok := a[0].(time.Time)
		if !ok {
			return nil, nil
		}
		return fn(t.UTC()), nil
	}
}

func startOf(name, doc string, start func(time.Time, int) time.Time) *Function {
	return &Function{Name: name, Params: []Param{{Name: "date", Type: kql.Datetime}, {Name: "offset", Type: kql.Long, Optional: true}}, Result: kql.Datetime,
		Eval: func(_ *Context, a []any) (any, error) {
			t, n, ok := dateAndOffset(a)
			if !ok {
				return nil, nil
			}
			return start(t, n), nil
		},
		Learn: "https://learn.microsoft.com/kusto/query/" + name + "-function", Doc: doc}
}

// endOf is the function one tick before the start of the next period of start's function.
func endOf(name, doc string, start *Function) *Function {
	return &Function{Name: name, Params: start.Params, Result: kql.Datetime,
		Eval: func(ctx *Context, a []any) (any, error) {
			t, n, ok := dateAndOffset(a)
			if !ok {
				return nil, nil
			}
			next, err := start.Eval(ctx, []any{t, int64(n + 1)})
			if err != nil || next == nil {
				return nil, err
			}
			return next.(time.Time).Add(-kql.Tick), nil
		},
		Learn: "https://learn.microsoft.com/kusto/query/" + name + "-function", Doc: doc}
}

// dateAndOffset reads the arguments of startofday(date[, offset]) and its kin.
func dateAndOffset(a []any) (time.Time, int, bool) {
	t, ok := a[0].(time.Time)
	if !ok {
		return t, 0, false
	}
	n := int64(0)
	if len(a) > 1 {
		if n, ok = kql.ToLong(normaliseInt(a[1])); !ok || a[1] == nil || n > 1e6 || n < -1e6 {
			return t, 0, false
		}
	}
	return t.UTC(), int(n), true
}

func unixTime(name string, unit time.Duration, units string) *Function {
	return &Function{Name: name, Params: []Param{{Name: units, Type: kql.Real}}, Result: kql.Datetime,
		Eval: func(_ *Context, a []any) (any, error) {
			f, ok := realOf(a[0])
			if !ok {
				return nil, nil
			}
			ns := f * float64(unit)
			if math.IsNaN(ns) || ns >= math.MaxInt64 || ns <= math.MinInt64 {
				return nil, nil
			}
			return time.Unix(0, int64(ns)).UTC().Truncate(kql.Tick), nil
		},
		Learn: "https://learn.microsoft.com/kusto/query/" + strings.ReplaceAll(name, "_", "-") + "-function",
		Doc:   "the datetime that many " + units + " after 1970-01-01 (a real: fractions too); null when out of range"}
}

var datetimeParts = map[string]func(time.Time) int64{
	"year":         func(t time.Time) int64 { return int64(t.Year()) },
	"quarter":      func(t time.Time) int64 { return int64(t.Month()-1)/3 + 1 },
	"month":        func(t time.Time) int64 { return int64(t.Month()) },
	"week_of_year": func(t time.Time) int64 { _, w := t.ISOWeek(); return int64(w) },
	"day":          func(t time.Time) int64 { return int64(t.Day()) },
	"dayofyear":    func(t time.Time) int64 { return int64(t.YearDay()) },
	"hour":         func(t time.Time) int64 { return int64(t.Hour()) },
	"minute":       func(t time.Time) int64 { return int64(t.Minute()) },
	"second":       func(t time.Time) int64 { return int64(t.Second()) },
	"millisecond":  func(t time.Time) int64 { return int64(t.Nanosecond() / 1e6) },
	"microsecond":  func(t time.Time) int64 { return int64(t.Nanosecond() / 1e3) },
	"nanosecond":   func(t time.Time) int64 { return int64(t.Nanosecond()) },
}

// datetimeAdd adds n periods to t; months (and quarters and years) keep the day of the month or
// take the month's last day, as .NET's AddMonths, which Kusto follows, does.
func datetimeAdd(period string, n int64, t time.Time) (any, error) {
	months := int64(0)
	var unit time.Duration
	switch strings.ToLower(period) {
	case "year":
		months = 12
	case "quarter":
		months = 3
	case "month":
		months = 1
	case "week":
		unit = 7 * day
	case "day":
		unit = day
	case "hour":
		unit = time.Hour
	case "minute":
		unit = time.Minute
	case "second":
		unit = time.Second
	case "millisecond":
		unit = time.Millisecond
	case "microsecond":
		unit = time.Microsecond
	case "nanosecond":
		unit = time.Nanosecond
	default:
		return nil, fmt.Errorf("datetime_add: unknown period %q (want year, quarter, month, week, day, hour, minute, second, millisecond, microsecond or nanosecond)", period)
	}
	t = t.UTC()
	if months != 0 {
		total := n * months
		if total > 12*10000 || total < -12*10000 {
			return nil, nil
		}
		first := time.Date(t.Year(), t.Month()+time.Month(total), 1, 0, 0, 0, 0, time.UTC)
		last := first.AddDate(0, 1, -1).Day()
		d := min(t.Day(), last)
		return time.Date(first.Year(), first.Month(), d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC), nil
	}
	if n > math.MaxInt64/int64(unit) || n < math.MinInt64/int64(unit) {
		return nil, nil
	}
	return t.Add(time.Duration(n) * unit).Truncate(kql.Tick), nil
}

// formatToken splits a format at its next run of one letter: the letter and the run's length.
func formatToken(format string) (letter byte, n int) {
	letter = format[0]
	for n < len(format) && format[n] == letter {
		n++
	}
	return letter, n
}

// fraction writes the first n of the seven fraction digits of ticks; trim drops trailing zeros
// (the F specifiers).
func fraction(b *strings.Builder, ticks int64, n int, trim bool) {
	digits := fmt.Sprintf("%07d", ticks)
	if n > 7 {
		n = 7
	}
	s := digits[:n]
	if trim {
		s = strings.TrimRight(s, "0")
		if s == "" {
			if out := b.String(); strings.HasSuffix(out, ".") {
				b.Reset()
				b.WriteString(strings.TrimSuffix(out, "."))
			}
			return
		}
	}
	b.WriteString(s)
}

func pad(v int64, n int) string {
	s := strconv.FormatInt(v, 10)
	for len(s) < n {
		s = "0" + s
	}
	return s
}

// formatDatetime prints t with format_datetime's specifiers.
func formatDatetime(t time.Time, format string) string {
	var b strings.Builder
	ticks := int64(t.Nanosecond()) / int64(kql.Tick)
	for len(format) > 0 {
		letter, n := formatToken(format)
		format = format[n:]
		switch letter {
		case 'y':
			switch {
			case n >= 3:
				b.WriteString(pad(int64(t.Year()), n))
			case n == 2:
				b.WriteString(pad(int64(t.Year()%100), 2))
			default:
				b.WriteString(strconv.Itoa(t.Year() % 100))
			}
		case 'M':
			b.WriteString(pad(int64(t.Month()), min(n, 2)))
		case 'd':
			b.WriteString(pad(int64(t.Day()), min(n, 2)))
		case 'H':
			b.WriteString(pad(int64(t.Hour()), min(n, 2)))
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			b.WriteString(pad(int64(h), min(n, 2)))
		case 'm':
			b.WriteString(pad(int64(t.Minute()), min(n, 2)))
		case 's':
			b.WriteString(pad(int64(t.Second()), min(n, 2)))
		case 't':
			ampm := "AM"
			if t.Hour() >= 12 {
				ampm = "PM"
			}
			b.WriteString(ampm[:min(n, 2)])
		case 'f', 'F':
			fraction(&b, ticks, n, letter == 'F')
		default:
			b.WriteString(strings.Repeat(string(letter), n))
		}
	}
	return b.String()
}

// formatTimespan prints d with format_timespan's specifiers.
func formatTimespan(d time.Duration, format string) string {
	var b strings.Builder
	if d < 0 {
		b.WriteString("-")
		d = -d
	}
	days := int64(d / day)
	rest := d % day
	ticks := int64(rest%time.Second) / int64(kql.Tick)
	for len(format) > 0 {
		letter, n := formatToken(format)
		format = format[n:]
		switch letter {
		case 'd':
			b.WriteString(pad(days, n))
		case 'h', 'H':
			b.WriteString(pad(int64(rest/time.Hour), min(n, 2)))
		case 'm':
			b.WriteString(pad(int64(rest%time.Hour/time.Minute), min(n, 2)))
		case 's':
			b.WriteString(pad(int64(rest%time.Minute/time.Second), min(n, 2)))
		case 'f', 'F':
			fraction(&b, ticks, n, letter == 'F')
		default:
			b.WriteString(strings.Repeat(string(letter), n))
		}
	}
	return b.String()
}
