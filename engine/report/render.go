package report

import (
	"bufio"
	_ "embed"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/signin-detect/detect/engine/kql"
)

//go:embed page.html
var pageText string

// pageTemplate is the report's template. html/template escapes every value by where it lands (element
// text, attribute, the JSON of the source records inside a script element), so that a value of a
// log (a UserAgent of <script>...) is shown as text and runs nothing.
var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"num":      num,
	"join":     func(s []string) string { return strings.Join(s, ", ") },
	"datetime": formatTime,
	"day":      func(t time.Time) string { return t.Format("2006-01-02 15:04Z") },
	"lower":    strings.ToLower,
	"plus":     func(a, b int) int { return a + b },
}).Parse(pageText))

// MaxEntities is how many entities the page lists, those named by most alerts first.
const MaxEntities = 2000

// Write writes the page of rep to w.
func Write(w io.Writer, rep *Report) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	entities := rep.Entities[:min(len(rep.Entities), MaxEntities)]
	view := struct {
		*Report
		Alerts, Shown   int
		ListedEntities  []*Entity
		EntitiesLeftOut int
		Data            pageData
		// Evaluated tells whether a hunt evaluated the rules (each rule says when).
		Evaluated bool
	}{Report: rep, ListedEntities: entities, EntitiesLeftOut: len(rep.Entities) - len(entities), Data: newPageData(rep)}
	for _, r := range rep.Rules {
		view.Evaluated = view.Evaluated || r.Evaluations != ""
		view.Alerts += r.Alerts
		view.Shown += len(r.Shown)
	}
	if err := pageTemplate.Execute(bw, view); err != nil {
		return err
	}
	return bw.Flush()
}

// pageData is what the page's script draws the alert tables from, so that a page of many alerts
// opens fast (the browser builds table rows for the alerts on screen, not for all of them): every
// string once (Strings, shared with the source records), each rule's shown alerts as rows of
// indexes into it (the alert's time, its projected columns, then its sources), and the source
// records (see Records). It reaches the page as JSON in a script element, where html/template
// escapes it; the script puts its values in the page as text (textContent), never as markup.
type pageData struct {
	Strings []string  `json:"s"`
	Alerts  [][][]int `json:"a"`
	Columns []int     `json:"c"`
	Records [][]int   `json:"r"`
}

func newPageData(rep *Report) pageData {
	rs := &rep.Records
	data := pageData{Alerts: make([][][]int, len(rep.Rules))}
	for i, r := range rep.Rules {
		rows := make([][]int, len(r.Shown))
		for j, a := range r.Shown {
			row := make([]int, 0, 1+len(a.Values)+len(a.Sources))
			row = append(row, rs.intern(formatTime(a.Time)))
			for _, v := range a.Values {
				row = append(row, rs.intern(v))
			}
			for _, src := range a.Sources {
				row = append(row, rs.intern(src))
			}
			rows[j] = row
		}
		data.Alerts[i] = rows
	}
	data.Strings, data.Columns, data.Records = rs.Strings, rs.Columns, rs.Rows
	return data
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return kql.FormatDatetime(t)
}
