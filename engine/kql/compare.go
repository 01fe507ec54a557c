package kql

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ToString converts a value as tostring() does: null is "", a datetime prints with seven
// fractional digits, a dynamic object or array prints as compact JSON.
// https://learn.microsoft.com/kusto/query/tostring-function
func ToString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case time.Time:
		return FormatDatetime(x)
	case time.Duration:
		return FormatTimespan(x)
	}
	return compactJSON(v)
}

// compactJSON writes a dynamic value as KQL prints it: compact, and with <, > and & as they are
// (Go's encoder would write them as \u003c, \u003e, \u0026).
func compactJSON(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// FormatTimespan prints a timespan as KQL does: [-][d.]hh:mm:ss[.fffffff].
func FormatTimespan(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h, m, s := d/time.Hour, (d%time.Hour)/time.Minute, (d%time.Minute)/time.Second
	ticks := (d % time.Second) / Tick
	out := sign
	if days > 0 {
		out += strconv.FormatInt(int64(days), 10) + "."
	}
	out += twoDigits(int64(h)) + ":" + twoDigits(int64(m)) + ":" + twoDigits(int64(s))
	if ticks > 0 {
		frac := strconv.FormatInt(int64(ticks)+1e7, 10)[1:]
		out += "." + frac
	}
	return out
}

func twoDigits(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// number reads v as a number: int64 or float64 values, and strings whose whole text is one
// (so a string column compared with 0 matches the text "0"). ok is false for anything else.
func number(v any) (i int64, f float64, isInt, ok bool) {
	switch x := v.(type) {
	case int64:
		return x, float64(x), true, true
	case int:
		return int64(x), float64(x), true, true
	case float64:
		return 0, x, false, true
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			return n, float64(n), true, true
		}
		if n, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil && !math.IsNaN(n) {
			return 0, n, false, true
		}
	}
	return 0, 0, false, false
}

func isNumber(v any) bool {
	switch v.(type) {
	case int64, int, float64:
		return true
	}
	return false
}

// Equal is KQL's == : case-sensitive for strings; a string compared with a number matches when its
// text is that number (ResultType == 0); a string compared with any other non-string value
// compares with that value's tostring() (a dynamic true equals "true"); null equals nothing, not
// even null (null == null is null, which a where treats as false).
// https://learn.microsoft.com/kusto/query/datatypes-string-operators
// https://learn.microsoft.com/kusto/query/scalar-data-types/null-values
func Equal(a, b any) bool {
	if a == nil || b == nil {
		return false
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return x == y
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Equal(y)
		}
		return false
	case time.Duration:
		if y, ok := b.(time.Duration); ok {
			return x == y
		}
		return false
	case bool:
		if y, ok := b.(bool); ok {
			return x == y
		}
	}
	if isNumber(a) || isNumber(b) {
		ai, af, aInt, aok := number(a)
		bi, bf, bInt, bok := number(b)
		if !aok || !bok {
			return false
		}
		if aInt && bInt {
			return ai == bi
		}
		return af == bf
	}
	return ToString(a) == ToString(b)
}

// NotEqual is KQL's != : a null compared with a non-null value is unequal (true); two nulls give
// null, which a where treats as false.
// https://learn.microsoft.com/kusto/query/scalar-data-types/null-values
func NotEqual(a, b any) bool {
	if a == nil && b == nil {
		return false
	}
	if a == nil || b == nil {
		return true
	}
	return !Equal(a, b)
}

// Compare orders a and b for <, <=, > and >=. ok is false when either is null or they are not
// comparable, in which case every ordering predicate is false, as KQL's null comparisons are.
func Compare(a, b any) (cmp int, ok bool) {
	if a == nil || b == nil {
		return 0, false
	}
	switch x := a.(type) {
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y), true
		}
		return 0, false
	case time.Duration:
		if y, ok := b.(time.Duration); ok {
			return compareOrdered(x, y), true
		}
		return 0, false
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), true
		}
	}
	ai, af, aInt, aok := number(a)
	bi, bf, bInt, bok := number(b)
	if !aok || !bok {
		return 0, false
	}
	if aInt && bInt {
		return compareOrdered(ai, bi), true
	}
	if math.IsNaN(af) || math.IsNaN(bf) {
		return 0, false
	}
	return compareOrdered(af, bf), true
}

