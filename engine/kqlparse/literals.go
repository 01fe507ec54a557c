package kqlparse

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// tick is KQL's datetime and timespan resolution.
// https://learn.microsoft.com/kusto/query/scalar-data-types/timespan
const tick = 100 * time.Nanosecond

func (p *parser) numberLiteral(t token) Expr {
	text := t.text
	isHex := strings.HasPrefix(text, "0x") || strings.HasPrefix(text, "0X")
	if !isHex && strings.ContainsAny(text, ".eE") {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			p.failAt(t.pos, "%q is not a real number", text)
		}
		return &Literal{Pos: t.pos, Kind: LitReal, Type: "real", Value: f, Text: text}
	}
	n, err := strconv.ParseInt(text, 0, 64)
	if err != nil {
		p.failAt(t.pos, "%q does not fit a long (64-bit integer)", text)
	}
	return &Literal{Pos: t.pos, Kind: LitInt, Type: "long", Value: n, Text: text}
}

// stringLiteral reads one string literal, or several adjacent ones, which KQL joins into one.
func (p *parser) stringLiteral() Expr {
	first := p.advance()
	lit := &Literal{Pos: first.pos, Kind: LitString, Type: "string", Value: first.value, Text: first.text,
		Obfuscated: strings.HasPrefix(first.text, "h") || strings.HasPrefix(first.text, "H")}
	for p.tok().kind == tokString {
		t := p.advance()
		lit.Value = lit.Value.(string) + t.value
		lit.Text += " " + t.text
	}
	return lit
}

// typedLiteral decodes datetime(...), date(...), time(...), timespan(...) and guid(...).
func (p *parser) typedLiteral(t token) Expr {
	raw := strings.TrimSpace(t.raw)
	lit := &Literal{Pos: t.pos, Text: t.text}
	if unq, ok := unquote(raw); ok {
		raw = unq
		if m := placeholder.FindStringSubmatch(raw); m != nil {
			lit.Kind, lit.Type, lit.Placeholder = typedKinds[t.value], typedTypes[t.value], m[1]
			return lit
		}
	}
	switch t.value {
	case "datetime", "date":
		lit.Type = "datetime"
		if raw == "null" {
			lit.Kind = LitNull
			return lit
		}
		v, err := parseDatetime(raw)
		if err != nil {
			p.failAt(t.rawAt, "%v", err)
		}
		lit.Kind, lit.Value = LitDatetime, v
	case "time", "timespan":
		lit.Type = "timespan"
		if raw == "null" {
			lit.Kind = LitNull
			return lit
		}
		v, err := parseTimespanText(raw)
		if err != nil {
			p.failAt(t.rawAt, "%v", err)
		}
		lit.Kind, lit.Value = LitTimespan, v
	case "guid":
		lit.Type = "guid"
		if raw == "null" {
			lit.Kind = LitNull
			return lit
		}
		if !isGUID(raw) {
			p.failAt(t.rawAt, "%q is not a guid (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", raw)
		}
		lit.Kind, lit.Value = LitGuid, strings.ToLower(raw)
	}
	return lit
}

// placeholder is a Sentinel hunting-query parameter, which the portal substitutes before the
// query runs: timespan('{{StartTimeISO}}').
var placeholder = regexp.MustCompile(`^\{\{(\w+)\}\}$`)

var typedKinds = map[string]LitKind{"datetime": LitDatetime, "date": LitDatetime, "time": LitTimespan, "timespan": LitTimespan, "guid": LitGuid}
var typedTypes = map[string]string{"datetime": "datetime", "date": "datetime", "time": "timespan", "timespan": "timespan", "guid": "guid"}

// unquote strips one pair of matching quotes: datetime("2024-01-01") reads as datetime(2024-01-01).
func unquote(s string) (string, bool) {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1], true
	}
	return s, false
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// datetimeLayouts are the ISO 8601 forms KQL accepts in datetime(...), UTC unless an offset is
// given. https://learn.microsoft.com/kusto/query/scalar-data-types/datetime
var datetimeLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
	"2006-01",
	"2006",
	time.RFC1123,
	time.RFC1123Z,
	time.RFC850,
	"Mon, 2 Jan 2006 15:04:05 MST",
	"2 Jan 2006 15:04:05 MST",
	"2006/01/02 15:04:05",
	"2006/01/02",
}

