package kqlimport

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/signin-detect/detect/engine/kqlparse"
)

// Expressions: a KQL scalar expression becomes rule expression text (expr-lang syntax with KQL's
// functions, README "Expressions"). Every KQL operator has one entry in binaryOps; a function
// keeps its KQL name and is written as called, so a function the engine gains translates with no
// change here; the few whose arguments are written differently have an entry in callForms.

// Precedence of the rule language's operators (expr-lang's order): a sub-expression of lower
// precedence than its place needs is wrapped in parentheses. Atoms are calls, names, literals,
// member and index access.
const (
	precOr = iota + 1
	precAnd
	precCompare
	precAdd
	precMul
	precUnary
	precAtom
)

// binaryOp says how one KQL binary operator is written: infix as Infix at Prec, or as a call of
// Func(x, y); Negate puts `not` before it (KQL's !-operators).
// https://learn.microsoft.com/kusto/query/datatypes-string-operators
// https://learn.microsoft.com/kusto/query/logical-operators
// https://learn.microsoft.com/kusto/query/numerical-operators
type binaryOp struct {
	Infix  string
	Prec   int
	Func   string
	Negate bool
}

var binaryOps = map[string]binaryOp{
	"or": {Infix: "or", Prec: precOr}, "and": {Infix: "and", Prec: precAnd},
	"==": {Infix: "==", Prec: precCompare}, "!=": {Infix: "!=", Prec: precCompare}, "<>": {Infix: "!=", Prec: precCompare},
	"<": {Infix: "<", Prec: precCompare}, "<=": {Infix: "<=", Prec: precCompare},
	">": {Infix: ">", Prec: precCompare}, ">=": {Infix: ">=", Prec: precCompare},
	"+": {Infix: "+", Prec: precAdd}, "-": {Infix: "-", Prec: precAdd},
	"*": {Infix: "*", Prec: precMul}, "/": {Infix: "/", Prec: precMul}, "%": {Infix: "%", Prec: precMul},
	"=~": {Func: "equals_ci"}, "!~": {Func: "equals_ci", Negate: true},
	"contains": {Infix: "contains", Prec: precCompare}, "!contains": {Infix: "contains", Prec: precCompare, Negate: true},
	"startswith": {Infix: "startsWith", Prec: precCompare}, "!startswith": {Infix: "startsWith", Prec: precCompare, Negate: true},
	"endswith": {Infix: "endsWith", Prec: precCompare}, "!endswith": {Infix: "endsWith", Prec: precCompare, Negate: true},
	"matches regex": {Infix: "matches", Prec: precCompare},
	"has":           {Func: "has"}, "!has": {Func: "has", Negate: true},
	"has_cs": {Func: "has_cs"}, "!has_cs": {Func: "has_cs", Negate: true},
	"contains_cs": {Func: "contains_cs"}, "!contains_cs": {Func: "contains_cs", Negate: true},
	"startswith_cs": {Func: "startswith_cs"}, "!startswith_cs": {Func: "startswith_cs", Negate: true},
	"endswith_cs": {Func: "endswith_cs"}, "!endswith_cs": {Func: "endswith_cs", Negate: true},
	"hasprefix": {Func: "hasprefix"}, "!hasprefix": {Func: "hasprefix", Negate: true},
	"hassuffix": {Func: "hassuffix"}, "!hassuffix": {Func: "hassuffix", Negate: true},
	"hasprefix_cs": {Func: "hasprefix_cs"}, "!hasprefix_cs": {Func: "hasprefix_cs", Negate: true},
	"hassuffix_cs": {Func: "hassuffix_cs"}, "!hassuffix_cs": {Func: "hassuffix_cs", Negate: true},
	"like": {Func: "like"}, "!like": {Func: "like", Negate: true},
}

// inOps are the list operators: infix `in` / `not in`, or a call Func(x, [list]).
// https://learn.microsoft.com/kusto/query/in-operator
// https://learn.microsoft.com/kusto/query/has-anyoperator
var inOps = map[string]binaryOp{
	"in": {Infix: "in", Prec: precCompare}, "!in": {Infix: "not in", Prec: precCompare},
	"in~": {Func: "in_ci"}, "!in~": {Func: "in_ci", Negate: true},
	"has_any": {Func: "has_any"}, "has_all": {Func: "has_all"},
}

