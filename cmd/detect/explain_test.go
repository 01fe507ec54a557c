package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var funnelRow = regexp.MustCompile(`^(\s*)(\S+)\s+(\S+)\s+(\S+:\d+:\d+)\s+(\d+)\s+(\d+)`)

// The funnel's counts add up (each stage takes what the one before it gave; a join's right side
// takes the rows of the stage it starts from) and end at the alerts run prints.
func TestExplainCountsAddUpAndAgreeWithRun(t *testing.T) {
	for _, rule := range []string{"v2", "v1", "v1-ga-noncompliant", "v2-second-result"} {
		path := "../../rules/foci/" + rule + ".yaml"
		run := detect(t, "", "run", "--rule", path, "--now", now, fixture)
		ex := detect(t, "", "explain", "--rule", path, "--now", now, fixture)
		if ex.status != 0 {
			t.Fatalf("%s: status %d\n%s", rule, ex.status, ex.stderr)
		}
		outAfter := map[string]int{}
		previousOut, stages := 120, 0
		for _, line := range strings.Split(ex.stdout, "\n") {
			m := funnelRow.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			stages++
			in, _ := strconv.Atoi(m[5])
			out, _ := strconv.Atoi(m[6])
			outAfter[m[2]] = out
			if m[1] != "" { // a join's right side: checked against its join below
				continue
			}
			if in != previousOut {
				t.Errorf("%s: stage %s takes %d rows, the stage before gave %d", rule, m[2], in, previousOut)
			}
			previousOut = out
			if m[3] == "join" && !strings.Contains(line, "pairs "+m[6]) {
				t.Errorf("%s: join line does not count its pairs: %s", rule, line)
			}
		}
		if stages < 10 {
			t.Fatalf("%s: only %d stages in:\n%s", rule, stages, ex.stdout)
		}
		if !strings.Contains(ex.stdout, strconv.Itoa(len(run.alerts))+" alerts") || previousOut != len(run.alerts) {
			t.Errorf("%s: explain ends at %d rows, run prints %d alerts", rule, previousOut, len(run.alerts))
		}
		if right := outAfter["refresh-login"]; !strings.Contains(ex.stdout, "right "+strconv.Itoa(right)+",") {
			t.Errorf("%s: the join's right rows must be what its right side gave (%d)", rule, right)
		}
	}
}

func TestExplainFollowsRowsAndNamesTheFalsePredicate(t *testing.T) {
	// Scenario f of the fixture: a pivot 120 minutes after the first login, outside V2's window.
	ex := detect(t, "", "explain", "--rule", v2Rule, "--now", now, "--where", `UserPrincipalName == "felix.novak@contoso.example"`, fixture)
	if ex.status != 0 {
		t.Fatalf("status %d\n%s", ex.status, ex.stderr)
	}
	for _, want := range []string{
		"following 2 input rows where",
		"paired at token-pair (join at v2.yaml:57:5)",
		`dropped at time-window (where at v2.yaml:81:5): TimeDiff <= maxTimeDiff is not true: TimeDiff = 120`,
		`dropped at first-login (where at v2.yaml:52:5): IncomingTokenType == "none" is not true: IncomingTokenType = "refreshToken"`,
	} {
		if !strings.Contains(ex.stdout, want) {
			t.Errorf("explain lacks %q:\n%s", want, ex.stdout)
		}
	}
	if strings.Contains(ex.stdout, "became an alert") {
		t.Error("scenario f must not become an alert in V2")
	}
	unpaired := detect(t, "", "explain", "--rule", v2Rule, "--now", now, "--where", `tolower(UserPrincipalName) == "quinn.baker@contoso.example"`, fixture)
	if !strings.Contains(unpaired.stdout, "dropped at token-pair (join at v2.yaml:57:5): no right row has SessionId = ") {
		t.Errorf("a first login whose partner differs in case is not paired:\n%s", unpaired.stdout)
	}
	if bad := detect(t, "", "explain", "--rule", v2Rule, "--where", "NoSuchColumn == 1", fixture); bad.status != 1 {
		t.Error("a bad --where must fail")
	}
}

// Explain runs a rule exactly as run does, also a rule over several tables and lets.
func TestExplainAgreesWithRunOnEveryEntraRule(t *testing.T) {
	for _, name := range []string{"bof-token-request", "devicecode-risky-user", "whfb-prt-overlap"} {
		args := []string{"--rule", "../../rules/entra/" + name + ".yaml", "--now", now, "../../fixtures/entra/" + name + "/"}
		run := detect(t, "", append([]string{"run"}, args...)...)
		ex := detect(t, "", append([]string{"explain"}, args...)...)
		if ex.status != 0 || len(run.alerts) == 0 || !strings.Contains(ex.stdout, "\n"+strconv.Itoa(len(run.alerts))+" alerts\n") {
			t.Errorf("%s: run gives %d alerts, explain says:\n%s%s", name, len(run.alerts), ex.stdout, ex.stderr)
		}
	}
}