func compareOrdered[T int64 | float64 | time.Duration](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Contains is KQL's contains: whether needle occurs in haystack ignoring case, both read as
// strings.
// https://learn.microsoft.com/kusto/query/datatypes-string-operators
func Contains(haystack, needle any) bool {
	return indexFold(ToString(haystack), ToString(needle)) >= 0
}

// StartsWith is KQL's startswith, which ignores case.
func StartsWith(s, prefix any) bool {
	h, p := ToString(s), ToString(prefix)
	return len(h) >= len(p) && strings.EqualFold(h[:len(p)], p)
}

// EndsWith is KQL's endswith, which ignores case.
func EndsWith(s, suffix any) bool {
	h, p := ToString(s), ToString(suffix)
	return len(h) >= len(p) && strings.EqualFold(h[len(h)-len(p):], p)
}

// indexFold finds needle in haystack ignoring case without allocating for ASCII text.
func indexFold(haystack, needle string) int {
	if needle == "" {
		return 0
	}
	if !isASCII(haystack) || !isASCII(needle) {
		return strings.Index(strings.ToLower(haystack), strings.ToLower(needle))
	}
	first := lowerASCII(needle[0])
	for i := 0; i+len(needle) <= len(haystack); i++ {
		if lowerASCII(haystack[i]) != first {
			continue
		}
		if asciiEqualFold(haystack[i:i+len(needle)], needle) {
			return i
		}
	}
	return -1
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func asciiEqualFold(a, b string) bool {
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

// Set is the right-hand side of in (or in~): a list whose string members are also kept in a map
// (lower-cased for in~), so that membership of a string costs one lookup however long the list is.
type Set struct {
	items   []any
	strings map[string]struct{}
	mixed   bool
	fold    bool
}

// NewSet makes a Set of items for in.
func NewSet(items []any) *Set { return newSet(items, false) }

// NewFoldSet makes a Set of items for in~, which ignores case.
func NewFoldSet(items []any) *Set { return newSet(items, true) }

func newSet(items []any, fold bool) *Set {
	s := &Set{items: items, strings: make(map[string]struct{}, len(items)), fold: fold}
	for _, it := range items {
		if str, ok := it.(string); ok {
			if fold {
				str = strings.ToLower(str)
			}
			s.strings[str] = struct{}{}
		} else {
			s.mixed = true
		}
	}
	return s
}

// Len is how many items the set was made of.
func (s *Set) Len() int { return len(s.items) }

// In is KQL's in: v equals (==, so case-sensitively) any member of list. list is a *Set, a slice,
// or a single value.
// https://learn.microsoft.com/kusto/query/in-operator
func In(v any, list any) bool {
	switch l := list.(type) {
	case *Set:
		if s, ok := v.(string); ok && !l.mixed && !l.fold {
			_, found := l.strings[s]
			return found
		}
		return inSliceBy(v, l.items, Equal)
	case []any:
		return inSliceBy(v, l, Equal)
	case []string:
		for _, it := range l {
			if Equal(v, it) {
				return true
			}
		}
		return false
	}
	return Equal(v, list)
}

func inSliceBy(v any, items []any, equal func(a, b any) bool) bool {
	for _, it := range items {
		if equal(v, it) {
			return true
		}
	}
	return false
}

// ToLong converts as tolong(): a real is truncated toward zero, a numeric string parsed, a bool is
// 0 or 1; ok is false (null in KQL) for anything else and for a value outside long's range, never
// a wrapped or clamped number.
// https://learn.microsoft.com/kusto/query/tolong-function
func ToLong(v any) (int64, bool) {
	if b, ok := v.(bool); ok {
		if b {
			return 1, true
		}
		return 0, true
	}
	i, f, isInt, ok := number(v)
	if !ok {
		return 0, false
	}
	if isInt {
		return i, true
	}
	// 2^63 is exactly representable; every float below it and at or above -2^63 converts.
	if math.IsNaN(f) || f >= math.MaxInt64 || f < math.MinInt64 {
		return 0, false
	}
	return int64(f), true
}

// ToInt converts as toint(): as tolong(), then null (ok false) when the value is outside int's
// 32 bits.
// https://learn.microsoft.com/kusto/query/toint-function
func ToInt(v any) (int64, bool) {
	n, ok := ToLong(v)
	if !ok || n < math.MinInt32 || n > math.MaxInt32 {
		return 0, false
	}
	return n, true
}

// ToReal converts as todouble() and toreal(): a number, a numeric string, a bool as 0 or 1; ok is
// false for anything else.
// https://learn.microsoft.com/kusto/query/todouble-function
func ToReal(v any) (float64, bool) {
	if b, ok := v.(bool); ok {
		if b {
			return 1, true
		}
		return 0, true
	}
	_, f, _, ok := number(v)
	return f, ok
}

// ToBool converts as tobool(): a bool as it is, a number as whether it is not 0, the text "true"
// or "false" in any case; ok is false for anything else.
// https://learn.microsoft.com/kusto/query/tobool-function
func ToBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
		return false, false
	}
	if _, f, _, ok := strictNumber(v); ok {
		return f != 0, true
	}
	return false, false
}