// callForm changes how a function's arguments are written: the arguments at TimespanText are
// timespan literals the rule language writes as their text ("6h"), as ago("6h") and
// bin(TimeGenerated, "1h") take them.
type callForm struct {
	TimespanText []int
}

var callForms = map[string]callForm{
	"ago": {TimespanText: []int{0}},
	"bin": {TimespanText: []int{1}},
}

// exprName is what the rule language reads as a name.
var exprName = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)

// exprWords are names expr-lang reads as operators or constants, which a column may not be called.
var exprWords = map[string]bool{"and": true, "or": true, "not": true, "in": true, "matches": true,
	"contains": true, "startsWith": true, "endsWith": true, "nil": true, "true": true, "false": true,
	"let": true, "if": true, "else": true}

// scalar translates a scalar expression, returning its text and precedence.
func (t *translator) scalar(x kqlparse.Expr) (string, int, error) {
	switch x := x.(type) {
	case *kqlparse.Paren:
		return t.scalar(x.X)
	case *kqlparse.Ident:
		return t.name(x)
	case *kqlparse.Literal:
		s, err := t.literal(x, false)
		return s, precAtom, err
	case *kqlparse.Binary:
		op, ok := binaryOps[x.Op]
		if !ok {
			return "", 0, t.refuse(x, "the operator "+x.Op)
		}
		return t.binary(op, x.Op, x.X, x.Y)
	case *kqlparse.Unary:
		s, err := t.operand(x.X, precAtom)
		if err != nil {
			return "", 0, err
		}
		if x.Op == "+" {
			return s, precAtom, nil
		}
		return x.Op + s, precUnary, nil
	case *kqlparse.In:
		return t.in(x)
	case *kqlparse.Between:
		return t.between(x)
	case *kqlparse.Call:
		return t.call(x)
	case *kqlparse.Member:
		base, err := t.operand(x.X, precAtom)
		if err != nil {
			return "", 0, err
		}
		if exprName.MatchString(x.Name.Name) && !exprWords[x.Name.Name] {
			return base + "." + x.Name.Name, precAtom, nil
		}
		return base + "[" + quote(x.Name.Name) + "]", precAtom, nil
	case *kqlparse.Index:
		base, err := t.operand(x.X, precAtom)
		if err != nil {
			return "", 0, err
		}
		i, _, err := t.scalar(x.Index)
		if err != nil {
			return "", 0, err
		}
		return base + "[" + i + "]", precAtom, nil
	case *kqlparse.NamedArg:
		return "", 0, t.refuse(x, "a named argument ("+x.Name.Name+" = ...)")
	case *kqlparse.TypeOf:
		// typeof(string), as extractjson's third argument: the rule language writes it as KQL does.
		if len(x.Columns) > 0 || !slices.Contains(paramTypes, x.Type) {
			return "", 0, t.refuse(x, "typeof()")
		}
		return "typeof(" + x.Type + ")", precAtom, nil
	}
	return "", 0, t.refuse(x, "a tabular expression inside a scalar expression")
}

// operand translates x for a place that needs at least precedence prec.
func (t *translator) operand(x kqlparse.Expr, prec int) (string, error) {
	s, p, err := t.scalar(x)
	if err != nil {
		return "", err
	}
	if p < prec {
		return "(" + s + ")", nil
	}
	return s, nil
}

func (t *translator) expr(x kqlparse.Expr) (string, error) {
	s, _, err := t.scalar(x)
	return s, err
}

func (t *translator) binary(op binaryOp, kqlOp string, x, y kqlparse.Expr) (string, int, error) {
	if op.Func != "" {
		if !knownFunction(op.Func) {
			return "", 0, t.refuse(x, "the operator "+kqlOp)
		}
		a, err := t.expr(x)
		if err != nil {
			return "", 0, err
		}
		b, err := t.expr(y)
		if err != nil {
			return "", 0, err
		}
		return negate(op.Negate, op.Func+"("+a+", "+b+")", precAtom)
	}
	// and/or are associative: a chain stays flat. The other operators are left-associative.
	left, right := op.Prec, op.Prec+1
	if op.Prec == precOr || op.Prec == precAnd {
		right = op.Prec
	}
	if op.Prec == precCompare {
		left = precCompare + 1 // KQL comparisons do not chain
	}
	a, err := t.operand(x, left)
	if err != nil {
		return "", 0, err
	}
	b, err := t.operand(y, right)
	if err != nil {
		return "", 0, err
	}
	return negate(op.Negate, a+" "+op.Infix+" "+b, op.Prec)
}

