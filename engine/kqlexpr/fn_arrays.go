package kqlexpr

import (
	"fmt"
	"sort"
	"time"

	"github.com/expr-lang/expr/ast"

	"github.com/signin-detect/detect/engine/kql"
)

// Dynamic arrays, sets and property bags, dynamic literals, and the compile-time forms
// column_ifexists and typeof. Functions that need an array or a bag give null for anything else.
// https://learn.microsoft.com/kusto/query/scalar-data-types/dynamic
func init() {
	register(
		&Function{Name: "dynamic", Params: []Param{{Name: "literal", Type: Any}}, Result: kql.Dynamic,
			Eval:  func(_ *Context, a []any) (any, error) { return dynamicValue(a[0]), nil },
			Learn: "https://learn.microsoft.com/kusto/query/scalar-data-types/dynamic", Doc: `a dynamic literal: dynamic(["a", 1]) is an array, dynamic({"k": "v", "n": 1}) a property bag (its keys in the order written), dynamic(null) null; a bare [..] or {..} is the same value`},
		&Function{Name: "column_ifexists", Aliases: []string{"columnifexists"}, Params: []Param{{Name: "columnName", Type: kql.String},
			{Name: "defaultValue", Type: Any}}, Result: Any,
			Check: func(lit Literals) (int, error) {
				if _, ok := lit.String(0); !ok {
					return 0, fmt.Errorf("column_ifexists: the column name is a string literal")
				}
				return -1, nil
			},
			Resolve: func(columns map[string]kql.Type, args []ast.Node) (ast.Node, error) {
				name := args[0].(*ast.StringNode).Value
				if _, ok := columns[name]; ok {
					return &ast.IdentifierNode{Value: name}, nil
				}
				return args[1], nil
			},
			Eval:  func(_ *Context, a []any) (any, error) { return a[1], nil },
			Learn: "https://learn.microsoft.com/kusto/query/column-ifexists-function", Doc: "the column named columnName when the rows have it, else defaultValue (decided when the rule is checked, from the columns of its table at that stage)"},
		&Function{Name: "typeof", Params: []Param{{Name: "type", Type: Any}}, Result: kql.String,
			Resolve: func(_ map[string]kql.Type, args []ast.Node) (ast.Node, error) {
				id, ok := args[0].(*ast.IdentifierNode)
				if ok {
					if _, err := kql.ParseType(id.Value); err == nil {
						return &ast.StringNode{Value: id.Value}, nil
					}
				}
				return nil, fmt.Errorf("typeof takes a KQL type name: typeof(string), typeof(long), typeof(dynamic) ...")
			},
			Eval:  func(_ *Context, a []any) (any, error) { return kql.ToString(a[0]), nil },
			Learn: "https://learn.microsoft.com/kusto/query/scalar-data-types/", Doc: "a type literal, as extractjson's third argument takes (`typeof(string)`)"},
		&Function{Name: "extractjson", Aliases: []string{"extract_json"}, Params: []Param{{Name: "jsonPath", Type: kql.String},
			{Name: "dataSource", Type: Any}, {Name: "type", Type: kql.String, Optional: true}}, Result: Any,
			Check: func(lit Literals) (int, error) {
				if path, ok := lit.String(0); ok {
					if _, err := parseJSONPath(path); err != nil {
						return 0, err
					}
				}
				if t, ok := lit.String(2); ok {
					if _, err := kql.ParseType(t); err != nil {
						return 2, err
					}
				}
				return -1, nil
			},
			Eval:  extractJSON,
			Learn: "https://learn.microsoft.com/kusto/query/extract-json-function", Doc: "the element at a JSONPath (`$`, `.name`, `['name']`, `[index]`) of the JSON text dataSource, as text (a bag or array as JSON, \"\" when absent), or converted to type (`typeof(long)`, null when absent or not one)"},
		&Function{Name: "array_index_of", Params: []Param{{Name: "array", Type: kql.Dynamic}, {Name: "value", Type: Any},
			{Name: "start", Type: kql.Long, Optional: true}, {Name: "length", Type: kql.Long, Optional: true},
			{Name: "occurrence", Type: kql.Long, Optional: true}}, Result: kql.Long,
			Eval:  arrayIndexOf,
			Learn: "https://learn.microsoft.com/kusto/query/array-index-of-function", Doc: "the index of the occurrence-th element equal (==) to value, from start (from the end when negative) within length elements (-1: to the end); -1 when absent; null when array is not an array"},
		&Function{Name: "array_concat", Params: []Param{{Name: "array", Type: kql.Dynamic, Variadic: true}}, Result: kql.Dynamic,
			Eval: func(_ *Context, a []any) (any, error) {
				out := []any{}
				for _, v := range a {
					arr, ok := v.([]any)
					if !ok {
						return nil, nil
					}
					out = append(out, arr...)
				}
				return out, nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/array-concat-function", Doc: "the arrays' elements in one array, in order; null when an argument is not an array"},
		&Function{Name: "array_slice", Params: []Param{{Name: "array", Type: kql.Dynamic}, {Name: "start", Type: kql.Long}, {Name: "end", Type: kql.Long}},
			Result: kql.Dynamic,
			Eval:   arraySlice,
			Learn:  "https://learn.microsoft.com/kusto/query/array-slice-function", Doc: "the elements from start to end, both included; a negative index counts from the end, an index out of range is cut to the array; [] when start is after end"},
		arraySort("array_sort_asc", "https://learn.microsoft.com/kusto/query/array-sort-asc-function", "ascending", false),
		arraySort("array_sort_desc", "https://learn.microsoft.com/kusto/query/array-sort-desc-function", "descending", true),
		setFunction("set_union", "https://learn.microsoft.com/kusto/query/set-union-function", "the distinct values of all the arrays, in the order met",
			func(v any, inAll, inOthers int, _ int) bool { return true }),
		setFunction("set_intersect", "https://learn.microsoft.com/kusto/query/set-intersect-function", "the distinct values found in every array, in the first array's order",
			func(v any, inAll, _ int, arrays int) bool { return inAll == arrays }),
		setFunction("set_difference", "https://learn.microsoft.com/kusto/query/set-difference-function", "the distinct values of the first array that are in none of the others, in its order",
			func(v any, _, inOthers int, _ int) bool { return inOthers == 0 }),
		&Function{Name: "set_has_element", Params: []Param{{Name: "set", Type: kql.Dynamic}, {Name: "value", Type: Any}}, Result: kql.Bool,
			Eval: func(_ *Context, a []any) (any, error) {
				arr, ok := a[0].([]any)
				if !ok {
					return nil, nil
				}
				for _, v := range arr {
					if setKey(v) == setKey(a[1]) {
						return true, nil
					}
				}
				return false, nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/set-has-element-function", Doc: "value is an element of the array (same type and value); null when set is not an array"},
		&Function{Name: "range", Params: []Param{{Name: "start", Type: Any}, {Name: "stop", Type: Any}, {Name: "step", Type: Any, Optional: true}},
			Result: kql.Dynamic,
			Eval:   rangeArray,
			Learn:  "https://learn.microsoft.com/kusto/query/range-function", Doc: "the array start, start+step, ... up to stop (included when reached): numbers (step 1 by default), or datetimes or timespans with a timespan step (1h by default); [] when step goes away from stop; null for a step of 0 or arguments of other types; at most 1,048,576 elements"},
		&Function{Name: "bag_pack", Aliases: []string{"pack"}, Params: []Param{{Name: "key", Type: kql.String}, {Name: "value", Type: Any},
			{Name: "keyValue", Type: Any, Variadic: true, Optional: true}}, Result: kql.Dynamic,
			Check: func(lit Literals) (int, error) {
				if len(lit.args)%2 != 0 {
					return len(lit.args) - 1, fmt.Errorf("bag_pack takes keys and values in pairs; the last key has no value")
				}
				return -1, nil
			},
			Eval: func(_ *Context, a []any) (any, error) {
				if len(a)%2 != 0 {
					return nil, fmt.Errorf("bag_pack: the last key has no value")
				}
				o := kql.NewObject()
				for i := 0; i < len(a); i += 2 {
					o.Set(kql.ToString(a[i]), dynamicValue(a[i+1]))
				}
				return o, nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/pack-function", Doc: "a property bag of the keys and values, in the order given (a key given twice keeps its first place and its last value)"},
		&Function{Name: "pack_array", Params: []Param{{Name: "value", Type: Any, Variadic: true}}, Result: kql.Dynamic,
			Eval: func(_ *Context, a []any) (any, error) {
				out := make([]any, len(a))
				for i, v := range a {
					out[i] = dynamicValue(v)
				}
				return out, nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/pack-array-function", Doc: "an array of the values, in order (nulls included)"},
		&Function{Name: "bag_keys", Params: []Param{{Name: "object", Type: kql.Dynamic}}, Result: kql.Dynamic,
			Eval: func(_ *Context, a []any) (any, error) {
				o, ok := a[0].(*kql.Object)
				if !ok {
					return nil, nil
				}
				out := make([]any, o.Len())
				for i, k := range o.Keys() {
					out[i] = k
				}
				return out, nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/bag-keys-function", Doc: "the keys of a property bag, in its order; null when it is not a bag"},
		&Function{Name: "bag_merge", Params: []Param{{Name: "bag", Type: kql.Dynamic}, {Name: "bags", Type: kql.Dynamic, Variadic: true}}, Result: kql.Dynamic,
			Eval: func(_ *Context, a []any) (any, error) {
				out := kql.NewObject()
				for _, v := range a {
					o, ok := v.(*kql.Object)
					if !ok {
						return nil, nil
					}
					for _, k := range o.Keys() {
						if _, taken := out.Get(k); !taken {
							p, _ := o.Get(k)
							out.Set(k, p)
						}
					}
				}
				return out, nil
			},
			Learn: "https://learn.microsoft.com/kusto/query/bag-merge-function", Doc: "one property bag of all the bags' properties; a key in several takes the leftmost bag's value; null when an argument is not a bag"},
	)
}

// dynamicValue is v as a dynamic value: expr's whole numbers (int) become long, its maps property
// bags (keys sorted: a Go map has no order; object literals keep theirs through bag_pack).
func dynamicValue(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = dynamicValue(e)
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		o := kql.NewObject()
		for _, k := range keys {
			o.Set(k, dynamicValue(x[k]))
		}
		return o
	}
	return v
}

// setKey identifies a set element: its type and its text, so that 1 and "1" differ (as they do
// in KQL's sets) and equal bags or arrays are one element.
func setKey(v any) string {
	return kql.TypeOf(v).String() + ":" + kql.ToString(v)
}

// setFunction makes set_union, set_intersect and set_difference: keep decides, for each distinct
// value (of the first array only, for intersect and difference), from how many arrays hold it and
// how many of the arrays after the first do.
func setFunction(name, learn, doc string, keep func(v any, inAll, inOthers int, arrays int) bool) *Function {
	return &Function{Name: name, Params: []Param{{Name: "set1", Type: kql.Dynamic}, {Name: "set2", Type: kql.Dynamic, Variadic: true}}, Result: kql.Dynamic,
		Eval: func(_ *Context, a []any) (any, error) {
			arrays := make([][]any, len(a))
			inAll := map[string]int{}
			inOthers := map[string]int{}
			for i, v := range a {
				arr, ok := v.([]any)
				if !ok {
					return nil, nil
				}
				arrays[i] = arr
				seen := map[string]bool{}
				for _, e := range arr {
					k := setKey(e)
					if !seen[k] {
						seen[k] = true
						inAll[k]++
						if i > 0 {
							inOthers[k]++
						}
					}
				}
			}
			candidates := arrays[:1]
			if name == "set_union" {
				candidates = arrays
			}
			out := []any{}
			done := map[string]bool{}
			for _, arr := range candidates {
				for _, e := range arr {
					k := setKey(e)
					if !done[k] && keep(e, inAll[k], inOthers[k], len(arrays)) {
						out = append(out, e)
					}
					done[k] = true
				}
			}
			return out, nil
		},
		Learn: learn, Doc: doc + "; null when an argument is not an array"}
}

func arraySort(name, learn, order string, desc bool) *Function {
	return &Function{Name: name, Params: []Param{{Name: "array", Type: kql.Dynamic}, {Name: "nulls_last", Type: kql.Bool, Optional: true}}, Result: kql.Dynamic,
		Eval: func(_ *Context, a []any) (any, error) {
			arr, ok := a[0].([]any)
			if !ok {
				return nil, nil
			}
			nullsLast := true
			if len(a) > 1 {
				if b, ok := a[1].(bool); ok {
					nullsLast = b
				}
			}
			out := append([]any(nil), arr...)
			sort.SliceStable(out, func(i, j int) bool {
				x, y := out[i], out[j]
				switch {
				case x == nil && y == nil:
					return false
				case x == nil:
					return !nullsLast
				case y == nil:
					return nullsLast
				}
				c, ok := kql.Compare(x, y)
				if !ok {
					return false
				}
				if desc {
					return c > 0
				}
				return c < 0
			})
			return out, nil
		},
		Learn: learn, Doc: "the array sorted in " + order + " order, nulls last (first when nulls_last is false); null when it is not an array"}
}

func arraySlice(_ *Context, a []any) (any, error) {
	arr, ok := a[0].([]any)
	if !ok {
		return nil, nil
	}
	start, ok1 := kql.ToLong(a[1])
	end, ok2 := kql.ToLong(a[2])
	if !ok1 || !ok2 {
		return nil, nil
	}
	n := int64(len(arr))
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start, end = max(start, 0), min(end, n-1)
	if start > end {
		return []any{}, nil
	}
	return append([]any{}, arr[start:end+1]...), nil
}

func arrayIndexOf(_ *Context, a []any) (any, error) {
	arr, ok := a[0].([]any)
	if !ok {
		return nil, nil
	}
	n := int64(len(arr))
	start, length, occurrence, ok := searchWindow(a, n)
	if !ok {
		return nil, nil
	}
	end := n
	if length >= 0 {
		end = min(n, start+length)
	}
	var k int64
	for i := start; i < end; i++ {
		if kql.Equal(arr[i], a[1]) {
			k++
			if k == occurrence {
				return i, nil
			}
		}
	}
	return int64(-1), nil
}

// maxRange is the most elements range() makes, as KQL's limit.
const maxRange = 1 << 20

func rangeArray(_ *Context, a []any) (any, error) {
	start, stop := a[0], a[1]
	if start == nil || stop == nil || len(a) > 2 && a[2] == nil {
		return nil, nil
	}
	switch s := start.(type) {
	case time.Time, time.Duration:
		step := time.Hour
		if len(a) > 2 {
			d, ok := a[2].(time.Duration)
			if !ok {
				return nil, fmt.Errorf("range: a datetime or timespan range takes a timespan step")
			}
			step = d
		}
		if step == 0 {
			return nil, nil
		}
		var from, to time.Duration
		var base time.Time
		if t, ok := s.(time.Time); ok {
			end, ok := stop.(time.Time)
			if !ok {
				return nil, fmt.Errorf("range: a datetime range stops at a datetime")
			}
			base, to = t, end.Sub(t)
		} else {
			end, ok := stop.(time.Duration)
			if !ok {
				return nil, fmt.Errorf("range: a timespan range stops at a timespan")
			}
			from, to = s.(time.Duration), end
		}
		out := []any{}
		for v := from; (step > 0 && v <= to || step < 0 && v >= to) && len(out) < maxRange; v += step {
			if _, isTime := s.(time.Time); isTime {
				out = append(out, base.Add(v))
			} else {
				out = append(out, v)
			}
		}
		return out, nil
	}
	_, startIsReal := start.(float64)
	_, stopIsReal := stop.(float64)
	stepValue := any(int64(1))
	if len(a) > 2 {
		stepValue = a[2]
	}
	_, stepIsReal := stepValue.(float64)
	if startIsReal || stopIsReal || stepIsReal {
		from, ok1 := kql.ToReal(start)
		to, ok2 := kql.ToReal(stop)
		step, ok3 := kql.ToReal(stepValue)
		if !ok1 || !ok2 || !ok3 || step == 0 {
			return nil, nil
		}
		out := []any{}
		for i := 0; len(out) < maxRange; i++ {
			v := from + float64(i)*step
			if step > 0 && v > to || step < 0 && v < to {
				break
			}
			out = append(out, v)
		}
		return out, nil
	}
	from, ok1 := kql.ToLong(start)
	to, ok2 := kql.ToLong(stop)
	step, ok3 := kql.ToLong(stepValue)
	if !ok1 || !ok2 || !ok3 || step == 0 {
		return nil, nil
	}
	out := []any{}
	for v := from; (step > 0 && v <= to || step < 0 && v >= to) && len(out) < maxRange; v += step {
		out = append(out, v)
	}
	return out, nil
}

// jsonStep is one step of a JSONPath: a property name, or an array index when isIndex is set.
type jsonStep struct {
	name    string
	index   int64
	isIndex bool
}

// parseJSONPath reads the JSONPath subset extractjson takes: $ followed by .name, ['name'],
// ["name"] and [index] steps.
// https://learn.microsoft.com/kusto/query/jsonpath
func parseJSONPath(path string) ([]jsonStep, error) {
	bad := func(why string) ([]jsonStep, error) {
		return nil, fmt.Errorf("extractjson: JSONPath %q: %s (write $.a.b, $.a[0] or $['a'])", path, why)
	}
	if len(path) == 0 || path[0] != '$' {
		return bad("it starts with $")
	}
	var steps []jsonStep
	for i := 1; i < len(path); {
		switch path[i] {
		case '.':
			j := i + 1
			for j < len(path) && path[j] != '.' && path[j] != '[' {
				j++
			}
			if j == i+1 {
				return bad("a property name is missing after .")
			}
			steps = append(steps, jsonStep{name: path[i+1 : j]})
			i = j
		case '[':
			end := -1
			if i+1 < len(path) && (path[i+1] == '\'' || path[i+1] == '"') {
				q := path[i+1]
				for j := i + 2; j+1 < len(path); j++ {
					if path[j] == q && path[j+1] == ']' {
						steps = append(steps, jsonStep{name: path[i+2 : j]})
						end = j + 1
						break
					}
				}
			} else {
				for j := i + 1; j < len(path); j++ {
					if path[j] == ']' {
						n, ok := kql.ToLong(path[i+1 : j])
						if !ok {
							return bad("an index is a whole number")
						}
						steps = append(steps, jsonStep{index: n, isIndex: true})
						end = j
						break
					}
				}
			}
			if end < 0 {
				return bad("a [ is not closed")
			}
			i = end + 1
		default:
			return bad(fmt.Sprintf("unexpected %q", path[i]))
		}
	}
	return steps, nil
}

func extractJSON(_ *Context, a []any) (any, error) {
	steps, err := parseJSONPath(kql.ToString(a[0]))
	if err != nil {
		return nil, err
	}
	v := kql.ParseJSON(a[1])
	if _, isText := a[1].(string); isText && v == a[1] {
		v = nil // not JSON
	}
	for _, s := range steps {
		if s.isIndex {
			v = kql.Index(v, s.index)
		} else {
			v = kql.Property(v, s.name)
		}
	}
	if len(a) < 3 {
		return kql.ToString(v), nil
	}
	switch t, _ := kql.ParseType(kql.ToString(a[2])); t {
	case kql.String, kql.Guid:
		return kql.ToString(v), nil
	case kql.Long, kql.Int:
		if n, ok := kql.ToLong(v); ok {
			return n, nil
		}
	case kql.Real:
		if n, ok := kql.ToReal(v); ok {
			return n, nil
		}
	case kql.Bool:
		if b, ok := kql.ToBool(v); ok {
			return b, nil
		}
	case kql.Datetime:
		if t, err := kql.ParseDatetime(kql.ToString(v)); err == nil {
			return t, nil
		}
	case kql.Dynamic:
		return v, nil
	}
	return nil, nil
}
