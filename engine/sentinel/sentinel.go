// Package sentinel reads Microsoft Sentinel analytic rule and hunting query YAML files, as the
// Azure-Sentinel repository publishes them: their metadata, and their KQL query with a map from
// every place in the query back to the file's line and column, so that a syntax error in the
// query is reported where the user can find it.
//
// Schema: https://learn.microsoft.com/azure/sentinel/detection-tuning and the Azure-Sentinel
// repository's "Query Style Guide" (analytic rules: id, name, description, severity,
// requiredDataConnectors, queryFrequency, queryPeriod, triggerOperator, triggerThreshold,
// tactics, relevantTechniques, query, entityMappings, customDetails, alertDetailsOverride,
// eventGroupingSettings, version, kind; hunting queries: the same without the schedule and
// trigger, plus tags and metadata).
package sentinel

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/signin-detect/detect/engine/kqlparse"
	"gopkg.in/yaml.v3"
)

// Position is a place in a rule file; Line and Col are 1-based (Col counts characters).
type Position struct {
	File string
	Line int
	Col  int
}

func (p Position) String() string {
	return p.File + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// Error is one problem in a rule file, at its place.
type Error struct {
	Pos Position
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Errors are all the problems found in one file, in file order.
type Errors []*Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Rule is a Sentinel analytic rule or hunting query. Fields the file does not set are zero.
type Rule struct {
	File        string
	ID          string
	Name        string
	Description string
	Severity    string // Informational, Low, Medium, High
	Status      string
	// Kind is Scheduled or NRT for analytic rules (as written, e.g. "scheduled"); "" for a
	// hunting query.
	Kind                   string
	RequiredDataConnectors []DataConnector
	// QueryFrequency and QueryPeriod are how often a scheduled rule runs and how far back it
	// looks (0 when not set). https://learn.microsoft.com/azure/sentinel/create-analytics-rules
	QueryFrequency   time.Duration
	QueryPeriod      time.Duration
	TriggerOperator  string // gt, lt, eq, ne (lower-cased)
	TriggerThreshold int64
	Tactics          []string
	Techniques       []string // relevantTechniques
	Query            string
	EntityMappings   []EntityMapping
	// CustomDetails maps an alert detail's name to the result column that fills it, in file order.
	CustomDetails         []KeyValue
	AlertDetailsOverride  *AlertDetailsOverride
	EventGroupingSettings map[string]string
	Version               string
	Tags                  []string
	// Other holds the top-level keys this package does not interpret (metadata, incident
	// configuration...), by name, so a caller can carry or report them.
	Other map[string]*yaml.Node

	// QueryUnwrapped is true when the query was published wrapped in quotes ('...' inside a
	// block scalar) and the quotes were removed.
	QueryUnwrapped bool

	queryMap queryMap
}

// DataConnector is one entry of requiredDataConnectors.
type DataConnector struct {
	ConnectorID string
	DataTypes   []string
}

// EntityMapping maps result columns to the identifiers of one entity.
// https://learn.microsoft.com/azure/sentinel/map-data-fields-to-entities
type EntityMapping struct {
	EntityType    string
	FieldMappings []FieldMapping
}

// FieldMapping is one identifier of an entity and the column that fills it.
type FieldMapping struct {
	Identifier string
	ColumnName string
}

// KeyValue is one entry of a mapping, kept in file order.
type KeyValue struct {
	Key   string
	Value string
}

// AlertDetailsOverride customises an alert's name, description, severity, tactics and
// properties from result columns.
// https://learn.microsoft.com/azure/sentinel/customize-alert-details
type AlertDetailsOverride struct {
	DisplayNameFormat    string
	DescriptionFormat    string
	SeverityColumnName   string
	TacticsColumnName    string
	DynamicProperties    []KeyValue // alertProperty -> value (a column name or a constant)
	TechniquesColumnName string
}

// Hunting reports whether the file is a hunting query: no kind and no schedule.
func (r *Rule) Hunting() bool { return r.Kind == "" && r.QueryFrequency == 0 }

// Load reads and decodes a rule file.
func Load(path string) (*Rule, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Decode(path, data)
}

// Decode decodes a rule file's content; file names it in positions. Every problem found is
// returned as Errors; the Rule is nil only when the file is not YAML or has no query.
func Decode(file string, data []byte) (*Rule, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, Errors{yamlError(file, err)}
	}
	d := &decoder{file: file, src: string(data)}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		line := 1 // an empty document ("", "---") is placed at the start of the file
		if len(doc.Content) > 0 && doc.Content[0].Tag != "!!null" {
			line = doc.Content[0].Line
		}
		return nil, Errors{{Pos: Position{File: file, Line: line, Col: 1}, Msg: "a Sentinel rule is a YAML mapping (id, name, query, ...)"}}
	}
	r := d.rule(doc.Content[0])
	if len(d.errs) > 0 {
		if r.Query == "" {
			return nil, d.errs
		}
		return r, d.errs
	}
	return r, nil
}

