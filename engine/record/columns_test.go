package record

import "testing"

// Columns reads what Lookup by name reads, through rows of several layouts in turn (the slots
// found for one layout are not used for another), columns absent from a layout included.
func TestColumnsReadWhatLookupReads(t *testing.T) {
	signIn := NewLayout("TimeGenerated", "AppId", "SessionId")
	audit := NewLayout("SessionId", "OperationName")
	rows := []Row{
		signIn.Row([]any{"t1", "app-1", "s1"}, nil),
		audit.Row([]any{"s2", "Add member"}, nil),
		signIn.Row([]any{"t3", "app-3", "s3"}, nil),
		{}, // no columns
		audit.Row([]any{"s4", "Delete policy"}, nil),
	}
	names := []string{"SessionId", "AppId", "OperationName"}
	c := NewColumns(names...)
	for r, row := range rows {
		for i, name := range names {
			want, wantOK := row.Lookup(name)
			got, ok := c.Lookup(row, i)
			if got != want || ok != wantOK {
				t.Errorf("row %d, %s: %v, %v; want %v, %v", r, name, got, ok, want, wantOK)
			}
			if c.Get(row, i) != row.Get(name) {
				t.Errorf("row %d, %s: Get %v, want %v", r, name, c.Get(row, i), row.Get(name))
			}
		}
	}
}
