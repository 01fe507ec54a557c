// Package kqlimport translates a Sentinel rule (engine/sentinel: its metadata and KQL query,
// parsed by engine/kqlparse) into a rule file of the rule language (README "Writing rules"),
// written as a hand port would be: lets stay lets (scalar ones become params, a list read from
// externaldata a lookup), each stage carries the KQL it ports as a comment, names are kept, and
// the metadata is carried. What has no translation yet is refused, naming the construct and its
// place in the Sentinel file: a translation is exact or it is not made.
package kqlimport

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/signin-detect/detect/engine/kqlparse"
	"github.com/signin-detect/detect/engine/schema"
	"github.com/signin-detect/detect/engine/sentinel"
)

// Refusal is a construct the translator cannot translate yet, at its place in the Sentinel file.
type Refusal struct {
	Pos       sentinel.Position
	Construct string
}

func (e *Refusal) Error() string {
	return e.Pos.String() + ": " + e.Construct + " is not supported yet"
}

// Result is a translated rule.
type Result struct {
	// YAML is the rule file.
	YAML []byte
	// Lookups are the lists the rule reads from files next to it, each with the URL the query
	// read it from (detect import --fetch downloads them).
	Lookups []Lookup
	// Places[i] is the place in the Sentinel file of what line i+1 of YAML ports (the let,
	// operator or table read), a zero Line for the metadata.
	Places []sentinel.Position
}

// linePlaces finds the line each placed node was written on, by reading the rule back (its tree
// has the shape of the one written), and gives every line the place of the last placed line
// before it.
func (t *translator) linePlaces(doc *yaml.Node, out []byte) []sentinel.Position {
	var back yaml.Node
	if err := yaml.Unmarshal(out, &back); err != nil || len(back.Content) == 0 {
		return nil
	}
	marks := map[int]sentinel.Position{}
	var walk func(written, read *yaml.Node)
	walk = func(written, read *yaml.Node) {
		if p, ok := t.places[written]; ok {
			marks[read.Line] = t.place(p)
		}
		for i := range written.Content {
			if i < len(read.Content) {
				walk(written.Content[i], read.Content[i])
			}
		}
	}
	walk(doc, back.Content[0])
	places := make([]sentinel.Position, bytes.Count(out, []byte("\n"))+1)
	var current sentinel.Position
	for i := range places {
		if p, ok := marks[i+1]; ok {
			current = p
		}
		places[i] = current
	}
	return places
}

// Lookup is a list the query read with externaldata(): the rule reads it from File (next to the
// rule), column Column; URL is where the query read it.
type Lookup struct {
	Name, File, Column, URL string
}

// Translate translates a decoded Sentinel rule. A syntax error in the query is returned as
// sentinel.Errors; a construct without a translation as a *Refusal.
func Translate(r *sentinel.Rule) (*Result, error) {
	q, err := r.ParseQuery()
	if err != nil {
		return nil, err
	}
	t := &translator{
		src:    r.Query,
		place:  r.QueryPosition,
		scope:  map[string]*binding{},
		places: map[*yaml.Node]kqlparse.Pos{},
	}
	if r.QueryPeriod > 0 && !r.Hunting() {
		t.window = fmt.Sprintf("between(TimeGenerated, ago(%s), now())", quote(FormatTimespan(r.QueryPeriod)))
		t.windowComment = fmt.Sprintf("Sentinel runs the rule over its queryPeriod ending at now: now - %s <= TimeGenerated <= now", FormatTimespan(r.QueryPeriod))
	}
	body, err := t.query(q)
	if err != nil {
		return nil, err
	}
	doc := metadata(r)
	doc.Content = append(doc.Content, body...)
	var buf bytes.Buffer
	buf.WriteString(header(r))
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	out := sectionBreaks.ReplaceAll(buf.Bytes(), []byte("\n$1"))
	return &Result{YAML: out, Lookups: t.lookupFiles, Places: t.linePlaces(doc, out)}, nil
}

// sectionBreaks are the top-level keys after the metadata: a blank line goes before each.
var sectionBreaks = regexp.MustCompile(`(?m)^(params:|lookups:|let:|table:|union:|# The rest of the Sentinel file)`)

