package rule

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// parse reads a parse or parse-where as KQL writes it, after the operator's name:
// [kind=simple|regex|relaxed [flags=F]] Expression with [*] "constant" Column[:type] [*] ...
// https://learn.microsoft.com/kusto/query/parse-operator
func (d *decoder) parse(n *yaml.Node, what string) *ParseSpec {
	text, ok := d.str(n, what)
	if !ok {
		return nil
	}
	whole := newExpr(d.file, n, d.lines)
	spec := &ParseSpec{Kind: "simple"}
	at := 0 // runes of text read
	runes := []rune(text)
	skipSpace := func() {
		for at < len(runes) && (runes[at] == ' ' || runes[at] == '\n' || runes[at] == '\t') {
			at++
		}
	}
	word := func() string {
		start := at
		for at < len(runes) && runes[at] != ' ' && runes[at] != '\n' && runes[at] != '\t' {
			at++
		}
		return string(runes[start:at])
	}
	errAt := func(offset int, format string, args ...any) {
		d.errs.Add(whole.Part(offset, 1).Pos, format, args...)
	}
	for {
		skipSpace()
		start := at
		w := word()
		switch {
		case strings.HasPrefix(w, "kind="):
			spec.Kind = strings.TrimPrefix(w, "kind=")
			switch {
			case spec.Kind == "relaxed" && what == "parse-where":
				errAt(start, "parse-where kind is simple or regex, not relaxed (Learn: parse-where's kinds); parse keeps relaxed")
			case spec.Kind != "simple" && spec.Kind != "regex" && spec.Kind != "relaxed":
				errAt(start, "%s kind is simple, regex or relaxed, not %q", what, spec.Kind)
			}
			continue
		case strings.HasPrefix(w, "flags="):
			spec.Flags = strings.TrimPrefix(w, "flags=")
			for _, f := range spec.Flags {
				if !strings.ContainsRune("Umsi", f) {
					errAt(start, "%s flags: %q is not a regex flag (U, m, s, i)", what, f)
				}
			}
			continue
		}
		at = start
		break
	}
	if spec.Flags != "" && spec.Kind != "regex" {
		d.errorf(n, "%s: flags are for kind=regex", what)
	}
	with := findWith(runes[at:])
	if with < 0 {
		d.errorf(n, "%s is written as KQL writes it: Expression with * \"constant\" Column ... (no with found)", what)
		return nil
	}
	src := strings.TrimSpace(string(runes[at : at+with]))
	if src == "" {
		d.errorf(n, "%s: no expression before with", what)
		return nil
	}
	lead := 0
	for runes[at+lead] == ' ' || runes[at+lead] == '\n' || runes[at+lead] == '\t' {
		lead++
	}
	spec.Source = whole.Part(at+lead, utf8.RuneCountInString(src))
	at += with + len(" with ")
	lastString := false
	for {
		skipSpace()
		if at >= len(runes) {
			break
		}
		start := at
		item := ParseItem{Pos: whole.Part(start, 1).Pos}
		rest := string(runes[at:])
		switch {
		case runes[at] == '*':
			at++
			if lastString {
				errAt(start, "%s: * cannot follow a string column (Learn: parse operator)", what)
			}
			item.Star = true
		case runes[at] == '"' || runes[at] == '\'' || runes[at] == '@':
			s, n, err := readStringLiteral(rest)
			if err != nil {
				errAt(start, "%s: %v", what, err)
				return nil
			}
			at += utf8.RuneCountInString(rest[:n])
			item.Text = s
		default:
			w := word()
			name, typ, typed := strings.Cut(w, ":")
			if !letName.MatchString(name) {
				errAt(start, "%s: %q is neither a \"string constant\", * nor a Column[:type]", what, w)
				return nil
			}
			item.Column, item.Type = name, "string"
			if typed {
				item.Type = typ
				if !contains(scalarTypes, typ) || typ == "dynamic" || typ == "guid" {
					errAt(start, "%s: column %s: type %q is not one of string, long, int, real, double, bool, datetime, timespan", what, name, typ)
				}
			}
		}
		lastString = item.Column != "" && item.Type == "string"
		spec.Pattern = append(spec.Pattern, item)
	}
	columns := 0
	for _, it := range spec.Pattern {
		if it.Column != "" {
			columns++
		}
	}
	if columns == 0 {
		d.errorf(n, "%s: the pattern names no column to extract", what)
	}
	return spec
}

