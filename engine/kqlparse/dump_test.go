package kqlparse

import (
	"fmt"
	"reflect"
	"strings"
)

// dump prints a node as a compact S-expression, for tests: (Type Field=value ...), fields left
// out when zero, positions (Pos, End, Pipes) never shown; an identifier prints as its name, a literal as what it holds
// (strings quoted), a binary operation as (op X Y).
func dump(n any) string {
	var b strings.Builder
	dumpValue(&b, reflect.ValueOf(n))
	return b.String()
}

func dumpValue(b *strings.Builder, v reflect.Value) {
	if v.Kind() == reflect.Interface {
		v = v.Elem()
	}
	if !v.IsValid() || v.Kind() == reflect.Pointer && v.IsNil() {
		b.WriteString("nil")
		return
	}
	switch x := v.Interface().(type) {
	case *Ident:
		b.WriteString(x.Name)
		return
	case *Literal:
		switch {
		case x.Placeholder != "":
			fmt.Fprintf(b, "%s{{%s}}", x.Type, x.Placeholder)
		case x.Kind == LitNull:
			fmt.Fprintf(b, "%s(null)", x.Type)
		case x.Kind == LitString:
			fmt.Fprintf(b, "%q", x.Value)
		default:
			fmt.Fprintf(b, "%s:%v", x.Type, x.Value)
		}
		return
	case *Binary:
		b.WriteString("(" + x.Op + " ")
		dumpValue(b, reflect.ValueOf(x.X))
		b.WriteString(" ")
		dumpValue(b, reflect.ValueOf(x.Y))
		b.WriteString(")")
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		dumpValue(b, v.Elem())
	case reflect.Struct:
		b.WriteString("(" + v.Type().Name())
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if f.Type == reflect.TypeOf(Pos{}) || f.Type == reflect.TypeOf([]Pos{}) || v.Field(i).IsZero() {
				continue
			}
			b.WriteString(" " + f.Name + "=")
			dumpValue(b, v.Field(i))
		}
		b.WriteString(")")
	case reflect.Slice:
		b.WriteString("[")
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b.WriteString(" ")
			}
			dumpValue(b, v.Index(i))
		}
		b.WriteString("]")
	default:
		fmt.Fprintf(b, "%v", v.Interface())
	}
}
