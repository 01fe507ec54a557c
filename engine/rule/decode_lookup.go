package rule

import "gopkg.in/yaml.v3"

// LookupKinds are the kinds of KQL's lookup operator, its default first.
// https://learn.microsoft.com/kusto/query/lookup-operator
var LookupKinds = []string{"leftouter", "inner"}

// ExternalFormats are the formats a table lookup's file may have, KQL's default (csv) first.
// https://learn.microsoft.com/kusto/query/externaldata-operator
var ExternalFormats = []string{"csv", "tsv", "json", "multijson"}

// ipv4Lookup reads an ipv4-lookup block: {from: TABLE, ip: Column, range: Column, keys: [Column],
// return_unmatched: bool}, the arguments of KQL's evaluate ipv4_lookup(LookupTable,
// SourceIPv4Key, IPv4LookupKey, ExtraKey1, ..., return_unmatched).
func (d *decoder) ipv4Lookup(n *yaml.Node) *IPv4LookupSpec {
	spec := &IPv4LookupSpec{}
	for _, e := range d.mapping(n, "ipv4-lookup", "from", "ip", "range", "keys", "return_unmatched") {
		switch e.key.Value {
		case "from":
			spec.From, _ = d.nonEmpty(e.value, "ipv4-lookup from")
		case "ip":
			spec.IP, _ = d.nonEmpty(e.value, "ipv4-lookup ip")
		case "range":
			spec.Range, _ = d.nonEmpty(e.value, "ipv4-lookup range")
		case "keys":
			spec.Keys = d.strList(e.value, "ipv4-lookup keys")
		case "return_unmatched":
			if e.value.Kind != yaml.ScalarNode || e.value.Tag != "!!bool" {
				d.errorf(e.value, "ipv4-lookup return_unmatched must be true or false")
			}
			spec.ReturnUnmatched = e.value.Value == "true"
		}
	}
	if n.Kind == yaml.MappingNode && (spec.From == "" || spec.IP == "" || spec.Range == "") {
		d.errorf(n, "ipv4-lookup needs from (the lookup table: a table lookup or let), ip (this side's column of IPv4 addresses) and range (the lookup table's column of IPv4 ranges)")
	}
	return spec
}