func header(r *sentinel.Rule) string {
	kind := "analytic rule"
	if r.Hunting() {
		kind = "hunting query"
	}
	return fmt.Sprintf("# Imported from the Sentinel %s %s by detect import.\n# Each stage's comment quotes the KQL it ports.\n", kind, r.File)
}

// bindKind says what a let's name stands for in the rest of the query.
type bindKind int

const (
	bindParam         bindKind = iota // a param, read by name
	bindTimespanParam                 // a param holding a timespan's text: totimespan(name)
	bindDatetimeParam                 // a param holding a datetime's text: todatetime(name)
	bindInline                        // a scalar expression, written in place
	bindList                          // a lookup or a list param, read by name
	bindScalarLet                     // a toscalar let, read by name
	bindRows                          // a tabular let
	bindTables                        // a let that names a table or a union of tables
	bindFuncParam                     // a param of the user function being translated, read by name
	bindScalarFunc                    // a user function of an expression, called by name
	bindTabularFunc                   // a user function of rows, called where rows are read
	bindInlineRows                    // a let inside a user function, written where it is read
)

type binding struct {
	kind bindKind
	name string
	// text and prec are an inline expression's.
	text string
	prec int
	let  *letRows
	// tables are a bindTables let's tables.
	tables []string
	// paramType is a bindFuncParam's KQL type.
	paramType string
	// rows is a bindInlineRows let, read once (read).
	rows *kqlparse.Let
	read bool
}

// letRows is a tabular let: its rows start from tables or another let, through stages.
type letRows struct {
	name   string
	src    *source
	decl   *kqlparse.Let
	node   *yaml.Node
	key    *yaml.Node
	usedBy map[string]bool // the lets that read it
}

// source is a translated tabular expression: the rows of tables (their union) or of the let
// from, through stages.
type source struct {
	tables []string
	from   string
	// union is a union: mapping's value, when the rows are the union of lets or pipelines.
	union  *yaml.Node
	stages []*yaml.Node
	// pos is where the rows are first read, for messages.
	pos kqlparse.Pos
}

type translator struct {
	src           string
	place         func(kqlparse.Pos) sentinel.Position
	scope         map[string]*binding
	aggregating   bool
	window        string
	windowComment string
	windows       int
	// letting is the tabular let being translated ("" in the query's own pipeline); naming the
	// let whatever its kind, which names the lets written for toscalar() inside expressions.
	letting, naming string

	// opText is the KQL of the operator being translated, as written.
	opText string

	params, lookups, lets []*yaml.Node
	letOrder              []*letRows
	lookupFiles           []Lookup
	// places are the KQL each written node ports, for Result.Places.
	places map[*yaml.Node]kqlparse.Pos
}

func (t *translator) refuse(n kqlparse.Node, construct string) error {
	return &Refusal{Pos: t.place(n.Position()), Construct: construct}
}

// query translates the lets and the query's result into the rule's params, lookups, let, table
// and stages.
func (t *translator) query(q *kqlparse.Query) ([]*yaml.Node, error) {
	for _, l := range q.Lets {
		if err := t.let(l); err != nil {
			return nil, err
		}
	}
	if q.Result == nil || !isRows(q.Result, t.scope) {
		return nil, t.refuse(q, "a query whose result is not rows")
	}
	main, err := t.rows(q.Result)
	if err != nil {
		return nil, err
	}
	main, err = t.startFromTables(main)
	if err != nil {
		return nil, err
	}
	var out []*yaml.Node
	if len(t.params) > 0 {
		out = append(out, key("params", ""), mapping(t.params...))
	}
	if len(t.lookups) > 0 {
		out = append(out, key("lookups", ""), mapping(t.lookups...))
	}
	for _, l := range t.letOrder {
		if l.node != nil {
			t.lets = append(t.lets, l.key, l.node)
		}
	}
	if len(t.lets) > 0 {
		out = append(out, key("let", ""), mapping(t.lets...))
	}
	start := main.start()
	out = append(out, start[0], start[1], key("stages", ""), sequence(main.stages...))
	return out, nil
}

