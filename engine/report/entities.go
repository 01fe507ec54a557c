package report

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/output"
)

// EntityRef is an entity an alert names: its type and the value that identifies it.
type EntityRef struct {
	Type, Value string
}

// Entity is an entity the alerts share: how many alerts name it, of which rules, and when.
type Entity struct {
	EntityRef
	Alerts      int
	Rules       []*Rule
	First, Last time.Time
	// Shown tells whether some shown alert names it (the page links to those).
	Shown bool
}

// preferredIdentifiers are, per entity type, the identifiers that name an entity best, in order;
// an entity of another type, or without them, is named by its first non-empty identifier.
var preferredIdentifiers = map[string][]string{
	"Account": {"FullName", "UPNSuffix", "Name", "AadUserId", "Sid", "ObjectGuid"},
	"IP":      {"Address"},
	"Host":    {"FullName", "HostName", "AzureID", "OMSAgentID"},
}

// entities are the entities a row of the rule names: by its entity mappings when it has them
// (those its alerts carry as _entities, see output.EntityMapping; https://learn.microsoft.com/azure/sentinel/map-data-fields-to-entities),
// else by the well-known columns it projects.
func (r *Rule) entities(values map[string]any) []EntityRef {
	var out []EntityRef
	name := func(typ, s string) { // an alert names an entity once, in however many columns
		if ref := (EntityRef{typ, s}); s != "" && !slices.Contains(out, ref) {
			out = append(out, ref)
		}
	}
	add := func(typ string, v any) {
		switch x := v.(type) {
		case []any: // a set of values (make_set) names each
			for _, e := range x {
				if s, ok := e.(string); ok {
					name(typ, s)
				}
			}
		default:
			name(typ, kql.ToString(output.Value(v)))
		}
	}
	if len(r.Mappings) > 0 {
		for _, m := range r.Mappings {
			if v, ok := r.mappedValue(m, values); ok {
				add(m.Type, v)
			}
		}
		return out
	}
	for _, col := range r.Columns {
		if typ := wellKnownEntity(col); typ != "" {
			add(typ, values[col])
		}
	}
	return out
}

// mappedValue is the value of the identifier that names the mapping's entity best.
func (r *Rule) mappedValue(m output.EntityMapping, values map[string]any) (any, bool) {
	present := func(f output.EntityField) bool {
		// as in _entities, an identifier counts only in a column the rule projects
		return slices.Contains(r.Columns, f.Column) && kql.ToString(output.Value(values[f.Column])) != ""
	}
	for _, id := range preferredIdentifiers[m.Type] {
		for _, f := range m.Fields {
			if f.Identifier == id && present(f) {
				return values[f.Column], true
			}
		}
	}
	for _, f := range m.Fields {
		if present(f) {
			return values[f.Column], true
		}
	}
	return nil, false
}

// wellKnownEntity is the entity type a column of a rule without entity mappings holds, by the
// names Entra ID tables and published rules give them: UserPrincipalName and Account* (but not a
// bare UPN suffix) hold accounts, IPAddress and *IpAddress IP addresses, DeviceName and Host*
// hosts; "" for another column.
func wellKnownEntity(col string) string {
	switch {
	case col == "UserPrincipalName", strings.HasPrefix(col, "Account") && !strings.HasSuffix(col, "Suffix"):
		return "Account"
	case strings.HasSuffix(strings.ToLower(col), "ipaddress"), col == "IPCustomEntity":
		return "IP"
	case col == "DeviceName", strings.HasPrefix(col, "Host"):
		return "Host"
	}
	return ""
}

type entityIndex struct {
	byRef map[EntityRef]*Entity
}

func newEntityIndex() *entityIndex { return &entityIndex{byRef: map[EntityRef]*Entity{}} }

func (ix *entityIndex) add(ref EntityRef, r *Rule, at time.Time, shown bool) {
	e := ix.byRef[ref]
	if e == nil {
		e = &Entity{EntityRef: ref}
		ix.byRef[ref] = e
	}
	e.Alerts++
	e.Shown = e.Shown || shown
	if !slices.Contains(e.Rules, r) {
		e.Rules = append(e.Rules, r)
	}
	if !at.IsZero() {
		if e.First.IsZero() || at.Before(e.First) {
			e.First = at
		}
		if at.After(e.Last) {
			e.Last = at
		}
	}
}

// list is the entities, those named by most alerts first.
func (ix *entityIndex) list() []*Entity {
	out := make([]*Entity, 0, len(ix.byRef))
	for _, e := range ix.byRef {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *Entity) int {
		return cmp.Or(cmp.Compare(b.Alerts, a.Alerts), cmp.Compare(a.Type, b.Type), cmp.Compare(a.Value, b.Value))
	})
	return out
}
