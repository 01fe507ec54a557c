package pipeline

// TablesWithoutRows lists the tables the plan reads (its own, its lets', its joins') of which the
// input held no records, given the records read of each table (counted before any read filter
// drops them). The plan reads such a table as an empty table of its schema: a join with it runs,
// a leftouter one leaving its columns null, so a rule still runs where a workspace lacked the
// table (IdentityInfo and BehaviorAnalytics exist only where UEBA was on); a run says so.
func (p *Plan) TablesWithoutRows(records map[string]int) []string {
	var missing []string
	for _, in := range p.Inputs {
		if records[in.Table.Name] == 0 {
			missing = append(missing, in.Table.Name)
		}
	}
	return missing
}