// startFromTables makes the query's own rows start from tables, as a rule's do: a query that
// starts from a let X takes X's stages, and the let is written only when other lets read it
// too (X's last stage is then named X, so that a join reading X reads the rows it left with).
func (t *translator) startFromTables(main *source) (*source, error) {
	if main.from == "" || isCall(main.from) {
		return main, nil
	}
	l := t.scope[main.from].let
	if l.src == nil {
		return main, nil // a table lookup
	}
	base, err := t.startFromTables(l.src)
	if err != nil {
		return nil, err
	}
	stages := t.copyNodes(base.stages)
	if len(l.usedBy) > 0 {
		// The let is written too, its stages with their names: the copies go unnamed, as a rule's
		// stage names are its own.
		for _, s := range stages {
			if len(s.Content) >= 2 && s.Content[0].Value == "name" {
				s.Content = s.Content[2:]
			}
		}
	}
	if len(stages) > 0 {
		stages[0].HeadComment = commentText(letText(t.src, l.decl)) + "\n" + stages[0].HeadComment
	}
	if len(l.usedBy) == 0 && len(stages) > 0 {
		l.node = nil // its stages are the rule's own
		last := stages[len(stages)-1]
		last.Content = append([]*yaml.Node{scalar("name"), scalar(l.name)}, last.Content...)
	}
	return &source{tables: base.tables, union: base.union, stages: append(stages, main.stages...), pos: main.pos}, nil
}

func (t *translator) copyNodes(nodes []*yaml.Node) []*yaml.Node {
	out := make([]*yaml.Node, len(nodes))
	for i, n := range nodes {
		c := *n
		c.Content = append([]*yaml.Node(nil), n.Content...)
		out[i] = &c
		if p, ok := t.places[n]; ok {
			t.places[&c] = p
		}
	}
	return out
}

// isRows tells whether x is a tabular expression.
func isRows(x kqlparse.Expr, scope map[string]*binding) bool {
	switch x := x.(type) {
	case *kqlparse.Paren:
		return isRows(x.X, scope)
	case *kqlparse.Ident:
		b := scope[x.Name]
		return b == nil || b.kind == bindRows || b.kind == bindTables || b.kind == bindInlineRows
	case *kqlparse.Call:
		if b := scope[x.Fn.Name]; b != nil {
			return b.kind == bindTabularFunc
		}
		return x.Fn.Name == "materialize" || x.Fn.Name == "table"
	}
	return isTabular(x)
}

// let translates one let statement.
func (t *translator) let(l *kqlparse.Let) error {
	name := l.Name.Name
	comment := letText(t.src, l)
	if !exprName.MatchString(name) || exprWords[name] {
		return t.refuse(l.Name, fmt.Sprintf("the let name %q", name))
	}
	value := unparen(l.Value)
	t.naming = name
	defer func() { t.naming = "" }()
	switch v := value.(type) {
	case *kqlparse.FuncDecl:
		return t.functionLet(l, v, comment)
	case *kqlparse.Literal:
		return t.paramLet(l, v, comment)
	case *kqlparse.Call:
		if v.Fn.Name == "toscalar" && len(v.Args) == 1 {
			return t.toscalarLet(l, v.Args[0], comment)
		}
	case *kqlparse.ExternalData:
		return t.externalTable(name, v, comment)
	}
	if !isRows(value, t.scope) {
		text, prec, err := t.scalar(value)
		if err != nil {
			return err
		}
		t.scope[name] = &binding{kind: bindInline, text: text, prec: prec}
		return nil
	}
	if tables, ok := t.plainTables(value); ok {
		t.scope[name] = &binding{kind: bindTables, tables: tables}
		return nil
	}
	t.letting = name
	src, err := t.rows(value)
	t.letting = ""
	if err != nil {
		return err
	}
	if src.from != "" && len(src.stages) == 0 && !isCall(src.from) {
		t.scope[name] = t.scope[src.from] // another name for a let
		return nil
	}
	lr := &letRows{name: name, src: src, decl: l, usedBy: map[string]bool{}}
	lr.key = key(name, commentText(comment))
	t.places[lr.key] = l.Pos
	lr.node = letNode(src, false)
	t.letOrder = append(t.letOrder, lr)
	t.scope[name] = &binding{kind: bindRows, name: name, let: lr}
	return nil
}

