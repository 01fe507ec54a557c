package pipeline

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/kqlexpr"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// ipv4LookupStage is KQL's evaluate ipv4_lookup(LookupTable, SourceIPv4Key, IPv4LookupKey
// [, ExtraKey1, ...] [, return_unmatched]): each row's IPv4 address is looked up among the IPv4
// ranges of a table (IP-prefix notation, 10.1.0.0/16, or a lone address, a /32) in the table's
// rows whose extra keys equal the row's (as join keys compare: a null key matches nothing), and
// the result is that of a lookup on it: for each range that holds the address, in the table's
// order, the row with the table's columns added (the range column too; the extra keys, as a
// lookup's keys, not again; a name the row has already is numbered as a join numbers it); a row
// whose address is in no range (or is no IPv4 address, or is empty) is left out, or kept with the
// table's columns null when return_unmatched is true. A range that is not an IPv4 prefix matches
// nothing.
// https://learn.microsoft.com/kusto/query/ipv4-lookup-plugin
type ipv4LookupStage struct {
	table           *let
	ip, rng         string
	keys            []string
	returnUnmatched bool
	// rightNames maps each table column to its name in the result; rightCols are those columns.
	rightNames map[string]string
	rightCols  []Column
}

func planIPv4Lookup(c *compiler, s *rule.Stage, f, _ flow) (operator, flow) {
	spec := s.IPv4
	st := &ipv4LookupStage{ip: spec.IP, rng: spec.Range, keys: spec.Keys, returnUnmatched: spec.ReturnUnmatched, rightNames: map[string]string{}}
	src, table, ok := c.fromSource(spec.From, s.Pos, "ipv4-lookup from", false)
	if !ok {
		return st, f
	}
	st.table = src.let
	if i := indexOf(f.cols, spec.IP); i < 0 {
		c.errs.Add(s.Pos, "ipv4-lookup ip: no column %s here%s", spec.IP, hint(spec.IP, f.cols))
	} else if f.cols[i].Type != kql.String {
		c.errs.Add(s.Pos, "ipv4-lookup ip: column %s is a %s; ipv4_lookup reads IPv4 addresses as strings (convert it with tostring())", spec.IP, f.cols[i].Type)
	}
	if i := indexOf(table.cols, spec.Range); i < 0 {
		c.errs.Add(s.Pos, "ipv4-lookup range: %s has no column %s%s", spec.From, spec.Range, hint(spec.Range, table.cols))
	} else if table.cols[i].Type != kql.String {
		c.errs.Add(s.Pos, "ipv4-lookup range: column %s of %s is a %s; IPv4 ranges are strings such as 10.1.0.0/16", spec.Range, spec.From, table.cols[i].Type)
	}
	c.used[spec.IP], c.used[spec.Range] = true, true
	isKey := map[string]bool{}
	for _, k := range spec.Keys {
		li, ti := indexOf(f.cols, k), indexOf(table.cols, k)
		switch {
		case li < 0 || ti < 0:
			c.errs.Add(s.Pos, "ipv4-lookup keys: %s is not a column of both the rows and %s (an extra key is a column of both)", k, spec.From)
		case f.cols[li].Type != table.cols[ti].Type:
			c.errs.Add(s.Pos, "ipv4-lookup keys: %s is a %s here and a %s in %s; keys compare values of one type", k, f.cols[li].Type, table.cols[ti].Type, spec.From)
		}
		c.used[k], isKey[k] = true, true
	}
	out := flow{cols: append([]Column(nil), f.cols...), wide: append(append([]string(nil), f.wide...), table.wide...)}
	taken := map[string]bool{}
	for _, col := range f.cols {
		taken[col.Name] = true
	}
	for _, col := range table.cols {
		if isKey[col.Name] {
			continue
		}
		name := col.Name
		for n := 1; taken[name]; n++ {
			name = fmt.Sprintf("%s%d", col.Name, n)
		}
		taken[name] = true
		st.rightNames[col.Name] = name
		st.rightCols = append(st.rightCols, Column{name, col.Type})
	}
	out.cols = append(out.cols, st.rightCols...)
	return st, out
}

// ipv4Ranges indexes a table's IPv4 ranges by prefix length, so that an address is looked up
// once per length in use, not once per range.
type ipv4Ranges struct {
	lengths []int
	byBase  map[netip.Prefix][]int
}

func newIPv4Ranges(rows []record.Row, column string) *ipv4Ranges {
	ranges := &ipv4Ranges{byBase: map[netip.Prefix][]int{}}
	for i, row := range rows {
		p, ok := parseIPv4Prefix(kql.ToString(row.Get(column)))
		if !ok {
			continue
		}
		if !slices.Contains(ranges.lengths, p.Bits()) {
			ranges.lengths = append(ranges.lengths, p.Bits())
		}
		ranges.byBase[p] = append(ranges.byBase[p], i)
	}
	return ranges
}

// holding gives the indexes of the ranges that hold addr, in table order.
func (r *ipv4Ranges) holding(addr netip.Addr) []int {
	var out []int
	for _, bits := range r.lengths {
		base, _ := addr.Prefix(bits)
		out = append(out, r.byBase[base]...)
	}
	slices.Sort(out)
	return out
}

// parseIPv4Prefix reads an IPv4 address in IP-prefix notation (10.1.0.0/16; a lone address is a
// /32), masked to its prefix.
func parseIPv4Prefix(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() {
			return netip.Prefix{}, false
		}
		return netip.PrefixFrom(a, 32), true
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, false
	}
	return p.Masked(), true
}

