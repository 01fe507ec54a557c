package kqlimport

import (
	"fmt"
	"time"

	"github.com/signin-detect/detect/engine/kqlparse"
)

// defaultHuntPeriod is how far back a hunt reaches by default when the hunting query has no
// queryPeriod (README "Importing Sentinel rules" says so).
const defaultHuntPeriod = 24 * time.Hour

// huntTime translates a hunting-query placeholder read as a datetime (todatetime('{{StartTimeISO}}')
// or datetime({{StartTimeISO}})): the Sentinel hunting page fills {{StartTimeISO}} and
// {{EndTimeISO}} with the hunt's time range as ISO 8601 text before it runs the query. The rule
// gets a string param of that name, empty by default, that --set gives a datetime; while it is
// empty the range is the run's: now - queryPeriod (or 1d) to now.
// todatetime() reads the ISO text as Sentinel's would (https://learn.microsoft.com/kusto/query/todatetime-function).
func (t *translator) huntTime(n kqlparse.Node, name string) (string, error) {
	var unset string
	switch name {
	case "StartTimeISO":
		unset = fmt.Sprintf("ago(%s)", quote(FormatTimespan(t.huntPeriod())))
	case "EndTimeISO":
		unset = "now()"
	default:
		return "", t.refuse(n, "the hunting-query placeholder "+name)
	}
	if t.scope[name] == nil {
		k := key(name, commentText(fmt.Sprintf("{{%s}}: the hunt's %s, which the Sentinel hunting page fills in; set a datetime with --set %s=2026-11-01T00:00:00Z, or leave it empty for %s", name, huntEdge[name], name, unset)))
		t.places[k] = n.Position()
		t.params = append(t.params, k, str(""))
		t.scope[name] = &binding{kind: bindParam, name: name}
	}
	return fmt.Sprintf(`iff(%s == "", %s, todatetime(%s))`, name, unset, name), nil
}

var huntEdge = map[string]string{"StartTimeISO": "start", "EndTimeISO": "end"}

// huntPeriod is how far back a hunt reaches by default: the rule's queryPeriod, else a day.
func (t *translator) huntPeriod() time.Duration {
	if t.queryPeriod > 0 {
		return t.queryPeriod
	}
	return defaultHuntPeriod
}

// placeholderCall translates todatetime('{{X}}'); ok is false when the call is not that.
// totimespan('{{X}}') is refused: Sentinel fills the placeholder with a datetime's text, which is
// no timespan, so the query reads null there (https://learn.microsoft.com/kusto/query/totimespan-function).
func (t *translator) placeholderCall(c *kqlparse.Call) (string, bool, error) {
	if len(c.Args) != 1 {
		return "", false, nil
	}
	lit, isLit := unparen(c.Args[0]).(*kqlparse.Literal)
	if !isLit || lit.Kind != kqlparse.LitString {
		return "", false, nil
	}
	m := placeholder.FindStringSubmatch(lit.Value.(string))
	if m == nil {
		return "", false, nil
	}
	switch c.Fn.Name {
	case "todatetime":
		s, err := t.huntTime(lit, m[1])
		return s, true, err
	case "totimespan":
		return "", true, t.refuse(lit, timespanPlaceholder(m[1]))
	}
	return "", false, nil
}

// timespanPlaceholder names a placeholder read as a timespan, which the corpus does in
// totimespan('{{StartTimeISO}}') and timespan('{{StartTimeISO}}') (then ago(starttime)).
func timespanPlaceholder(name string) string {
	return fmt.Sprintf("the hunting-query placeholder %s as a timespan (Sentinel fills it with a datetime, which is no timespan)", name)
}
