package kql

import (
	"fmt"
	"math"
	"time"
)

// Between is KQL's between: lo <= v <= hi, both ends included, for numbers, datetimes and
// timespans. When v and lo are datetimes hi may be a timespan: the range lo .. lo+hi. False when
// any of them is null or they do not compare.
// https://learn.microsoft.com/kusto/query/between-operator
func Between(v, lo, hi any) bool {
	if start, ok := lo.(time.Time); ok {
		if span, ok := hi.(time.Duration); ok {
			hi = start.Add(span)
		}
	}
	above, ok := Compare(v, lo)
	if !ok || above < 0 {
		return false
	}
	below, ok := Compare(v, hi)
	return ok && below <= 0
}

// ticksToUnixEpoch is the number of 100 ns ticks from 0001-01-01, where KQL's datetimes count
// from, to 1970-01-01.
const ticksToUnixEpoch = 62135596800 * int64(time.Second/Tick)

// Bin is bin(value, roundTo): value rounded down to a whole multiple of roundTo. A datetime is
// binned by a timespan counted from 0001-01-01 (where KQL's datetime ticks start, so 1d bins
// start at midnight UTC and 7d bins on Mondays), a timespan by a timespan, a number by a number.
// Null, or a roundTo that is not positive, gives null.
// https://learn.microsoft.com/kusto/query/bin-function
func Bin(v, roundTo any) (any, error) {
	if v == nil || roundTo == nil {
		return nil, nil
	}
	switch x := v.(type) {
	case time.Time:
		span, ok := roundTo.(time.Duration)
		if !ok {
			return nil, fmt.Errorf("bin: a datetime is binned by a timespan, not %s", TypeOf(roundTo))
		}
		if span < Tick {
			return nil, nil
		}
		ticks := x.Unix()*int64(time.Second/Tick) + int64(x.Nanosecond())/int64(Tick) + ticksToUnixEpoch
		binned := floorDiv(ticks, int64(span/Tick))*int64(span/Tick) - ticksToUnixEpoch
		perSecond := int64(time.Second / Tick)
		return time.Unix(floorDiv(binned, perSecond), (binned-floorDiv(binned, perSecond)*perSecond)*int64(Tick)).UTC(), nil
	case time.Duration:
		span, ok := roundTo.(time.Duration)
		if !ok {
			return nil, fmt.Errorf("bin: a timespan is binned by a timespan, not %s", TypeOf(roundTo))
		}
		if span <= 0 {
			return nil, nil
		}
		return time.Duration(floorDiv(int64(x), int64(span)) * int64(span)), nil
	}
	vi, vf, vInt, vok := number(v)
	ri, rf, rInt, rok := number(roundTo)
	if !vok || !rok || isString(v) || isString(roundTo) {
		return nil, fmt.Errorf("bin: cannot bin %s by %s", TypeOf(v), TypeOf(roundTo))
	}
	if rf <= 0 {
		return nil, nil
	}
	if vInt && rInt {
		return floorDiv(vi, ri) * ri, nil
	}
	return math.Floor(vf/rf) * rf, nil
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}