func (st *ipv4LookupStage) run(r *runner, s *Stage, rows, _ []record.Row, _ *StageStats) ([]record.Row, error) {
	table, err := r.let(st.table)
	if err != nil {
		return nil, err
	}
	ranges := newIPv4Ranges(table, st.rng)
	var tableKeys []rowKey
	if len(st.keys) > 0 {
		tableKeys = r.joinKeys(table, st.keys, nil)
	}
	var out []record.Row
	var b record.Builder
	pairs := newPairCount(r.plan.budget.JoinPairs, append([]string{st.ip}, st.keys...))
	for i := range rows {
		row := &rows[i]
		var matches []int
		// The source address may be masked too (Learn): its prefix's first address is looked up.
		if p, ok := parseIPv4Prefix(kql.ToString(row.Get(st.ip))); ok {
			matches = ranges.holding(p.Addr())
		}
		if len(st.keys) > 0 && len(matches) > 0 {
			key, ok := joinKey(*row, st.keys)
			matches = slices.DeleteFunc(matches, func(ti int) bool { return !ok || !tableKeys[ti].ok || tableKeys[ti].key != key })
		}
		// Over the budget, the rest of the rows are only counted, to name the total and the
		// hottest address; what was made (within the budget) is dropped with the error.
		if pairs.add(i, row, len(matches)); pairs.exceeded() {
			out = nil
			continue
		}
		if len(matches) == 0 {
			if st.returnUnmatched {
				out = append(out, st.pair(&b, row, nil, s.live))
			} else if r.tracer != nil {
				r.tracer.Unpaired(s, *row)
			}
			continue
		}
		for _, ti := range matches {
			pair := st.pair(&b, row, &table[ti], s.live)
			out = append(out, pair)
			if r.tracer != nil {
				r.tracer.Paired(s, pair)
			}
		}
	}
	if err := pairs.over(s, rows); err != nil {
		return nil, err
	}
	return out, nil
}

// pairCount counts the pairs an ipv4-lookup makes, per address (and extra keys), against the
// join-pair budget (0: none). Its pairs are found row by row, so it counts each row's before
// making them, and the lookup holds at most the budget's pairs when it fails.
type pairCount struct {
	limit, total int
	perKey       map[string]int
	firstRow     map[string]int
	partners     map[string]int
	columns      []string
}

func newPairCount(limit int, columns []string) *pairCount {
	return &pairCount{limit: limit, columns: columns, perKey: map[string]int{}, firstRow: map[string]int{}, partners: map[string]int{}}
}

// add counts the n pairs row i makes, keyed by its values of the columns.
func (c *pairCount) add(i int, row *record.Row, n int) {
	if c.limit <= 0 || n == 0 {
		return
	}
	values := make([]any, len(c.columns))
	for k, col := range c.columns {
		values[k] = row.Get(col)
	}
	key := groupKey(values)
	if _, seen := c.firstRow[key]; !seen {
		c.firstRow[key] = i
	}
	c.perKey[key] += n
	c.partners[key] = n
	c.total += n
}

func (c *pairCount) exceeded() bool { return c.limit > 0 && c.total > c.limit }

// over is the error of a lookup over its budget, naming the address that makes the most pairs.
func (c *pairCount) over(s *Stage, rows []record.Row) error {
	if !c.exceeded() {
		return nil
	}
	hottest := ""
	for key, n := range c.perKey {
		if hottest == "" || n > c.perKey[hottest] || (n == c.perKey[hottest] && key < hottest) {
			hottest = key
		}
	}
	n, ranges := c.perKey[hottest], c.partners[hottest]
	return &BudgetError{Stage: s, What: "join pairs", Flag: "--max-join-pairs", Limit: c.limit, Made: c.total,
		Hottest: describeKey(c.columns, rows[c.firstRow[hottest]]),
		Count:   fmt.Sprintf("%d pairs: %d rows with %d ranges", n, n/ranges, ranges)}
}

// pair makes the row of row and the table's row tr (null columns when tr is nil), with the
// columns read later.
func (st *ipv4LookupStage) pair(values *record.Builder, row, tr *record.Row, live columnSet) record.Row {
	for k, v := range row.All() {
		if live.has(k) {
			values.Add(k, v)
		}
	}
	if tr == nil {
		for _, col := range st.rightCols {
			if live.has(col.Name) {
				values.Set(col.Name, col.Type.Zero())
			}
		}
		return values.Row(row.Sources)
	}
	for k, v := range tr.All() {
		if name, ok := st.rightNames[k]; ok && live.has(name) {
			values.Set(name, v)
		}
	}
	sources := make([]record.Source, 0, len(row.Sources)+len(tr.Sources))
	return values.Row(append(append(sources, row.Sources...), tr.Sources...))
}

func (st *ipv4LookupStage) live(_ *Stage, after columnSet) columnSet {
	return after.with(append([]string{st.ip}, st.keys...)...)
}
func (st *ipv4LookupStage) follow(origin map[string]string) (map[string]string, bool) {
	return noneAsIs(origin)
}
func (st *ipv4LookupStage) filter() *kqlexpr.Program { return nil }
func (st *ipv4LookupStage) rowWise() bool            { return false }
func (st *ipv4LookupStage) splittable() bool         { return false }