// letText is a let statement as written.
func letText(src string, l *kqlparse.Let) string {
	return strings.TrimSpace(src[l.Offset:l.End.Offset]) + ";"
}

// plainTables tells whether x only names tables (a table, a let of tables, a union of them).
func (t *translator) plainTables(x kqlparse.Expr) ([]string, bool) {
	switch x := unparen(x).(type) {
	case *kqlparse.Ident:
		b := t.scope[x.Name]
		if b == nil {
			return []string{x.Name}, true
		}
		if b.kind == bindTables {
			return b.tables, true
		}
	case *kqlparse.Union:
		var out []string
		for _, p := range x.Params {
			if p.Name != "isfuzzy" && !(p.Name == "kind" && isWord(p.Value, "outer")) {
				return nil, false
			}
		}
		for _, op := range x.Tables {
			tables, ok := t.plainTables(op)
			if !ok {
				return nil, false
			}
			out = append(out, tables...)
		}
		return out, len(out) > 0
	}
	return nil, false
}

func isWord(x kqlparse.Expr, w string) bool {
	id, ok := x.(*kqlparse.Ident)
	return ok && strings.EqualFold(id.Name, w)
}

func letNode(src *source, scalarLet bool) *yaml.Node {
	var content []*yaml.Node
	if scalarLet {
		content = append(content, scalar("toscalar"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	}
	content = append(content, src.start()...)
	if len(src.stages) > 0 {
		content = append(content, scalar("stages"), sequence(src.stages...))
	}
	return &yaml.Node{Kind: yaml.MappingNode, Content: content}
}

// paramLet makes a let of a literal a param: its value is the default, --set tunes it.
func (t *translator) paramLet(l *kqlparse.Let, v *kqlparse.Literal, comment string) error {
	name := l.Name.Name
	b := &binding{kind: bindParam, name: name}
	var value *yaml.Node
	switch v.Kind {
	case kqlparse.LitInt:
		value = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: v.Text}
		value.Value = fmt.Sprint(v.Value)
	case kqlparse.LitReal:
		s, err := formatReal(v.Value.(float64))
		if err != nil {
			return t.refuse(v, "the literal "+v.Text)
		}
		value = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: s}
	case kqlparse.LitBool:
		value = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(v.Value)}
	case kqlparse.LitString:
		if v.Obfuscated {
			return t.refuse(v, "an obfuscated string (h\"...\")")
		}
		value = str(v.Value.(string))
	case kqlparse.LitTimespan:
		if v.Placeholder != "" {
			return t.refuse(v, "the hunting-query placeholder "+v.Placeholder)
		}
		value = str(FormatTimespan(v.Value.(time.Duration)))
		b.kind = bindTimespanParam
	case kqlparse.LitDatetime:
		if v.Placeholder != "" {
			return t.refuse(v, "the hunting-query placeholder "+v.Placeholder)
		}
		value = str(formatDatetime(v.Value.(time.Time)))
		b.kind = bindDatetimeParam
	case kqlparse.LitDynamic:
		arr, ok := v.Value.([]any)
		if !ok || len(arr) == 0 {
			text, err := t.literal(v, false)
			if err != nil {
				return err
			}
			t.scope[name] = &binding{kind: bindInline, text: text, prec: precAtom}
			return nil
		}
		list := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range arr {
			switch e := e.(type) {
			case string:
				list.Content = append(list.Content, str(e))
			case int64:
				list.Content = append(list.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(e)})
			case float64:
				s, err := formatReal(e)
				if err != nil {
					return t.refuse(v, "the literal "+v.Text)
				}
				list.Content = append(list.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: s})
			case bool:
				list.Content = append(list.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(e)})
			default:
				return t.refuse(v, "a dynamic array of other than single values as a let")
			}
		}
		value = list
		b.kind = bindList
	default:
		text, err := t.literal(v, false)
		if err != nil {
			return err
		}
		t.scope[name] = &binding{kind: bindInline, text: text, prec: precAtom}
		return nil
	}
	k := key(name, commentText(comment))
	t.places[k] = l.Pos
	t.params = append(t.params, k, value)
	t.scope[name] = b
	return nil
}

