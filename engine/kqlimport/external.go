package kqlimport

import (
	"fmt"
	"slices"
	"strings"

	"github.com/signin-detect/detect/engine/kqlparse"
	"gopkg.in/yaml.v3"
)

// externalFormats are the externaldata formats a table lookup reads, with its file's extension.
var externalFormats = map[string]string{"csv": ".csv", "tsv": ".tsv", "json": ".json", "multijson": ".json"}

// externalTable writes externaldata(Col:type, ...) [url] with (format=..., ignoreFirstRecord=...)
// as a table lookup named name, read from name's file next to the rule: the rows of the typed
// columns, as the lookup reads its file the way KQL reads the URL
// (https://learn.microsoft.com/kusto/query/externaldata-operator). Stages read it by name as
// they read a let.
func (t *translator) externalTable(name string, ext *kqlparse.ExternalData, comment string) error {
	if len(ext.URLs) != 1 {
		return t.refuse(ext, "externaldata with other than one URL")
	}
	url, ok := unparen(ext.URLs[0]).(*kqlparse.Literal)
	if !ok || url.Kind != kqlparse.LitString {
		return t.refuse(ext, "externaldata whose URL is not a string")
	}
	format, ignoreFirst := "csv", false
	for _, p := range ext.With {
		v, _ := unparen(p.Value).(*kqlparse.Literal)
		switch {
		case p.Name == "format" && v != nil && v.Kind == kqlparse.LitString && externalFormats[strings.ToLower(fmt.Sprint(v.Value))] != "":
			format = strings.ToLower(fmt.Sprint(v.Value))
		case p.Name == "ignoreFirstRecord" && v != nil && v.Kind == kqlparse.LitBool:
			ignoreFirst = v.Value == true
		default:
			return t.refuse(p, "the externaldata property "+p.Name)
		}
	}
	columns := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
	for _, c := range ext.Columns {
		if !slices.Contains(paramTypes, c.Type) {
			return t.refuse(c, "an externaldata column of type "+c.Type)
		}
		columns.Content = append(columns.Content, scalar(c.Name.Name), scalar(c.Type))
	}
	lk := Lookup{Name: name, File: name + externalFormats[format], URL: url.Value.(string)}
	t.lookupFiles = append(t.lookupFiles, lk)
	k := key(name, commentText(comment))
	t.places[k] = ext.Pos
	t.lookups = append(t.lookups, k, mapping(
		scalar("file"), scalar(lk.File), scalar("format"), scalar(format),
		scalar("ignoreFirstRecord"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(ignoreFirst)},
		scalar("url"), scalar(lk.URL), scalar("columns"), columns))
	t.scope[name] = &binding{kind: bindRows, name: name, let: &letRows{name: name, usedBy: map[string]bool{}}}
	return nil
}

// externalRows is externaldata as the source of a let's pipeline: a table lookup named after the
// let (X_file), which the let's rows start from.
func (t *translator) externalRows(ext *kqlparse.ExternalData) (*source, error) {
	if t.letting == "" {
		return nil, t.refuse(ext, "externaldata outside a let")
	}
	name := t.letting + "_file"
	if t.scope[name] != nil {
		return nil, t.refuse(ext, "a second externaldata in the let "+t.letting)
	}
	if err := t.externalTable(name, ext, "externaldata(...) of the let "+t.letting); err != nil {
		return nil, err
	}
	return &source{from: name, pos: ext.Pos}, nil
}

// ipv4Lookup translates evaluate ipv4_lookup(Table, IPColumn, RangeColumn [, ExtraKey...]
// [, return_unmatched]) into the ipv4-lookup stage; Table is a table lookup or a let.
// https://learn.microsoft.com/kusto/query/ipv4-lookup-plugin
func (t *translator) ipv4Lookup(op *kqlparse.Evaluate) (*yaml.Node, error) {
	if len(op.Params) > 0 {
		return nil, t.refuse(op.Params[0], "evaluate "+op.Params[0].Name)
	}
	args := op.Plugin.Args
	var unmatched *yaml.Node
	if n := len(args); n > 0 {
		last := args[n-1]
		if na, ok := last.(*kqlparse.NamedArg); ok && na.Name.Name == "return_unmatched" {
			last = na.Value
		}
		if lit, ok := unparen(last).(*kqlparse.Literal); ok && lit.Kind == kqlparse.LitBool {
			unmatched = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(lit.Value)}
			args = args[:n-1]
		}
	}
	var names []string
	for _, a := range args {
		id, ok := unparen(a).(*kqlparse.Ident)
		if !ok {
			return nil, t.refuse(a, "an ipv4_lookup argument other than a name")
		}
		names = append(names, id.Name)
	}
	if len(names) < 3 {
		return nil, t.refuse(op, "ipv4_lookup with fewer than three arguments")
	}
	b := t.scope[names[0]]
	if b == nil || b.kind != bindRows {
		return nil, t.refuse(args[0], "ipv4_lookup of other than a let or externaldata")
	}
	if t.letting != "" && b.let != nil {
		b.let.usedBy[t.letting] = true
	}
	spec := mapping(scalar("from"), scalar(names[0]), scalar("ip"), scalar(names[1]), scalar("range"), scalar(names[2]))
	if len(names) > 3 {
		keys := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, k := range names[3:] {
			keys.Content = append(keys.Content, scalar(k))
		}
		spec.Content = append(spec.Content, scalar("keys"), keys)
	}
	if unmatched != nil {
		spec.Content = append(spec.Content, scalar("return_unmatched"), unmatched)
	}
	return mapping(scalar("ipv4-lookup"), spec), nil
}