// negate writes `not` before s. KQL's negated string operators are false where the positive one
// is true and true elsewhere; strings are never null, so `not` gives the same rows.
// https://learn.microsoft.com/kusto/query/datatypes-string-operators
func negate(neg bool, s string, prec int) (string, int, error) {
	if !neg {
		return s, prec, nil
	}
	if prec < precAtom {
		s = "(" + s + ")"
	}
	return "not " + s, precUnary, nil
}

func unparen(x kqlparse.Expr) kqlparse.Expr {
	for {
		p, ok := x.(*kqlparse.Paren)
		if !ok {
			return x
		}
		x = p.X
	}
}

func (t *translator) in(x *kqlparse.In) (string, int, error) {
	op, ok := inOps[x.Op]
	if !ok || (op.Func != "" && !knownFunction(op.Func)) {
		return "", 0, t.refuse(x, "the operator "+x.Op)
	}
	list, err := t.list(x.Values)
	if err != nil {
		return "", 0, err
	}
	if op.Func != "" {
		a, err := t.expr(x.X)
		if err != nil {
			return "", 0, err
		}
		return negate(op.Negate, op.Func+"("+a+", "+list+")", precAtom)
	}
	a, err := t.operand(x.X, precCompare+1)
	if err != nil {
		return "", 0, err
	}
	return a + " " + op.Infix + " " + list, precCompare, nil
}

// list writes the right side of a list operator: the name of a list (a lookup, a toscalar let or
// a list param) alone, else the elements in [...], a dynamic array literal's elements taking its
// place as KQL flattens them.
func (t *translator) list(values []kqlparse.Expr) (string, error) {
	if len(values) == 1 {
		if id, ok := unparen(values[0]).(*kqlparse.Ident); ok {
			if b := t.scope[id.Name]; b != nil && (b.kind == bindList || b.kind == bindScalarLet) {
				return b.name, nil
			}
			if b := t.scope[id.Name]; b != nil && b.kind == bindRows {
				// The values of the let's one column (README "Tables, lets and scalars").
				// https://learn.microsoft.com/kusto/query/in-operator
				if t.letting != "" {
					b.let.usedBy[t.letting] = true
				}
				return b.name, nil
			}
		}
	}
	var items []string
	for _, v := range values {
		if lit, ok := unparen(v).(*kqlparse.Literal); ok && lit.Kind == kqlparse.LitDynamic {
			if arr, ok := lit.Value.([]any); ok {
				for _, e := range arr {
					s, err := dynamicValue(e)
					if err != nil {
						return "", t.refuse(lit, err.Error())
					}
					items = append(items, s)
				}
				continue
			}
		}
		if isTabular(v) && len(values) == 1 {
			return t.hoistSubquery(v)
		}
		if isTabular(v) {
			return "", t.refuse(v, "a subquery in a list")
		}
		s, err := t.expr(v)
		if err != nil {
			return "", err
		}
		items = append(items, s)
	}
	return "[" + strings.Join(items, ", ") + "]", nil
}

// between is KQL's x between (lo .. hi); !between is true where x is outside the range and null
// where any operand is null, as every comparison with null is.
// https://learn.microsoft.com/kusto/query/between-operator
// https://learn.microsoft.com/kusto/query/notbetween-operator
func (t *translator) between(x *kqlparse.Between) (string, int, error) {
	var args []string
	for _, e := range []kqlparse.Expr{x.X, x.Low, x.High} {
		s, err := t.expr(e)
		if err != nil {
			return "", 0, err
		}
		args = append(args, s)
	}
	call := "between(" + strings.Join(args, ", ") + ")"
	if !x.Not {
		return call, precAtom, nil
	}
	var guards []string
	for _, a := range args {
		if !isConstant(a) {
			guards = append(guards, "isnotnull("+a+")")
		}
	}
	return strings.Join(append(guards, "not "+call), " and "), precAnd, nil
}