// toscalarLet translates let X = toscalar(rows): a list read with externaldata becomes a lookup,
// anything else a toscalar let.
func (t *translator) toscalarLet(l *kqlparse.Let, rows kqlparse.Expr, comment string) error {
	name := l.Name.Name
	if lk, ok, err := t.externalList(rows); ok || err != nil {
		if err != nil {
			return err
		}
		lk.Name = name
		lk.File = name + ".csv"
		t.lookupFiles = append(t.lookupFiles, lk)
		k := key(name, commentText(comment))
		t.places[k] = l.Pos
		t.lookups = append(t.lookups, k, mapping(
			scalar("file"), scalar(lk.File), scalar("column"), scalar(lk.Column), scalar("url"), scalar(lk.URL)))
		t.scope[name] = &binding{kind: bindList, name: name}
		return nil
	}
	t.letting = name
	src, err := t.rows(rows)
	t.letting = ""
	if err != nil {
		return err
	}
	lr := &letRows{name: name, src: src, decl: l, usedBy: map[string]bool{}}
	lr.key = key(name, commentText(comment))
	t.places[lr.key] = l.Pos
	lr.node = letNode(src, true)
	t.letOrder = append(t.letOrder, lr)
	t.scope[name] = &binding{kind: bindScalarLet, name: name}
	return nil
}

// externalList recognises externaldata(c: string) [url] with (format="csv"...) | summarize
// make_list(c) (or make_set): the list of a CSV file's column, which the rule reads as a lookup.
// https://learn.microsoft.com/kusto/query/externaldata-operator
func (t *translator) externalList(x kqlparse.Expr) (Lookup, bool, error) {
	pl, ok := unparen(x).(*kqlparse.Pipeline)
	if !ok {
		return Lookup{}, false, nil
	}
	ext, ok := unparen(pl.Source).(*kqlparse.ExternalData)
	if !ok {
		return Lookup{}, false, nil
	}
	bad := func(n kqlparse.Node, what string) (Lookup, bool, error) {
		return Lookup{}, true, t.refuse(n, what)
	}
	if len(ext.URLs) != 1 {
		return bad(ext, "externaldata with other than one URL")
	}
	url, ok := unparen(ext.URLs[0]).(*kqlparse.Literal)
	if !ok || url.Kind != kqlparse.LitString {
		return bad(ext, "externaldata whose URL is not a string")
	}
	csvFormat := false
	for _, p := range ext.With {
		v, _ := unparen(p.Value).(*kqlparse.Literal)
		switch {
		case p.Name == "format" && v != nil && v.Kind == kqlparse.LitString && v.Value == "csv":
			csvFormat = true
		case p.Name == "ignoreFirstRecord" && v != nil && v.Kind == kqlparse.LitBool && v.Value == true:
			// The lookup reads its first line as the header.
		default:
			return bad(p, "the externaldata property "+p.Name)
		}
	}
	if !csvFormat || !ignoresHeader(ext) {
		return bad(ext, "externaldata other than a CSV file with a header row (format=\"csv\", ignoreFirstRecord=true)")
	}
	var column string
	for _, op := range pl.Ops {
		sum, ok := op.(*kqlparse.Summarize)
		if !ok || column != "" || len(sum.Aggregates) != 1 || len(sum.By) != 0 {
			return bad(op, "externaldata through "+op.Name()+" other than one summarize make_list(column)")
		}
		call, ok := sum.Aggregates[0].Value.(*kqlparse.Call)
		if !ok || (call.Fn.Name != "make_list" && call.Fn.Name != "make_set") || len(call.Args) != 1 {
			return bad(op, "externaldata through a summarize other than make_list(column)")
		}
		id, ok := call.Args[0].(*kqlparse.Ident)
		if !ok {
			return bad(op, "externaldata through a summarize other than make_list(column)")
		}
		column = id.Name
	}
	if column == "" {
		return bad(pl, "externaldata without summarize make_list(column)")
	}
	found := false
	for _, c := range ext.Columns {
		found = found || c.Name.Name == column
	}
	if !found {
		return bad(pl, "externaldata summarised on a column it does not declare")
	}
	return Lookup{Column: column, URL: url.Value.(string)}, true, nil
}

