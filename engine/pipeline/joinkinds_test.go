package pipeline

import (
	"reflect"
	"strings"
	"testing"

	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// learnJoinRows are the example tables of Learn's join flavour pages (join-rightouter: X | join
// kind=rightouter Y on Key), as sign-ins: X (Key,
// Value1) is the left side, the first logins (lines 1-4: a 1, b 2, b 3, c 4); Y (Key, Value2) the
// right side, the refresh-token logins (lines 11-14: b 10, c 20, c 30, d 40). Key is SessionId and
// the value AppDisplayName.
func learnJoinRows(t *testing.T) []record.Row {
	mk := func(line int, key, value, token string) record.Row {
		return tableRow(t, nonInteractive, line, map[string]any{"SessionId": key, "AppDisplayName": value, "IncomingTokenType": token})
	}
	return []record.Row{
		mk(1, "a", "1", "none"), mk(2, "b", "2", "none"), mk(3, "b", "3", "none"), mk(4, "c", "4", "none"),
		mk(11, "b", "10", "refreshToken"), mk(12, "c", "20", "refreshToken"), mk(13, "c", "30", "refreshToken"), mk(14, "d", "40", "refreshToken"),
	}
}

// Each join kind gives the rows and columns its Learn page's example gives (X | join kind=K Y on
// Key), and every kind of rule.JoinKinds has its case here.
// https://learn.microsoft.com/kusto/query/join-operator and the pages of each flavour:
// join-innerunique, join-inner, join-leftouter, join-rightouter, join-fullouter, join-leftsemi,
// join-leftanti, join-rightsemi, join-rightanti.
func TestJoinKindsAsLearnShowsThem(t *testing.T) {
	both := []string{"SessionId", "AppDisplayName", "SessionId1", "AppDisplayName1"}
	left := []string{"SessionId", "AppDisplayName"}
	cases := map[string]struct {
		cols []string
		want []string
	}{
		// innerunique keeps one left row of each key: b 2 (Learn: "any" row; this engine the first).
		"innerunique": {both, []string{"SessionId=b AppDisplayName=2 SessionId1=b AppDisplayName1=10 @2,11",
			"SessionId=c AppDisplayName=4 SessionId1=c AppDisplayName1=20 @4,12", "SessionId=c AppDisplayName=4 SessionId1=c AppDisplayName1=30 @4,13"}},
		"inner": {both, []string{"SessionId=b AppDisplayName=2 SessionId1=b AppDisplayName1=10 @2,11",
			"SessionId=b AppDisplayName=3 SessionId1=b AppDisplayName1=10 @3,11",
			"SessionId=c AppDisplayName=4 SessionId1=c AppDisplayName1=20 @4,12", "SessionId=c AppDisplayName=4 SessionId1=c AppDisplayName1=30 @4,13"}},
		"leftouter": {both, []string{"SessionId=a AppDisplayName=1 SessionId1= AppDisplayName1= @1",
			"SessionId=b AppDisplayName=2 SessionId1=b AppDisplayName1=10 @2,11",
			"SessionId=b AppDisplayName=3 SessionId1=b AppDisplayName1=10 @3,11",
			"SessionId=c AppDisplayName=4 SessionId1=c AppDisplayName1=20 @4,12", "SessionId=c AppDisplayName=4 SessionId1=c AppDisplayName1=30 @4,13"}},
		"rightouter": {both, []string{"SessionId=b AppDisplayName=2 SessionId1=b AppDisplayName1=10 @2,11",
			"SessionId=b AppDisplayName=3 SessionId1=b AppDisplayName1=10 @3,11",
			"SessionId=c AppDisplayName=4 SessionId1=c AppDisplayName1=20 @4,12", "SessionId=c AppDisplayName=4 SessionId1=c AppDisplayName1=30 @4,13",
			"SessionId= AppDisplayName= SessionId1=d AppDisplayName1=40 @14"}},
		"fullouter": {both, []string{"SessionId=a AppDisplayName=1 SessionId1= AppDisplayName1= @1",
			"SessionId=b AppDisplayName=2 SessionId1=b AppDisplayName1=10 @2,11",
			"SessionId=b AppDisplayName=3 SessionId1=b AppDisplayName1=10 @3,11",
			"SessionId=c AppDisplayName=4 SessionId1=c AppDisplayName1=20 @4,12", "SessionId=c AppDisplayName=4 SessionId1=c AppDisplayName1=30 @4,13",
			"SessionId= AppDisplayName= SessionId1=d AppDisplayName1=40 @14"}},
		"leftsemi":  {left, []string{"SessionId=b AppDisplayName=2 @2", "SessionId=b AppDisplayName=3 @3", "SessionId=c AppDisplayName=4 @4"}},
		"leftanti":  {left, []string{"SessionId=a AppDisplayName=1 @1"}},
		"rightsemi": {left, []string{"SessionId=b AppDisplayName=10 @11", "SessionId=c AppDisplayName=20 @12", "SessionId=c AppDisplayName=30 @13"}},
		"rightanti": {left, []string{"SessionId=d AppDisplayName=40 @14"}},
	}
	for _, kind := range rule.JoinKinds {
		c, ok := cases[kind.Name]
		if !ok {
			t.Errorf("join kind %s has no case in this test", kind.Name)
			continue
		}
		p := mustCompileBody(t, `table: AADNonInteractiveUserSignInLogs
stages:
  - where: IncomingTokenType == "none"
  - project: [SessionId, AppDisplayName]
  - join:
      kind: `+kind.Name+`
      on: [SessionId]
      right:
        stages:
          - where: IncomingTokenType != "none"
          - project: [SessionId, AppDisplayName]
`)
		if got := strings.Split(columnNames(p.Output), ", "); !reflect.DeepEqual(got, c.cols) {
			t.Errorf("%s: columns %q, want %q", kind.Name, got, c.cols)
		}
		got := runTables(t, p, map[string][]record.Row{nonInteractive: learnJoinRows(t)})
		expectRows(t, "join kind="+kind.Name, show(got, c.cols...), c.want)
	}
}
