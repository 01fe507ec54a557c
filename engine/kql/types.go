package kql

import (
	"fmt"
	"strings"
	"time"
)

// Type is a KQL scalar data type, as Azure Monitor's table reference names column types.
// https://learn.microsoft.com/kusto/query/scalar-data-types/
type Type int

// The scalar types a column can have.
const (
	String Type = iota
	Datetime
	Long
	Int
	Real
	Bool
	Timespan
	Guid
	Dynamic
)

var typeNames = map[Type]string{
	String: "string", Datetime: "datetime", Long: "long", Int: "int", Real: "real",
	Bool: "bool", Timespan: "timespan", Guid: "guid", Dynamic: "dynamic",
}

func (t Type) String() string { return typeNames[t] }

// ParseType reads a type name as the table reference writes it ("string", "datetime", ...);
// "double" and "decimal" are KQL's other names for real.
func ParseType(name string) (Type, error) {
	switch strings.ToLower(name) {
	case "double", "decimal":
		return Real, nil
	}
	for t, n := range typeNames {
		if n == strings.ToLower(name) {
			return t, nil
		}
	}
	return 0, fmt.Errorf("unknown KQL type %q", name)
}

// Zero is the value a column of type t holds when the record lacks it: "" for strings (KQL strings
// are never null) and null (nil) for every other type.
// https://learn.microsoft.com/kusto/query/scalar-data-types/null-values
func (t Type) Zero() any {
	if t == String || t == Guid {
		return ""
	}
	return nil
}

// Sample is a non-null value of type t, used to tell the expression checker a column's Go type.
func (t Type) Sample() any {
	switch t {
	case String, Guid:
		return ""
	case Datetime:
		return time.Time{}
	case Long, Int:
		return int64(0)
	case Real:
		return float64(0)
	case Bool:
		return false
	case Timespan:
		return time.Duration(0)
	}
	return nil
}

// TypeOf tells the KQL type of a Go value, Dynamic for anything that is not a scalar.
func TypeOf(v any) Type {
	switch v.(type) {
	case string:
		return String
	case time.Time:
		return Datetime
	case int, int64, int32:
		return Long
	case float64, float32:
		return Real
	case bool:
		return Bool
	case time.Duration:
		return Timespan
	}
	return Dynamic
}