func ignoresHeader(ext *kqlparse.ExternalData) bool {
	for _, p := range ext.With {
		if v, ok := unparen(p.Value).(*kqlparse.Literal); ok && p.Name == "ignoreFirstRecord" && v.Value == true {
			return true
		}
	}
	return false
}

// rows translates a tabular expression.
func (t *translator) rows(x kqlparse.Expr) (*source, error) {
	switch x := x.(type) {
	case *kqlparse.Paren:
		return t.rows(x.X)
	case *kqlparse.Call:
		if x.Fn.Name == "materialize" && len(x.Args) == 1 {
			return t.rows(x.Args[0])
		}
		if x.Fn.Name == "table" {
			return t.tableOfParam(x)
		}
		if b := t.scope[x.Fn.Name]; b != nil && b.kind == bindTabularFunc {
			return t.functionCall(x, b)
		}
		if x.Fn.Name == "_GetWatchlist" || strings.HasPrefix(x.Fn.Name, "_Im_") || strings.HasPrefix(x.Fn.Name, "_ASim_") {
			return nil, t.refuse(x, x.Fn.Name+"() (watchlists and ASIM parsers are functions of a Sentinel workspace, which detect does not have)")
		}
		return nil, t.refuse(x, "the tabular function "+x.Fn.Name+"()")
	case *kqlparse.Ident, *kqlparse.Union:
		if tables, ok := t.plainTables(x); ok {
			for _, name := range tables {
				if _, err := schema.Lookup(name); err != nil {
					return nil, t.refuse(x, "the table "+name+" (detect has no schema for it; add one with --tables)")
				}
			}
			return t.fromTables(tables, x.Position()), nil
		}
		if u, ok := x.(*kqlparse.Union); ok {
			return t.union(u)
		}
		if id, ok := x.(*kqlparse.Ident); ok {
			b := t.scope[id.Name]
			if b.kind == bindRows {
				if t.letting != "" {
					b.let.usedBy[t.letting] = true
				}
				return &source{from: id.Name, pos: id.Pos}, nil
			}
			if b.kind == bindInlineRows {
				return t.inlineRows(id, b)
			}
			return nil, t.refuse(id, "rows from the scalar let "+id.Name)
		}
		return nil, t.refuse(x, "this union")
	case *kqlparse.Pipeline:
		src, err := t.rows(x.Source)
		if err != nil {
			return nil, err
		}
		for i, op := range x.Ops {
			t.opText = x.OperatorText(t.src, i)
			stage, err := t.operator(op)
			if err != nil {
				return nil, err
			}
			if stage == nil {
				continue
			}
			stage.HeadComment = commentText("| " + t.operatorText(x, i))
			t.places[stage] = op.Position()
			src.stages = append(src.stages, stage)
		}
		return src, nil
	case *kqlparse.ExternalData:
		return t.externalRows(x)
	case *kqlparse.Datatable:
		return nil, t.refuse(x, "datatable")
	case *kqlparse.Range:
		return nil, t.refuse(x, "range")
	case *kqlparse.Print:
		return nil, t.refuse(x, "print")
	case *kqlparse.EvaluateSource:
		return nil, t.refuse(x, "evaluate "+x.Evaluate.Plugin.Fn.Name+"()")
	}
	return nil, t.refuse(x, "this tabular expression")
}

// operatorText is the KQL an operator's stage ports, for its comment; a join's right side in
// parentheses is left out ("(...)"), as its own stages carry their comments.
func (t *translator) operatorText(pl *kqlparse.Pipeline, i int) string {
	text := pl.OperatorText(t.src, i)
	j, ok := pl.Ops[i].(*kqlparse.Join)
	if !ok || len(j.On) == 0 {
		return text
	}
	paren, ok := j.Right.(*kqlparse.Paren)
	if _, pipeline := unparen(j.Right).(*kqlparse.Pipeline); !ok || !pipeline {
		return text
	}
	start := pl.Ops[i].Position().Offset
	on := strings.LastIndex(t.src[paren.Offset:j.On[0].Position().Offset], "on")
	if on < 0 {
		return text
	}
	return strings.Join(strings.Fields(t.src[start:paren.Offset]+"(...) "+t.src[paren.Offset+on:start+len(text)]), " ")
}