// yamlError turns yaml.v3's "yaml: line N: msg" into a positioned error.
func yamlError(file string, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				line, msg = n, strings.TrimSpace(rest[i+1:])
			}
		}
	}
	return &Error{Pos: Position{File: file, Line: line, Col: 1}, Msg: "not valid YAML: " + msg}
}

type decoder struct {
	file string
	src  string
	errs Errors
}

func (d *decoder) pos(n *yaml.Node) Position {
	return Position{File: d.file, Line: n.Line, Col: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.errs = append(d.errs, &Error{Pos: d.pos(n), Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) str(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, "%s must be a single value", what)
		return ""
	}
	if n.Tag == "!!null" {
		return ""
	}
	return strings.TrimSpace(n.Value)
}

func (d *decoder) strList(n *yaml.Node, what string) []string {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []string{strings.TrimSpace(n.Value)}
	}
	if n.Kind == yaml.ScalarNode {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s must be a list", what)
		return nil
	}
	var out []string
	for _, it := range n.Content {
		if s := d.str(it, what+" entry"); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// pairs returns a mapping's key and value nodes, or reports that n is not a mapping.
func (d *decoder) pairs(n *yaml.Node, what string) [][2]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s must be a mapping", what)
		return nil
	}
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, [2]*yaml.Node{n.Content[i], n.Content[i+1]})
	}
	return out
}

func (d *decoder) duration(n *yaml.Node, what string) time.Duration {
	s := d.str(n, what)
	if s == "" {
		return 0
	}
	v, err := ParseDuration(s)
	if err != nil {
		d.errorf(n, "%s: %v", what, err)
	}
	return v
}

// ParseDuration reads queryFrequency and queryPeriod values: KQL timespan literals (5m, 1h, 14d)
// or the ISO 8601 form ARM templates use (PT1H, P14D).
func ParseDuration(s string) (time.Duration, error) {
	if strings.HasPrefix(strings.ToUpper(s), "P") {
		return parseISODuration(s)
	}
	x, err := kqlparse.ParseExpr(s)
	if lit, ok := x.(*kqlparse.Literal); err == nil && ok && lit.Kind == kqlparse.LitTimespan && lit.Value != nil {
		return lit.Value.(time.Duration), nil
	}
	return 0, fmt.Errorf("%q is not a duration such as 5m, 1h or 14d", s)
}

func parseISODuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("%q is not an ISO 8601 duration such as PT1H or P14D", s)
	u := strings.ToUpper(s)[1:]
	var total time.Duration
	inTime := false
	for u != "" {
		if u[0] == 'T' {
			inTime, u = true, u[1:]
			continue
		}
		i := 0
		for i < len(u) && (u[i] >= '0' && u[i] <= '9') {
			i++
		}
		if i == 0 || i == len(u) {
			return 0, bad
		}
		n, err := strconv.ParseInt(u[:i], 10, 32)
		if err != nil {
			return 0, bad
		}
		unit := map[bool]map[byte]time.Duration{
			false: {'D': 24 * time.Hour, 'W': 7 * 24 * time.Hour},
			true:  {'H': time.Hour, 'M': time.Minute, 'S': time.Second},
		}[inTime][u[i]]
		if unit == 0 {
			return 0, bad
		}
		total += time.Duration(n) * unit
		u = u[i+1:]
	}
	if total == 0 {
		return 0, bad
	}
	return total, nil
}