// findWith finds the keyword with that ends a parse's expression: the first " with " outside a
// string literal, in runes, or -1.
func findWith(runes []rune) int {
	var quote rune
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		switch {
		case quote != 0:
			if r == '\\' && quote != '`' {
				i++
			} else if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'' || r == '`':
			quote = r
		case (r == ' ' || r == '\n' || r == '\t') && i+6 <= len(runes) && string(runes[i+1:i+5]) == "with" &&
			(runes[i+5] == ' ' || runes[i+5] == '\n' || runes[i+5] == '\t'):
			return i
		}
	}
	return -1
}

// readStringLiteral reads the KQL string literal text starts with: "..." or '...' with backslash
// escapes, or @"..." / @'...' verbatim (a doubled quote is one quote); n is its length in bytes.
// https://learn.microsoft.com/kusto/query/scalar-data-types/string
func readStringLiteral(text string) (s string, n int, err error) {
	verbatim := strings.HasPrefix(text, "@")
	body := text
	if verbatim {
		body = text[1:]
	}
	if body == "" || (body[0] != '"' && body[0] != '\'') {
		return "", 0, fmt.Errorf("a string constant is \"...\", '...' or @\"...\"")
	}
	quote := body[0]
	var b strings.Builder
	for i := 1; i < len(body); i++ {
		c := body[i]
		switch {
		case c == quote && verbatim && i+1 < len(body) && body[i+1] == quote:
			b.WriteByte(quote)
			i++
		case c == quote:
			n = i + 1
			if verbatim {
				n++
			}
			return b.String(), n, nil
		case c == '\\' && !verbatim && i+1 < len(body):
			i++
			switch body[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte(body[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, fmt.Errorf("the string constant %s is not closed", text)
}

// literalValue reads a number or bool argument of a call.
func literalValue(word string) (any, error) {
	if i, err := strconv.ParseInt(word, 10, 64); err == nil {
		return i, nil
	}
	if f, err := strconv.ParseFloat(word, 64); err == nil {
		return f, nil
	}
	if b, err := strconv.ParseBool(word); err == nil {
		return b, nil
	}
	return nil, fmt.Errorf("%q is not a literal", word)
}

// patterns reads a project-away's, project-keep's or project-reorder's columns: a name or wildcard,
// or a list of them; with orders, a wildcard may end in asc, desc, granny-asc or granny-desc.
func (d *decoder) patterns(n *yaml.Node, what string, orders bool) []*ColumnPattern {
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var out []*ColumnPattern
	for _, it := range items {
		text, ok := d.str(it, what+" column")
		if !ok {
			continue
		}
		p := &ColumnPattern{Pattern: strings.TrimSpace(text), Pos: d.pos(it)}
		if name, order, found := strings.Cut(p.Pattern, " "); found {
			p.Pattern, p.Order = name, strings.TrimSpace(order)
			if !orders || !contains([]string{"asc", "desc", "granny-asc", "granny-desc"}, p.Order) {
				d.errorf(it, "%s: %q is a column name or wildcard%s", what, text, map[bool]string{true: ", then asc, desc, granny-asc or granny-desc", false: ""}[orders])
				continue
			}
		}
		if !columnPattern.MatchString(p.Pattern) {
			d.errorf(it, "%s: %q is not a column name or a wildcard such as Name* ", what, p.Pattern)
			continue
		}
		out = append(out, p)
	}
	if len(out) == 0 && len(items) == 0 {
		d.errorf(n, "%s needs at least one column", what)
	}
	return out
}

var columnPattern = regexp.MustCompile(`^[A-Za-z_*][A-Za-z0-9_*]*$`)