// start is the key and value that say where the rows start: table:, from: or union:.
func (src *source) start() []*yaml.Node {
	switch {
	case src.union != nil:
		return []*yaml.Node{scalar("union"), src.union}
	case src.from != "":
		return []*yaml.Node{scalar("from"), scalar(src.from)}
	}
	return []*yaml.Node{scalar("table"), tablesNode(src.tables)}
}

// union translates a union of lets, tables and pipelines (one of tables alone is a table list).
// https://learn.microsoft.com/kusto/query/union-operator
func (t *translator) union(u *kqlparse.Union) (*source, error) {
	spec := mapping()
	for _, p := range u.Params {
		switch v := unparen(p.Value).(type) {
		case *kqlparse.Ident:
			if p.Name != "kind" && p.Name != "withsource" {
				return nil, t.refuse(p, "union "+p.Name)
			}
			spec.Content = append(spec.Content, scalar(p.Name), scalar(v.Name))
		case *kqlparse.Literal:
			if p.Name != "isfuzzy" || v.Kind != kqlparse.LitBool {
				return nil, t.refuse(p, "union "+p.Name)
			}
			spec.Content = append(spec.Content, scalar("isfuzzy"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(v.Value)})
		default:
			return nil, t.refuse(p, "union "+p.Name)
		}
	}
	of := sequence()
	for _, op := range u.Tables {
		if id, ok := unparen(op).(*kqlparse.Ident); ok {
			if b := t.scope[id.Name]; b != nil && b.kind == bindRows {
				if t.letting != "" {
					b.let.usedBy[t.letting] = true
				}
				of.Content = append(of.Content, scalar(id.Name))
				continue
			}
		}
		if strings.Contains(exprText(op), "*") {
			return nil, t.refuse(op, "a union of tables named by a wildcard")
		}
		src, err := t.rows(op)
		if err != nil {
			return nil, err
		}
		if src.union != nil {
			return nil, t.refuse(op, "a union inside a union")
		}
		if isCall(src.from) && len(src.stages) == 0 {
			of.Content = append(of.Content, str(src.from))
			continue
		}
		operand := mapping(src.start()...)
		if len(src.stages) > 0 {
			operand.Content = append(operand.Content, scalar("stages"), sequence(src.stages...))
		}
		of.Content = append(of.Content, operand)
	}
	spec.Content = append(spec.Content, scalar("of"), of)
	return &source{union: spec, pos: u.Pos}, nil
}

func exprText(x kqlparse.Expr) string {
	if id, ok := x.(*kqlparse.Ident); ok {
		return id.Name
	}
	return ""
}

// fromTables reads tables, within Sentinel's window when the rule has one.
func (t *translator) fromTables(tables []string, pos kqlparse.Pos) *source {
	src := &source{tables: tables, pos: pos}
	if t.window != "" {
		// Named, so that the run's word on the rows it drops names it; each table read has its own.
		t.windows++
		name := "sentinel-window"
		if t.windows > 1 {
			name += "-" + strconv.Itoa(t.windows)
		}
		w := mapping(scalar("name"), scalar(name), scalar("where"), scalar(t.window))
		t.places[w] = pos
		w.HeadComment = commentText(t.windowComment)
		src.stages = append(src.stages, w)
	}
	return src
}

// commentText makes text a comment, cut to its first lines.
func commentText(text string) string {
	const maxLines = 8
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) > maxLines {
		lines = append(lines[:maxLines-1], "...")
	}
	for i, l := range lines {
		lines[i] = "# " + strings.TrimRight(l, " \t\r")
	}
	return strings.Join(lines, "\n")
}

func tablesNode(tables []string) *yaml.Node {
	if len(tables) == 1 {
		return scalar(tables[0])
	}
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, tb := range tables {
		n.Content = append(n.Content, scalar(tb))
	}
	return n
}

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }

// str is a scalar that reads back as a string whatever its text (true, 90, null).
func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func key(name, comment string) *yaml.Node {
	n := scalar(name)
	n.HeadComment = comment
	return n
}

func mapping(content ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Content: content}
}

func sequence(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Content: items}
}