func parseDatetime(s string) (time.Time, error) {
	for _, layout := range datetimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Truncate(tick), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a datetime KQL reads (e.g. 2024-01-31, 2024-01-31 10:00, 2024-01-31T10:00:00Z)", s)
}

// timespanUnitDurations gives each unit suffix's length (grammar/KqlTokens.g4, TIMESPANLITERAL;
// units are lower-case).
var timespanUnitDurations = map[string]time.Duration{
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"m": time.Minute, "min": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"s": time.Second, "sec": time.Second, "second": time.Second, "seconds": time.Second,
	"ms": time.Millisecond, "milli": time.Millisecond, "millis": time.Millisecond,
	"millisec": time.Millisecond, "millisecond": time.Millisecond, "milliseconds": time.Millisecond,
	"micro": time.Microsecond, "micros": time.Microsecond, "microsec": time.Microsecond,
	"microsecond": time.Microsecond, "microseconds": time.Microsecond,
	"nano": time.Nanosecond, "nanos": time.Nanosecond, "nanosec": time.Nanosecond,
	"nanosecond": time.Nanosecond, "nanoseconds": time.Nanosecond,
	"tick": tick, "ticks": tick,
}

// parseTimespanUnit reads 5m, 1.5h, 100ms, 1tick: a number and a unit, rounded to the tick.
func parseTimespanUnit(s string) (time.Duration, error) {
	i := 0
	for i < len(s) && (isDigit(s[i]) || s[i] == '.') {
		i++
	}
	unit, ok := timespanUnitDurations[s[i:]]
	n, err := strconv.ParseFloat(s[:i], 64)
	if !ok || err != nil {
		return 0, fmt.Errorf("%q is not a timespan (a number and d, h, m, s, ms, microsecond or tick)", s)
	}
	v := n * float64(unit)
	if math.Abs(v) > math.MaxInt64 {
		return 0, fmt.Errorf("timespan %q is too long", s)
	}
	return time.Duration(math.Round(v/float64(tick))) * tick, nil
}

// parseTimespanText reads what timespan(...) and time(...) hold: a unit form (5m), a number of
// days (2), or [-][d.]hh:mm[:ss[.fffffff]].
func parseTimespanText(s string) (time.Duration, error) {
	if d, err := parseTimespanUnit(s); err == nil {
		return d, nil
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "eE") {
		return parseTimespanUnit(strconv.FormatFloat(n, 'f', -1, 64) + "d")
	}
	bad := fmt.Errorf("%q is not a timespan (5m, 1.5h, 2, or [d.]hh:mm[:ss[.fffffff]])", s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var days int64
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, bad
	}
	if dot := strings.IndexByte(parts[0], '.'); dot >= 0 {
		d, err := strconv.ParseInt(parts[0][:dot], 10, 32)
		if err != nil {
			return 0, bad
		}
		days, parts[0] = d, parts[0][dot+1:]
	}
	h, err1 := strconv.ParseInt(parts[0], 10, 32)
	m, err2 := strconv.ParseInt(parts[1], 10, 32)
	if err1 != nil || err2 != nil || h > 23 || m > 59 {
		return 0, bad
	}
	d := time.Duration(days)*24*time.Hour + time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
	if len(parts) == 3 {
		sec, err := strconv.ParseFloat(parts[2], 64)
		if err != nil || sec >= 60 || sec < 0 {
			return 0, bad
		}
		d += time.Duration(math.Round(sec*float64(time.Second)/float64(tick))) * tick
	}
	if neg {
		d = -d
	}
	return d, nil
}

// literalConstructors are the type names that also write literals: int(5), long(null),
// real(1.5), real(nan), bool(true), decimal(1.5).
var literalConstructors = map[string]string{
	"int": "int", "long": "long", "real": "real", "double": "real", "bool": "bool",
	"boolean": "bool", "decimal": "decimal",
}

