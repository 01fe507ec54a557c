package kqlimport

import (
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/signin-detect/detect/engine/rule"
	"github.com/signin-detect/detect/engine/sentinel"
)

// metadata writes the Sentinel rule's metadata under the rule language's keys (README "Writing
// rules": the same names Sentinel uses); keys the rule language does not interpret are carried
// under sentinel:, as they were written.
func metadata(r *sentinel.Rule) *yaml.Node {
	m := mapping()
	add := func(k string, v *yaml.Node) { m.Content = append(m.Content, scalar(k), v) }
	add("id", scalar(r.ID))
	add("name", str(r.Name))
	if r.Description != "" {
		add("description", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.LiteralStyle, Value: strings.TrimSpace(r.Description) + "\n"})
	}
	severity := r.Severity
	if severity == "" {
		severity = "Informational"
		add("severity", scalar(severity))
		m.Content[len(m.Content)-2].LineComment = "# the Sentinel file gives none"
	} else {
		add("severity", scalar(severity))
	}
	// A tactic or technique the rule language does not know (a published typo such as T1A0007)
	// is carried under sentinel: rather than dropped.
	tactics, otherTactics := split(r.Tactics, rule.ValidTactic)
	techniques, otherTechniques := split(r.Techniques, rule.ValidTechnique)
	if len(tactics) > 0 {
		add("tactics", flowList(tactics))
	}
	if len(techniques) > 0 {
		add("relevantTechniques", flowList(techniques))
	}
	if r.QueryPeriod > 0 {
		add("queryPeriod", scalar(FormatTimespan(r.QueryPeriod)))
	}
	if r.QueryFrequency > 0 {
		add("queryFrequency", scalar(FormatTimespan(r.QueryFrequency)))
	}
	if r.TriggerOperator != "" {
		add("triggerOperator", scalar(r.TriggerOperator))
		add("triggerThreshold", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(r.TriggerThreshold, 10)})
	}
	if len(r.EntityMappings) > 0 {
		list := sequence()
		for _, e := range r.EntityMappings {
			fields := sequence()
			for _, f := range e.FieldMappings {
				fm := mapping(scalar("identifier"), str(f.Identifier), scalar("columnName"), str(f.ColumnName))
				fm.Style = yaml.FlowStyle
				fields.Content = append(fields.Content, fm)
			}
			list.Content = append(list.Content, mapping(scalar("entityType"), str(e.EntityType), scalar("fieldMappings"), fields))
		}
		add("entityMappings", list)
	}
	if len(r.CustomDetails) > 0 {
		details := mapping()
		for _, kv := range r.CustomDetails {
			details.Content = append(details.Content, str(kv.Key), str(kv.Value))
		}
		add("customDetails", details)
	}
	if r.Version != "" {
		add("version", str(r.Version))
	}
	carried := mapping()
	var other []string
	for k := range r.Other {
		other = append(other, k)
	}
	sort.Strings(other)
	for _, k := range other {
		carried.Content = append(carried.Content, scalar(k), plain(r.Other[k]))
	}
	if a := r.AlertDetailsOverride; a != nil {
		ad := mapping()
		for _, kv := range [][2]string{{"alertDisplayNameFormat", a.DisplayNameFormat}, {"alertDescriptionFormat", a.DescriptionFormat},
			{"alertSeverityColumnName", a.SeverityColumnName}, {"alertTacticsColumnName", a.TacticsColumnName},
			{"alertTechniquesColumnName", a.TechniquesColumnName}} {
			if kv[1] != "" {
				ad.Content = append(ad.Content, scalar(kv[0]), str(kv[1]))
			}
		}
		if len(a.DynamicProperties) > 0 {
			props := sequence()
			for _, p := range a.DynamicProperties {
				props.Content = append(props.Content, mapping(scalar("alertProperty"), str(p.Key), scalar("value"), str(p.Value)))
			}
			ad.Content = append(ad.Content, scalar("alertDynamicProperties"), props)
		}
		carried.Content = append(carried.Content, scalar("alertDetailsOverride"), ad)
	}
	for _, kv := range [][2]string{{"kind", r.Kind}, {"status", r.Status}} {
		if kv[1] != "" {
			carried.Content = append(carried.Content, scalar(kv[0]), str(kv[1]))
		}
	}
	if len(otherTactics) > 0 {
		carried.Content = append(carried.Content, scalar("tactics"), flowList(otherTactics))
	}
	if len(otherTechniques) > 0 {
		carried.Content = append(carried.Content, scalar("relevantTechniques"), flowList(otherTechniques))
	}
	if len(r.RequiredDataConnectors) > 0 {
		list := sequence()
		for _, c := range r.RequiredDataConnectors {
			list.Content = append(list.Content, mapping(scalar("connectorId"), str(c.ConnectorID), scalar("dataTypes"), flowList(c.DataTypes)))
		}
		carried.Content = append(carried.Content, scalar("requiredDataConnectors"), list)
	}
	if len(r.Tags) > 0 {
		carried.Content = append(carried.Content, scalar("tags"), flowList(r.Tags))
	}
	if len(carried.Content) > 0 {
		k := scalar("sentinel")
		k.HeadComment = "# The rest of the Sentinel file, carried as it was (detect does not read it)."
		m.Content = append(m.Content, k, carried)
	}
	return m
}

func split(items []string, valid func(string) bool) (good, other []string) {
	for _, s := range items {
		if valid(s) {
			good = append(good, s)
		} else {
			other = append(other, s)
		}
	}
	return good, other
}

func flowList(items []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, s := range items {
		n.Content = append(n.Content, str(s))
	}
	return n
}

// plain copies a node of the Sentinel file without its comments and styles, so that it is
// written in the rule's layout.
func plain(n *yaml.Node) *yaml.Node {
	c := &yaml.Node{Kind: n.Kind, Tag: n.Tag, Value: n.Value}
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "\n") {
		c.Style = yaml.LiteralStyle
	}
	if n.Kind == yaml.AliasNode {
		return plain(n.Alias)
	}
	for _, x := range n.Content {
		c.Content = append(c.Content, plain(x))
	}
	return c
}
