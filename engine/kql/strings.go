package kql

import (
	"fmt"
	"strings"
)

// EqualFold is KQL's =~ : the two values read as strings are equal ignoring case. A null on either
// side matches nothing.
// https://learn.microsoft.com/kusto/query/datatypes-string-operators
func EqualFold(a, b any) bool {
	if a == nil || b == nil {
		return false
	}
	return strings.EqualFold(ToString(a), ToString(b))
}

// Has is KQL's has: term occurs in text as whole terms, ignoring case. A term is a maximal run of
// ASCII letters and digits, so "North America" has "america" but not "meric"; a term written with
// punctuation or spaces ("ur mum") must start and end on term boundaries of text.
// https://learn.microsoft.com/kusto/query/datatypes-string-operators
func Has(text, term any) bool { return has(ToString(text), ToString(term), true) }

// HasCS is KQL's has_cs: Has, minding case.
func HasCS(text, term any) bool { return has(ToString(text), ToString(term), false) }

func has(text, term string, fold bool) bool {
	if term == "" {
		return false
	}
	if fold && (!isASCII(text) || !isASCII(term)) {
		text, term, fold = strings.ToLower(text), strings.ToLower(term), false
	}
	for from := 0; from+len(term) <= len(text); {
		var i int
		if fold {
			i = indexFold(text[from:], term)
		} else {
			i = strings.Index(text[from:], term)
		}
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(term)
		startsTerm := !isAlnum(term[0]) || start == 0 || !isAlnum(text[start-1])
		endsTerm := !isAlnum(term[len(term)-1]) || end == len(text) || !isAlnum(text[end])
		if startsTerm && endsTerm {
			return true
		}
		from = start + 1
	}
	return false
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// InFold is KQL's in~ : v equals any member of list ignoring case (as =~ does). list is a *Set
// made by NewFoldSet, a slice, or a single value.
// https://learn.microsoft.com/kusto/query/in-operator
func InFold(v any, list any) bool {
	switch l := list.(type) {
	case *Set:
		if s, ok := v.(string); ok && l.fold && !l.mixed {
			_, found := l.strings[strings.ToLower(s)]
			return found
		}
		return inSliceBy(v, l.items, EqualFold)
	case []any:
		return inSliceBy(v, l, EqualFold)
	}
	return EqualFold(v, list)
}

// Trim removes from text the matches of regex repeated at its start (when start is set) and its
// end (when end is set), as trim(), trim_start() and trim_end() do: trim(" ", "  a ") is "a", and
// the regex may match more than one character (trim("--|=", "--=a=")).
// https://learn.microsoft.com/kusto/query/trim-function
func Trim(pattern, text string, start, end bool) (string, error) {
	anchored := "(?:" + pattern + ")"
	if start {
		re, err := CompileRegex("^" + anchored + "+")
		if err != nil {
			return "", fmt.Errorf("trim: bad regex %q: %w", pattern, err)
		}
		if m := re.FindStringIndex(text); m != nil {
			text = text[m[1]:]
		}
	}
	if end {
		re, err := CompileRegex(anchored + "+$")
		if err != nil {
			return "", fmt.Errorf("trim: bad regex %q: %w", pattern, err)
		}
		if m := re.FindStringIndex(text); m != nil {
			text = text[:m[0]]
		}
	}
	return text, nil
}

// MatchesRegex is KQL's text matches regex pattern: an RE2 match anywhere in text, minding case.
// https://learn.microsoft.com/kusto/query/matches-regex-operator
func MatchesRegex(text, pattern any) (bool, error) {
	re, err := CompileRegex(ToString(pattern))
	if err != nil {
		return false, fmt.Errorf("matches: bad regex: %w", err)
	}
	return re.MatchString(ToString(text)), nil
}