// scalarTypedLiteral turns int(5), real(null), bool(true)... into a Literal; other calls give nil.
func (p *parser) scalarTypedLiteral(c *Call) *Literal {
	ty, ok := literalConstructors[c.Fn.Name]
	if !ok || len(c.Args) != 1 {
		return nil
	}
	lit := &Literal{Pos: c.Pos, Type: ty, Text: c.Fn.Name + "(...)"}
	arg := c.Args[0]
	neg := false
	if u, ok := arg.(*Unary); ok {
		neg, arg = u.Op == "-", u.X
	}
	switch a := arg.(type) {
	case *Ident:
		switch {
		case a.Name == "null":
			lit.Kind = LitNull
		case ty == "real" && (a.Name == "nan" || a.Name == "inf"):
			v := math.NaN()
			if a.Name == "inf" {
				v = math.Inf(1)
				if neg {
					v = math.Inf(-1)
				}
			}
			lit.Kind, lit.Value = LitReal, v
		default:
			p.failAt(a.Pos, "%s(...) takes a constant, not %s", c.Fn.Name, a.Name)
		}
	case *Literal:
		switch {
		case ty == "bool" && a.Kind == LitBool:
			lit.Kind, lit.Value = LitBool, a.Value
		case (ty == "int" || ty == "long") && a.Kind == LitInt:
			v := a.Value.(int64)
			if neg {
				v = -v
			}
			if ty == "int" && (v > math.MaxInt32 || v < math.MinInt32) {
				p.failAt(a.Pos, "%d does not fit an int (32-bit)", v)
			}
			lit.Kind, lit.Value = LitInt, v
		case ty == "real" && (a.Kind == LitInt || a.Kind == LitReal):
			v, _ := strconv.ParseFloat(a.Text, 64)
			if a.Kind == LitInt {
				v = float64(a.Value.(int64))
			}
			if neg {
				v = -v
			}
			lit.Kind, lit.Value = LitReal, v
		case ty == "decimal" && (a.Kind == LitInt || a.Kind == LitReal):
			v := a.Text
			if neg {
				v = "-" + v
			}
			lit.Kind, lit.Value = LitDecimal, v
		default:
			p.failAt(a.Pos, "%s(...) cannot hold %s", c.Fn.Name, a.Text)
		}
	default:
		// bool(x), real(x) with an expression are not KQL; leave the call for a checker to report.
		return nil
	}
	return lit
}

// dynamicLiteral reads dynamic(null), dynamic([...]), dynamic({...}) and dynamic(scalar).
// https://learn.microsoft.com/kusto/query/scalar-data-types/dynamic
func (p *parser) dynamicLiteral() Expr {
	t := p.advance()
	p.expectPunct("(", "after dynamic")
	from := p.i
	v := p.dynamicValue()
	lit := &Literal{Pos: t.pos, Kind: LitDynamic, Type: "dynamic", Value: v}
	lit.Text = "dynamic(" + p.textSince(from) + ")"
	p.expectPunct(")", "to close dynamic")
	return lit
}

// textSince joins the texts of the tokens from index from up to the current one, a space where
// the source had one: the written form of a dynamic literal.
func (p *parser) textSince(from int) string {
	var b strings.Builder
	for j := from; j < p.i; j++ {
		if j > from && p.toks[j].pos.Offset != p.toks[j-1].end {
			b.WriteByte(' ')
		}
		b.WriteString(p.toks[j].text)
	}
	return b.String()
}

func (p *parser) dynamicValue() any {
	p.enter()
	defer p.leave()
	t := p.tok()
	switch {
	case p.isPunct("["):
		p.advance()
		arr := []any{}
		for !p.isPunct("]") {
			arr = append(arr, p.dynamicValue())
			if !p.acceptPunct(",") {
				break
			}
		}
		p.expectPunct("]", "to close the dynamic array")
		return arr
	case p.isPunct("{"):
		p.advance()
		obj := map[string]any{}
		for !p.isPunct("}") {
			k := p.tok()
			if k.kind != tokString && k.kind != tokIdent {
				p.fail("expected a property name in the dynamic object, found %s", p.describe())
			}
			p.advance()
			p.expectPunct(":", "after the property name")
			obj[k.value] = p.dynamicValue()
			if !p.acceptPunct(",") {
				break
			}
		}
		p.expectPunct("}", "to close the dynamic object")
		return obj
	case t.kind == tokIdent && t.value == "null":
		p.advance()
		return nil
	case p.isPunct("-") || p.isPunct("+"):
		p.advance()
		v := p.dynamicValue()
		if t.text == "+" {
			return v
		}
		switch n := v.(type) {
		case int64:
			return -n
		case float64:
			return -n
		case time.Duration:
			return -n
		}
		p.failAt(t.pos, "a sign before a value that is not a number")
	}
	x := p.primary()
	lit, ok := x.(*Literal)
	if !ok || lit.Kind == LitDynamic {
		p.failAt(x.Position(), "a dynamic literal holds constants only ([...], {...}, numbers, strings, bools, null, datetime, timespan)")
	}
	return lit.Value
}