// isConstant tells literals written by literal() from other expressions.
func isConstant(s string) bool {
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return true
	}
	return strings.HasPrefix(s, `"`) || strings.HasPrefix(s, "totimespan(\"") || strings.HasPrefix(s, "todatetime(\"")
}

func (t *translator) call(c *kqlparse.Call) (string, int, error) {
	name := c.Fn.Name
	switch name {
	case "not":
		if len(c.Args) != 1 {
			return "", 0, t.refuse(c, "not() with other than one argument")
		}
		s, err := t.operand(c.Args[0], precAtom)
		if err != nil {
			return "", 0, err
		}
		return "not " + s, precUnary, nil
	case "toscalar":
		if len(c.Args) == 1 && isRows(c.Args[0], t.scope) {
			return t.hoistToscalar(c)
		}
		return "", 0, t.refuse(c, "toscalar() of a scalar")
	case "materialize":
		return "", 0, t.refuse(c, "materialize() inside an expression")
	case "todatetime", "totimespan":
		if s, ok, err := t.placeholderCall(c); ok {
			return s, precAtom, err
		}
	}
	if b := t.scope[name]; b != nil && b.kind != bindScalarFunc {
		return "", 0, t.refuse(c, "a call of the user function "+name)
	}
	if knownAggregate(name) && !knownFunction(name) {
		if !t.aggregating {
			return "", 0, t.refuse(c, "the aggregate "+name+"() outside summarize")
		}
	} else if !knownFunction(name) && t.scope[name] == nil {
		return "", 0, t.refuse(c, "the function "+name+"()")
	}
	form := callForms[name]
	var args []string
	for i, a := range c.Args {
		if id, ok := a.(*kqlparse.Ident); ok && id.Name == "*" {
			args = append(args, "*")
			continue
		}
		if lit, ok := unparen(a).(*kqlparse.Literal); ok && lit.Kind == kqlparse.LitTimespan && containsInt(form.TimespanText, i) {
			s, err := t.literal(lit, true)
			if err != nil {
				return "", 0, err
			}
			args = append(args, s)
			continue
		}
		if id, ok := unparen(a).(*kqlparse.Ident); ok && containsInt(form.TimespanText, i) {
			if b := t.scope[id.Name]; b != nil && b.kind == bindTimespanParam {
				args = append(args, b.name)
				continue
			}
		}
		s, err := t.expr(a)
		if err != nil {
			return "", 0, err
		}
		args = append(args, s)
	}
	return name + "(" + strings.Join(args, ", ") + ")", precAtom, nil
}

// hoistToscalar writes toscalar(rows) inside an expression as a toscalar let of its own, read
// by name where the call was: the value is the same, the first column of the first row, computed
// once (https://learn.microsoft.com/kusto/query/toscalar-function).
func (t *translator) hoistToscalar(c *kqlparse.Call) (string, int, error) {
	base := "scalar"
	if t.naming != "" {
		base = t.naming + "_scalar"
	}
	name := base
	for n := 2; t.scope[name] != nil; n++ {
		name = base + strconv.Itoa(n)
	}
	saved := t.letting
	t.letting = name
	src, err := t.rows(c.Args[0])
	t.letting = saved
	if err != nil {
		return "", 0, err
	}
	lr := &letRows{name: name, src: src, usedBy: map[string]bool{}}
	lr.key = key(name, commentText(fmt.Sprintf("toscalar(...) at %s, as a let of its own", c.Pos)))
	t.places[lr.key] = c.Pos
	lr.node = letNode(src, true)
	t.letOrder = append(t.letOrder, lr)
	t.scope[name] = &binding{kind: bindScalarLet, name: name}
	return name, precAtom, nil
}

// placeholder is a Sentinel hunting-query parameter written as a string: '{{StartTimeISO}}'.
var placeholder = regexp.MustCompile(`^\{\{(\w+)\}\}$`)