var triggerOperators = map[string]string{
	"gt": "gt", "greaterthan": "gt", "lt": "lt", "lessthan": "lt",
	"eq": "eq", "equal": "eq", "ne": "ne", "notequal": "ne",
}

func (d *decoder) rule(m *yaml.Node) *Rule {
	r := &Rule{File: d.file, Other: map[string]*yaml.Node{}}
	seen := map[string]bool{}
	var queryNode *yaml.Node
	for _, kv := range d.pairs(m, "the rule") {
		k, v := kv[0], kv[1]
		if seen[k.Value] {
			d.errorf(k, "%s is given twice", k.Value)
		}
		seen[k.Value] = true
		switch k.Value {
		case "id":
			r.ID = d.str(v, "id")
		case "name":
			r.Name = d.str(v, "name")
		case "description":
			r.Description = unwrapQuotes(d.str(v, "description"))
		case "severity":
			r.Severity = d.str(v, "severity")
		case "status":
			r.Status = d.str(v, "status")
		case "kind":
			r.Kind = d.str(v, "kind")
		case "version":
			r.Version = d.str(v, "version")
		case "requiredDataConnectors":
			r.RequiredDataConnectors = d.connectors(v)
		case "queryFrequency":
			r.QueryFrequency = d.duration(v, "queryFrequency")
		case "queryPeriod":
			r.QueryPeriod = d.duration(v, "queryPeriod")
		case "triggerOperator":
			s := d.str(v, "triggerOperator")
			op, ok := triggerOperators[strings.ToLower(s)]
			if !ok && s != "" {
				d.errorf(v, "triggerOperator %q is not gt, lt, eq or ne", s)
			}
			r.TriggerOperator = op
		case "triggerThreshold":
			s := d.str(v, "triggerThreshold")
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil && s != "" {
				d.errorf(v, "triggerThreshold %q is not a whole number", s)
			}
			r.TriggerThreshold = n
		case "tactics":
			r.Tactics = d.strList(v, "tactics")
		case "relevantTechniques":
			r.Techniques = d.strList(v, "relevantTechniques")
		case "tags":
			r.Tags = d.tags(v)
		case "query":
			queryNode = v
		case "entityMappings":
			r.EntityMappings = d.entityMappings(v)
		case "customDetails":
			for _, p := range d.pairs(v, "customDetails") {
				r.CustomDetails = append(r.CustomDetails, KeyValue{p[0].Value, d.str(p[1], "customDetails "+p[0].Value)})
			}
		case "alertDetailsOverride":
			r.AlertDetailsOverride = d.alertDetailsOverride(v)
		case "eventGroupingSettings":
			r.EventGroupingSettings = map[string]string{}
			for _, p := range d.pairs(v, "eventGroupingSettings") {
				r.EventGroupingSettings[p[0].Value] = d.str(p[1], "eventGroupingSettings "+p[0].Value)
			}
		default:
			r.Other[k.Value] = v
		}
	}
	if queryNode == nil {
		d.errorf(m, "the rule has no query")
		return r
	}
	if r.ID == "" {
		d.errorf(m, "the rule has no id (a rule of detect's needs one: add the id Sentinel shows for it)")
	}
	if queryNode.Kind != yaml.ScalarNode || queryNode.Tag == "!!null" || strings.TrimSpace(queryNode.Value) == "" {
		d.errorf(queryNode, "query must be the KQL text")
		return r
	}
	r.Query, r.QueryUnwrapped = unwrapQuery(queryNode.Value)
	r.queryMap = newQueryMap(d.src, queryNode, r.Query)
	return r
}

// tags are strings, or (in some solutions) mappings such as {id: ..., version: ...}: those are
// kept as their values joined.
func (d *decoder) tags(n *yaml.Node) []string {
	if n.Kind != yaml.SequenceNode {
		return d.strList(n, "tags")
	}
	var out []string
	for _, it := range n.Content {
		if it.Kind == yaml.MappingNode {
			var parts []string
			for _, p := range d.pairs(it, "a tag") {
				parts = append(parts, p[0].Value+"="+d.str(p[1], "a tag's "+p[0].Value))
			}
			sort.Strings(parts)
			out = append(out, strings.Join(parts, ","))
			continue
		}
		out = append(out, d.str(it, "a tag"))
	}
	return out
}

