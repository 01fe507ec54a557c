// Package kql implements the scalar semantics of the Kusto Query Language that ported rules rely on:
// how values compare, how datetimes parse, print and subtract, and what extract, contains and
// parse_json return. Every function here follows the Microsoft Learn KQL reference; the page each
// one follows is named in its doc comment, and the tests pin the behaviour.
//
// Values are plain Go values: string, int64, float64, bool, time.Time (datetime), time.Duration
// (timespan), and for dynamic values what JSON decodes to (map[string]any, []any, and the scalars).
// A nil value is KQL's null; strings are never null, a missing string reads as "".
package kql