// hoistSubquery writes x in (T | ...) as a let of its own, read by name: the values of its
// first column (https://learn.microsoft.com/kusto/query/in-operator), computed once.
func (t *translator) hoistSubquery(x kqlparse.Expr) (string, error) {
	base := "subquery"
	if t.naming != "" {
		base = t.naming + "_subquery"
	}
	name := base
	for n := 2; t.scope[name] != nil; n++ {
		name = base + strconv.Itoa(n)
	}
	saved := t.letting
	t.letting = name
	src, err := t.rows(x)
	t.letting = saved
	if err != nil {
		return "", err
	}
	t.addHoisted(name, src, x.Position(), fmt.Sprintf("the subquery of in (...) at %s, as a let of its own", x.Position()))
	return name, nil
}

// hoistRows writes rows already translated (a join's right side that is a union) as a let of
// their own, named after the let they are in, and returns its name.
func (t *translator) hoistRows(src *source, pos kqlparse.Pos, what string) string {
	base := what
	if t.naming != "" {
		base = t.naming + "_" + what
	}
	name := base
	for n := 2; t.scope[name] != nil; n++ {
		name = base + strconv.Itoa(n)
	}
	t.addHoisted(name, src, pos, fmt.Sprintf("the rows at %s, as a let of their own", pos))
	return name
}

func (t *translator) addHoisted(name string, src *source, pos kqlparse.Pos, comment string) {
	lr := &letRows{name: name, src: src, usedBy: map[string]bool{}}
	if t.letting != "" {
		lr.usedBy[t.letting] = true
	}
	lr.key = key(name, commentText(comment))
	t.places[lr.key] = pos
	lr.node = letNode(src, false)
	t.letOrder = append(t.letOrder, lr)
	t.scope[name] = &binding{kind: bindRows, name: name, let: lr}
}

func containsInt(list []int, i int) bool {
	for _, x := range list {
		if x == i {
			return true
		}
	}
	return false
}

// name translates a name: a column as it is, or what a let stands for.
func (t *translator) name(id *kqlparse.Ident) (string, int, error) {
	if b := t.scope[id.Name]; b != nil {
		switch b.kind {
		case bindParam, bindList:
			return b.name, precAtom, nil
		case bindTimespanParam:
			return "totimespan(" + b.name + ")", precAtom, nil
		case bindDatetimeParam:
			return "todatetime(" + b.name + ")", precAtom, nil
		case bindInline:
			return b.text, b.prec, nil
		case bindScalarLet, bindFuncParam:
			return b.name, precAtom, nil
		}
		return "", 0, t.refuse(id, "the tabular let "+id.Name+" in a scalar expression")
	}
	if id.Name == "*" {
		return "", 0, t.refuse(id, "* in an expression")
	}
	if !exprName.MatchString(id.Name) || exprWords[id.Name] {
		return "", 0, t.refuse(id, fmt.Sprintf("the column name %q", id.Name))
	}
	return id.Name, precAtom, nil
}

// literal writes a KQL literal. A timespan is totimespan("5m"), or "5m" where the rule language
// takes its text (asText); a datetime is todatetime("..."); a dynamic array a list.
// https://learn.microsoft.com/kusto/query/scalar-data-types/
func (t *translator) literal(l *kqlparse.Literal, asText bool) (string, error) {
	if l.Placeholder != "" {
		switch l.Kind {
		case kqlparse.LitDatetime:
			return t.huntTime(l, l.Placeholder)
		case kqlparse.LitTimespan:
			return "", t.refuse(l, timespanPlaceholder(l.Placeholder))
		}
		return "", t.refuse(l, "the hunting-query placeholder "+l.Placeholder)
	}
	switch l.Kind {
	case kqlparse.LitNull:
		return "nil", nil
	case kqlparse.LitBool:
		return strconv.FormatBool(l.Value.(bool)), nil
	case kqlparse.LitInt:
		return strconv.FormatInt(l.Value.(int64), 10), nil
	case kqlparse.LitReal:
		return formatReal(l.Value.(float64))
	case kqlparse.LitString:
		if l.Obfuscated {
			return "", t.refuse(l, "an obfuscated string (h\"...\")")
		}
		if m := placeholder.FindStringSubmatch(l.Value.(string)); m != nil {
			// totimespan('{{StartTimeISO}}'): Sentinel fills it in before running the query.
			return "", t.refuse(l, "the hunting-query placeholder "+m[1])
		}
		return quote(l.Value.(string)), nil
	case kqlparse.LitGuid:
		return quote(l.Value.(string)), nil
	case kqlparse.LitDatetime:
		return "todatetime(" + quote(formatDatetime(l.Value.(time.Time))) + ")", nil
	case kqlparse.LitTimespan:
		text := quote(FormatTimespan(l.Value.(time.Duration)))
		if asText {
			return text, nil
		}
		return "totimespan(" + text + ")", nil
	case kqlparse.LitDynamic:
		s, err := dynamicValue(l.Value)
		if err != nil {
			return "", t.refuse(l, err.Error())
		}
		return s, nil
	}
	return "", t.refuse(l, "the literal "+l.Text)
}

