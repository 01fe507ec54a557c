package kqlexpr

import (
	"fmt"
	"math"
	"time"

	"github.com/signin-detect/detect/engine/kql"
)

// Mathematical functions. A null argument gives null; so does a value outside the function's
// domain where Learn says so (the log of a negative number, the square root of one).
func init() {
	register(
		&Function{Name: "round", Params: []Param{{Name: "number", Type: Any}, {Name: "precision", Type: kql.Long, Optional: true}},
			Result: Any, ResultOf: numberType,
			Eval: func(_ *Context, a []any) (any, error) {
				precision := int64(0)
				if len(a) > 1 {
					p, ok := kql.ToLong(a[1])
					if !ok {
						return nil, nil
					}
					precision = p
				}
				return round(normaliseInt(a[0]), precision)
			},
			Learn: "https://learn.microsoft.com/kusto/query/round-function", Doc: "number rounded to precision digits after the point (default 0; negative rounds to tens, hundreds, ...), halves away from zero (`round(2.15, 1)` is 2.2, `round(-50.55, -2)` is -100); a long stays a long"},
		&Function{Name: "ceiling", Params: []Param{{Name: "number", Type: Any}}, Result: Any, ResultOf: numberType,
			Eval:  onNumber("ceiling", func(i int64) any { return i }, math.Ceil),
			Learn: "https://learn.microsoft.com/kusto/query/ceiling-function", Doc: "the smallest whole number greater than or equal to number, of number's type"},
		&Function{Name: "abs", Params: []Param{{Name: "x", Type: Any}}, Result: Any, ResultOf: func(args []kql.Type) kql.Type { return args[0] },
			Eval: func(_ *Context, a []any) (any, error) {
				if d, ok := a[0].(time.Duration); ok {
					if d < 0 {
						return -d, nil
					}
					return d, nil
				}
				return onNumber("abs", func(i int64) any {
					if i < 0 {
						return -i
					}
					return i
				}, math.Abs)(nil, a)
			},
			Learn: "https://learn.microsoft.com/kusto/query/abs-function", Doc: "the absolute value of a number or timespan, of its type"},
		&Function{Name: "sign", Params: []Param{{Name: "number", Type: Any}}, Result: Any, ResultOf: numberType,
			Eval: onNumber("sign", func(i int64) any {
				switch {
				case i > 0:
					return int64(1)
				case i < 0:
					return int64(-1)
				}
				return int64(0)
			}, func(f float64) float64 {
				switch {
				case f > 0:
					return 1
				case f < 0:
					return -1
				}
				return 0
			}),
			Learn: "https://learn.microsoft.com/kusto/query/sign-function", Doc: "-1, 0 or 1 as number is negative, zero or positive, of number's type"},
		&Function{Name: "sqrt", Params: []Param{{Name: "number", Type: kql.Real}}, Result: kql.Real,
			Eval:  onReal(func(f float64) (float64, bool) { return math.Sqrt(f), f >= 0 }),
			Learn: "https://learn.microsoft.com/kusto/query/sqrt-function", Doc: "the square root; null for a negative number"},
		&Function{Name: "log", Params: []Param{{Name: "number", Type: kql.Real}}, Result: kql.Real,
			Eval:  onReal(func(f float64) (float64, bool) { return math.Log(f), f >= 0 }),
			Learn: "https://learn.microsoft.com/kusto/query/log-function", Doc: "the natural logarithm; null for a negative number"},
		&Function{Name: "log10", Params: []Param{{Name: "number", Type: kql.Real}}, Result: kql.Real,
			Eval:  onReal(func(f float64) (float64, bool) { return math.Log10(f), f >= 0 }),
			Learn: "https://learn.microsoft.com/kusto/query/log10-function", Doc: "the base-10 logarithm; null for a negative number"},
		&Function{Name: "log2", Params: []Param{{Name: "number", Type: kql.Real}}, Result: kql.Real,
			Eval:  onReal(func(f float64) (float64, bool) { return math.Log2(f), f >= 0 }),
			Learn: "https://learn.microsoft.com/kusto/query/log2-function", Doc: "the base-2 logarithm; null for a negative number"},
		&Function{Name: "exp", Params: []Param{{Name: "x", Type: kql.Real}}, Result: kql.Real,
			Eval:  onReal(func(f float64) (float64, bool) { return math.Exp(f), true }),
			Learn: "https://learn.microsoft.com/kusto/query/exp-function", Doc: "e to the power x"},
		&Function{Name: "exp2", Params: []Param{{Name: "x", Type: kql.Real}}, Result: kql.Real,
			Eval:  onReal(func(f float64) (float64, bool) { return math.Exp2(f), true }),
			Learn: "https://learn.microsoft.com/kusto/query/exp2-function", Doc: "2 to the power x"},
		&Function{Name: "exp10", Params: []Param{{Name: "x", Type: kql.Real}}, Result: kql.Real,
			Eval:  onReal(func(f float64) (float64, bool) { return math.Pow(10, f), true }),
			Learn: "https://learn.microsoft.com/kusto/query/exp10-function", Doc: "10 to the power x"},
		&Function{Name: "pow", Params: []Param{{Name: "base", Type: kql.Real}, {Name: "exponent", Type: kql.Real}}, Result: kql.Real,
			Eval: func(_ *Context, a []any) (any, error) {
				b, ok1 := realOf(a[0])
				e, ok2 := realOf(a[1])
				if !ok1 || !ok2 {
					return nil, nil
				}
				return math.Pow(b, e), nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/pow-function", Doc: "base raised to the power exponent, a real"},
		&Function{Name: "max_of", Params: []Param{{Name: "arg1", Type: Any}, {Name: "arg2", Type: Any, Variadic: true}}, Result: Any, ResultOf: sameTypeOf(),
			Eval:  extremeOf(1),
			Learn: "https://learn.microsoft.com/kusto/query/max-of-function", Doc: "the largest of the arguments (2 to 64, of one type), nulls ignored; null when all are"},
		&Function{Name: "min_of", Params: []Param{{Name: "arg1", Type: Any}, {Name: "arg2", Type: Any, Variadic: true}}, Result: Any, ResultOf: sameTypeOf(),
			Eval:  extremeOf(-1),
			Learn: "https://learn.microsoft.com/kusto/query/min-of-function", Doc: "the smallest of the arguments (2 to 64, of one type), nulls ignored; null when all are"},
	)
}

// numberType is the result type of a function that keeps its number's type: a long stays a long,
// anything else is a real.
func numberType(args []kql.Type) kql.Type {
	switch args[0] {
	case kql.Long, kql.Int:
		return kql.Long
	case kql.Real:
		return kql.Real
	}
	return Any
}

// realOf reads a number argument as a real: numbers only, not their text.
func realOf(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// onNumber makes the Eval of a function of one number that keeps its type.
func onNumber(name string, onLong func(int64) any, onReal func(float64) float64) func(*Context, []any) (any, error) {
	return func(_ *Context, a []any) (any, error) {
		switch x := a[0].(type) {
		case nil:
			return nil, nil
		case int:
			return onLong(int64(x)), nil
		case int64:
			return onLong(x), nil
		case float64:
			return onReal(x), nil
		}
		return nil, fmt.Errorf("%s takes a number, not a %s", name, kql.TypeOf(a[0]))
	}
}

// onReal makes the Eval of a function of one real; ok false gives null.
func onReal(fn func(float64) (float64, bool)) func(*Context, []any) (any, error) {
	return func(_ *Context, a []any) (any, error) {
		if a[0] == nil {
			return nil, nil
		}
		f, ok := realOf(a[0])
		if !ok {
			return nil, fmt.Errorf("takes a number, not a %s", kql.TypeOf(a[0]))
		}
		v, ok := fn(f)
		if !ok {
			return nil, nil
		}
		return v, nil
	}
}

// round rounds halves away from zero, scaling by a power of ten first, which gives Learn's
// round(2.15, 1) = 2.2 (2.15 * 10 is 21.5 in floating point).
func round(v any, precision int64) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case int64:
		if precision >= 0 {
			return x, nil
		}
		if precision < -18 {
			return int64(0), nil
		}
		unit := int64(math.Pow10(int(-precision)))
		q := x / unit
		if r := x % unit; 2*abs64(r) >= unit {
			if x < 0 {
				q--
			} else {
				q++
			}
		}
		return q * unit, nil
	case float64:
		if precision > 300 || precision < -300 {
			return x, nil
		}
		if precision >= 0 {
			scale := math.Pow10(int(precision))
			return math.Round(x*scale) / scale, nil
		}
		scale := math.Pow10(int(-precision))
		return math.Round(x/scale) * scale, nil
	}
	return nil, fmt.Errorf("round takes a number, not a %s", kql.TypeOf(v))
}

func abs64(i int64) int64 {
	if i < 0 {
		return -i
	}
	return i
}

// extremeOf is max_of (sign 1) and min_of (sign -1): the extreme non-null argument.
func extremeOf(sign int) func(*Context, []any) (any, error) {
	return func(_ *Context, a []any) (any, error) {
		var best any
		for _, v := range a {
			v = normaliseInt(v)
			if v == nil {
				continue
			}
			if best == nil {
				best = v
				continue
			}
			c, ok := kql.Compare(v, best)
			if !ok {
				return nil, fmt.Errorf("cannot compare a %s and a %s", kql.TypeOf(v), kql.TypeOf(best))
			}
			if c*sign > 0 {
				best = v
			}
		}
		return best, nil
	}
}
