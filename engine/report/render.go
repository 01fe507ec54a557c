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
	"num":  num,
	"join": func(s []string) string { return strings.Join(s, ", ") },
	"datetime": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return kql.FormatDatetime(t)
	},
	"day":   func(t time.Time) string { return t.Format("2006-01-02 15:04Z") },
	"lower": strings.ToLower,
	"plus":  func(a, b int) int { return a + b },
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
	}{Report: rep, ListedEntities: entities, EntitiesLeftOut: len(rep.Entities) - len(entities)}
	for _, r := range rep.Rules {
		view.Alerts += r.Alerts
		view.Shown += len(r.Shown)
	}
	if err := pageTemplate.Execute(bw, view); err != nil {
		return err
	}
	return bw.Flush()
}