func formatReal(f float64) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", fmt.Errorf("real %v", f)
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s, nil
}

func formatDatetime(v time.Time) string { return v.UTC().Format("2006-01-02T15:04:05.0000000Z") }

// FormatTimespan writes a duration as the shortest KQL timespan literal of one unit (14d, 6h,
// 90m, 30s, 100ms), or d.hh:mm:ss.fffffff.
func FormatTimespan(d time.Duration) string {
	units := []struct {
		unit time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}, {time.Millisecond, "ms"}}
	for _, u := range units {
		if d != 0 && d%u.unit == 0 {
			return strconv.FormatInt(int64(d/u.unit), 10) + u.name
		}
	}
	if d == 0 {
		return "0s"
	}
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	days := d / (24 * time.Hour)
	rest := d % (24 * time.Hour)
	ticks := (rest % time.Second) / 100
	return fmt.Sprintf("%s%d.%02d:%02d:%02d.%07d", sign, days, rest/time.Hour, rest%time.Hour/time.Minute, rest%time.Minute/time.Second, ticks)
}

// dynamicValue writes a dynamic literal's value: a scalar, or an array of scalars as a list.
func dynamicValue(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "nil", nil
	case bool:
		return strconv.FormatBool(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		return formatReal(v)
	case string:
		return quote(v), nil
	case []any:
		items := make([]string, len(v))
		for i, e := range v {
			if _, nested := e.([]any); nested {
				return "", fmt.Errorf("a nested dynamic array")
			}
			s, err := dynamicValue(e)
			if err != nil {
				return "", err
			}
			items[i] = s
		}
		return "[" + strings.Join(items, ", ") + "]", nil
	case map[string]any:
		// A property bag is a map (expr-lang's {"k": v}), its keys written in order: the value is
		// read by key, and the engine's bags list their keys in order.
		keys := slices.Sorted(maps.Keys(v))
		items := make([]string, len(keys))
		for i, k := range keys {
			if _, nested := v[k].(map[string]any); nested {
				return "", fmt.Errorf("a nested dynamic property bag")
			}
			s, err := dynamicValue(v[k])
			if err != nil {
				return "", err
			}
			items[i] = strconv.Quote(k) + ": " + s
		}
		return "{" + strings.Join(items, ", ") + "}", nil
	}
	return "", fmt.Errorf("this dynamic literal")
}

// quote writes a string literal so that it reads back as s: a string with backslashes (a regex,
// most often) in backquotes, where a backslash is itself, when it has no backquote or control
// character; else in double quotes with Go's escapes, which expr-lang reads the same.
func quote(s string) string {
	if strings.Contains(s, `\`) && strings.IndexFunc(s, func(r rune) bool { return r == '`' || r < ' ' || r == 0x7f }) < 0 {
		return "`" + s + "`"
	}
	return strconv.Quote(s)
}

// isTabular tells a tabular expression from a scalar one by its form.
func isTabular(x kqlparse.Expr) bool {
	switch x := x.(type) {
	case *kqlparse.Paren:
		return isTabular(x.X)
	case *kqlparse.Pipeline, *kqlparse.Union, *kqlparse.Datatable, *kqlparse.ExternalData, *kqlparse.Range, *kqlparse.Print, *kqlparse.EvaluateSource:
		return true
	}
	return false
}
