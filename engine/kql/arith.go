package kql

import (
	"fmt"
	"math"
	"time"
)

// The arithmetic operators + - * / % and unary minus, as KQL defines them: a null operand gives
// null; whole numbers (int and long) give a long and any real a real; long / long truncates toward
// zero, and a whole-number division or modulo by zero is null; a modulo is never negative
// (-14 % 12 is 10). Datetimes and timespans combine as KQL's datetime arithmetic does: datetime -
// datetime is a timespan, datetime ± timespan a datetime, timespan * or / a number a timespan,
// timespan / timespan a real. Operands of any other types give an error, which the expression
// layer turns into null for that row.
// https://learn.microsoft.com/kusto/query/numerical-operators
// https://learn.microsoft.com/kusto/query/datetime-timespan-arithmetic
// https://learn.microsoft.com/kusto/query/scalar-data-types/null-values

// Add is a + b.
func Add(a, b any) (any, error) {
	if a == nil || b == nil {
		return nil, nil
	}
	switch x := a.(type) {
	case time.Time:
		if d, ok := b.(time.Duration); ok {
			return x.Add(d), nil
		}
	case time.Duration:
		switch y := b.(type) {
		case time.Duration:
			return x + y, nil
		case time.Time:
			return y.Add(x), nil
		}
	}
	return numeric("+", a, b, func(i, j int64) (any, error) { return i + j, nil }, func(f, g float64) any { return f + g })
}

// Sub is a - b.
func Sub(a, b any) (any, error) {
	if a == nil || b == nil {
		return nil, nil
	}
	switch x := a.(type) {
	case time.Time:
		switch y := b.(type) {
		case time.Time:
			return x.Sub(y), nil
		case time.Duration:
			return x.Add(-y), nil
		}
	case time.Duration:
		if y, ok := b.(time.Duration); ok {
			return x - y, nil
		}
	}
	return numeric("-", a, b, func(i, j int64) (any, error) { return i - j, nil }, func(f, g float64) any { return f - g })
}

// Mul is a * b.
func Mul(a, b any) (any, error) {
	if a == nil || b == nil {
		return nil, nil
	}
	if d, ok := a.(time.Duration); ok {
		if _, f, _, ok := strictNumber(b); ok {
			return scaleTimespan(d, f), nil
		}
	}
	if d, ok := b.(time.Duration); ok {
		if _, f, _, ok := strictNumber(a); ok {
			return scaleTimespan(d, f), nil
		}
	}
	return numeric("*", a, b, func(i, j int64) (any, error) { return i * j, nil }, func(f, g float64) any { return f * g })
}

// Div is a / b.
func Div(a, b any) (any, error) {
	if a == nil || b == nil {
		return nil, nil
	}
	if d, ok := a.(time.Duration); ok {
		if e, ok := b.(time.Duration); ok {
			if e == 0 {
				return nil, nil
			}
			return float64(d) / float64(e), nil
		}
		if _, f, _, ok := strictNumber(b); ok {
			if f == 0 {
				return nil, nil
			}
			return scaleTimespan(d, 1/f), nil
		}
	}
	return numeric("/", a, b, func(i, j int64) (any, error) {
		if j == 0 {
			return nil, nil
		}
		return i / j, nil // Go's integer division truncates toward zero, as KQL's does
	}, func(f, g float64) any { return f / g })
}

// Mod is a % b: never negative, 0 <= a % b < abs(b).
func Mod(a, b any) (any, error) {
	if a == nil || b == nil {
		return nil, nil
	}
	return numeric("%", a, b, func(i, j int64) (any, error) {
		if j == 0 {
			return nil, nil
		}
		m := i % j
		if m < 0 {
			if j < 0 {
				m -= j
			} else {
				m += j
			}
		}
		return m, nil
	}, func(f, g float64) any {
		m := math.Mod(f, g)
		if m < 0 {
			m += math.Abs(g)
		}
		return m
	})
}

// Neg is -a.
func Neg(a any) (any, error) {
	switch x := a.(type) {
	case nil:
		return nil, nil
	case time.Duration:
		return -x, nil
	}
	i, f, isInt, ok := strictNumber(a)
	if !ok {
		return nil, fmt.Errorf("cannot negate a %s", TypeOf(a))
	}
	if isInt {
		return -i, nil
	}
	return -f, nil
}

func scaleTimespan(d time.Duration, f float64) any {
	scaled := float64(d) * f
	if math.IsNaN(scaled) || scaled >= math.MaxInt64 || scaled <= math.MinInt64 {
		return nil
	}
	return time.Duration(scaled).Truncate(Tick)
}

// numeric applies an operator to two numbers: whole numbers by onInts, anything with a real by
// onReals.
func numeric(op string, a, b any, onInts func(i, j int64) (any, error), onReals func(f, g float64) any) (any, error) {
	ai, af, aInt, aok := strictNumber(a)
	bi, bf, bInt, bok := strictNumber(b)
	if !aok || !bok {
		return nil, fmt.Errorf("cannot apply %s to a %s and a %s", op, TypeOf(a), TypeOf(b))
	}
	if aInt && bInt {
		return onInts(ai, bi)
	}
	return onReals(af, bf), nil
}

// strictNumber reads v as a number only when it is one: unlike comparisons, arithmetic does not
// read numbers out of strings (KQL rejects "1" + 1).
func strictNumber(v any) (i int64, f float64, isInt, ok bool) {
	if isNumber(v) {
		return number(v)
	}
	return 0, 0, false, false
}