func (d *decoder) connectors(n *yaml.Node) []DataConnector {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "requiredDataConnectors must be a list")
		return nil
	}
	var out []DataConnector
	for _, it := range n.Content {
		var c DataConnector
		for _, p := range d.pairs(it, "a required data connector") {
			switch p[0].Value {
			case "connectorId":
				c.ConnectorID = d.str(p[1], "connectorId")
			case "dataTypes":
				c.DataTypes = d.strList(p[1], "dataTypes")
			}
		}
		out = append(out, c)
	}
	return out
}

func (d *decoder) entityMappings(n *yaml.Node) []EntityMapping {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "entityMappings must be a list")
		return nil
	}
	var out []EntityMapping
	for _, it := range n.Content {
		var e EntityMapping
		for _, p := range d.pairs(it, "an entity mapping") {
			switch p[0].Value {
			case "entityType":
				e.EntityType = d.str(p[1], "entityType")
			case "fieldMappings":
				if p[1].Kind != yaml.SequenceNode {
					d.errorf(p[1], "fieldMappings must be a list")
					continue
				}
				for _, f := range p[1].Content {
					var fm FieldMapping
					for _, fp := range d.pairs(f, "a field mapping") {
						switch fp[0].Value {
						case "identifier":
							fm.Identifier = d.str(fp[1], "identifier")
						case "columnName":
							fm.ColumnName = d.str(fp[1], "columnName")
						}
					}
					if fm.Identifier == "" || fm.ColumnName == "" {
						d.errorf(f, "a field mapping needs identifier and columnName")
					}
					e.FieldMappings = append(e.FieldMappings, fm)
				}
			}
		}
		if e.EntityType == "" {
			d.errorf(it, "an entity mapping needs entityType")
		}
		out = append(out, e)
	}
	return out
}

func (d *decoder) alertDetailsOverride(n *yaml.Node) *AlertDetailsOverride {
	a := &AlertDetailsOverride{}
	for _, p := range d.pairs(n, "alertDetailsOverride") {
		switch p[0].Value {
		case "alertDisplayNameFormat":
			a.DisplayNameFormat = d.str(p[1], p[0].Value)
		case "alertDescriptionFormat":
			a.DescriptionFormat = d.str(p[1], p[0].Value)
		case "alertSeverityColumnName":
			a.SeverityColumnName = d.str(p[1], p[0].Value)
		case "alertTacticsColumnName":
			a.TacticsColumnName = d.str(p[1], p[0].Value)
		case "alertTechniquesColumnName":
			a.TechniquesColumnName = d.str(p[1], p[0].Value)
		case "alertDynamicProperties":
			if p[1].Kind != yaml.SequenceNode {
				d.errorf(p[1], "alertDynamicProperties must be a list")
				continue
			}
			for _, it := range p[1].Content {
				var kv KeyValue
				for _, q := range d.pairs(it, "an alert dynamic property") {
					switch q[0].Value {
					case "alertProperty":
						kv.Key = d.str(q[1], "alertProperty")
					case "value":
						kv.Value = d.str(q[1], "value")
					}
				}
				a.DynamicProperties = append(a.DynamicProperties, kv)
			}
		}
	}
	return a
}

// unwrapQuotes removes the single quotes Sentinel's style wraps descriptions in ('...').
func unwrapQuotes(s string) string {
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// unwrapQuery removes quotes a query was published wrapped in (a block scalar whose text starts
// with ' and ends with '): each quote becomes a space, so every other character keeps its line
// and column. A query that parses as it stands is left alone (it may be one quoted string).
func unwrapQuery(q string) (string, bool) {
	t := strings.TrimSpace(q)
	if len(t) < 2 || !(t[0] == '\'' && t[len(t)-1] == '\'' || t[0] == '"' && t[len(t)-1] == '"') {
		return q, false
	}
	if _, err := kqlparse.Parse(q); err == nil {
		return q, false
	}
	first := strings.IndexByte(q, t[0])
	last := strings.LastIndexByte(q, t[0])
	return q[:first] + " " + q[first+1:last] + " " + q[last+1:], true
}
