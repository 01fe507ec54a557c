package session_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/output"
	"github.com/signin-detect/detect/engine/pipeline"
	"github.com/signin-detect/detect/engine/rule"
	. "github.com/signin-detect/detect/engine/session"
)

// Rules a stream can run, each exercising what the incremental evaluation must get as the
// evaluation at each instant does.
var incrementalRules = map[string]string{
	// A join whose sides look back less than the queryPeriod, whose pairs a time condition bounds
	// and a where after the join that reads the clock delays (a pair is found only once its
	// second login is 30 minutes old).
	"pairs.yaml": `id: 5a0c1e52-8d3f-4c61-9b7a-1f2e3d4c5b6a
name: token pairs
severity: Medium
queryPeriod: 3h
queryFrequency: 1h
table: AADNonInteractiveUserSignInLogs
stages:
  - where: TimeGenerated > ago("2h")
  - name: succeeded
    where: ResultType == "0"
  - where: IncomingTokenType == "none"
  - join:
      kind: inner
      on: [SessionId, UserPrincipalName]
      right:
        from: succeeded
        stages:
          - where: IncomingTokenType != "none"
          - project-rename:
              SecondTime: TimeGenerated
              SecondApp: AppDisplayName
  - extend:
      Minutes: datetime_diff('minute', SecondTime, TimeGenerated)
  - where: Minutes >= 0 and Minutes <= 150
  - where: SecondTime <= ago("30m")
  - project: [TimeGenerated, SecondTime, UserPrincipalName, SessionId, AppDisplayName, SecondApp, Minutes]
`,
	// An extend that reads the clock: each evaluation gives other values, so each row runs through
	// the rule once per instant.
	"ages.yaml": `id: 6b1d2f63-9e4a-4d72-8c8b-2a3f4e5d6c7b
name: hours old
severity: Low
queryPeriod: 2h
queryFrequency: 1h
table: AADNonInteractiveUserSignInLogs
stages:
  - where: AppDisplayName == "Microsoft Azure CLI"
  - extend:
      HoursOld: datetime_diff('hour', now(), TimeGenerated)
  - project: [UserPrincipalName, HoursOld]
`,
	// A where on the clock that holds at some of a row's instants and not at those between them.
	"even-hours.yaml": `id: 7c2e3a74-af5b-4e83-9d9c-3b4a5f6e7d8c
name: even hours or recent
severity: Low
queryPeriod: 4h
queryFrequency: 1h
table: AADNonInteractiveUserSignInLogs
stages:
  - where: hourofday(now()) % 2 == 0 or TimeGenerated > ago("90m")
  - project: [UserPrincipalName, AppDisplayName]
`,
	// Windows with gaps between them (every 2h, looking back 1h), and a join that reads no clock,
	// in which a row pairs with itself.
	"gaps.yaml": `id: 8d3f4b85-b06c-4f94-ae0d-4c5b6a7f8e9d
name: same user twice
severity: High
queryPeriod: 1h
queryFrequency: 2h
table: AADNonInteractiveUserSignInLogs
stages:
  - where: AppDisplayName != "Copilot App"
  - join:
      kind: inner
      on: [UserPrincipalName]
      right:
        stages:
          - project: [UserPrincipalName, Other: TimeGenerated, OtherApp: AppDisplayName]
  - project: [UserPrincipalName, TimeGenerated, Other, AppDisplayName, OtherApp]
`,
}

// edgeCaseExport is sign-ins over four days whose times fall, more often than by chance, exactly on
// the hour (an instant of every rule, and the edge of every window and lookback of whole hours),
// a tick (100ns) either side of it, or on the half hour.
func edgeCaseExport(t *testing.T, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 7))
	start := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	apps := []string{"Microsoft Teams", "Microsoft Azure CLI", "Copilot App", "Microsoft Office"}
	offsets := []time.Duration{0, 0, 100, -100, 30 * time.Minute, 90 * time.Minute}
	var b strings.Builder
	for range 900 {
		at := start.Add(time.Duration(rng.IntN(96)) * time.Hour)
		if i := rng.IntN(len(offsets) + 2); i < len(offsets) {
			at = at.Add(offsets[i])
		} else {
			at = at.Add(time.Duration(rng.Int64N(int64(time.Hour))))
		}
		token := "none"
		if rng.IntN(2) == 0 {
			token = "refreshToken"
		}
		result := "0"
		if rng.IntN(8) == 0 {
			result = "50126"
		}
		fmt.Fprintf(&b, `{"Type":"AADNonInteractiveUserSignInLogs","TimeGenerated":%q,"UserPrincipalName":"user%d@contoso.com","SessionId":"s%d","AppDisplayName":%q,"IncomingTokenType":%q,"ResultType":%q}`+"\n",
			kql.FormatDatetime(at), rng.IntN(6), rng.IntN(4), apps[rng.IntN(len(apps))], token, result)
	}
	path := filepath.Join(t.TempDir(), "signins.ndjson")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// hunted is a hunt's alerts as written (with _window and _time), in the order written, and what
// it says of each rule.
func hunted(t *testing.T, rules *Rules, cfg HuntConfig) (alerts []string, results []HuntResult) {
	t.Helper()
	h, err := PrepareHunt(rules, cfg, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := output.NewNDJSON(&buf)
	results, err = h.Run(func(a output.Alert) error {
		if err := w.Write(a); err != nil {
			return err
		}
		w.Flush()
		alerts = append(alerts, a.Rule.File+" "+strings.TrimSpace(buf.String()))
		buf.Reset()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return alerts, results
}

// incrementalIsPerInstant hunts the rules both ways and wants the same alerts, in the same order,
// with the same windows, and the same evaluations; it tells how many alerts there were of each rule
// and how many were found again.
func incrementalIsPerInstant(t *testing.T, rules *Rules, cfg HuntConfig) (perRule map[string]int, again int) {
	t.Helper()
	cfg.PerInstant = true
	want, wantResults := hunted(t, rules, cfg)
	cfg.PerInstant = false
	got, gotResults := hunted(t, rules, cfg)
	if !slices.Equal(got, want) {
		t.Errorf("incremental hunt wrote %d alerts, evaluating at each instant %d", len(got), len(want))
		for i := range max(len(got), len(want)) {
			if i >= len(got) || i >= len(want) || got[i] != want[i] {
				t.Errorf("first difference, alert %d:\n incremental: %s\n per instant: %s", i, at(got, i), at(want, i))
				break
			}
		}
	}
	perRule = map[string]int{}
	for i, res := range gotResults {
		w := wantResults[i]
		if res.Instants != w.Instants || res.Found != w.Found || res.Alerts != w.Alerts || fmt.Sprint(res.Err) != fmt.Sprint(w.Err) {
			t.Errorf("%s: incremental evaluated %d times, found %d, wrote %d (%v); per instant %d, %d, %d (%v)",
				res.Plan.Rule.File, res.Instants, res.Found, res.Alerts, res.Err, w.Instants, w.Found, w.Alerts, w.Err)
		}
		if w.Incremental {
			t.Errorf("%s: evaluated incrementally when asked to evaluate it at each instant", res.Plan.Rule.File)
		}
		perRule[res.Plan.Rule.File] = res.Alerts
		again += res.Found - res.Alerts
	}
	return perRule, again
}

func at(alerts []string, i int) string {
	if i < len(alerts) {
		return alerts[i]
	}
	return "(none)"
}

// TestIncrementalHuntIsPerInstantHunt: a rule a stream can run, evaluated in one pass over its rows,
// writes exactly the alerts of evaluating it at each instant over its window's rows, each with the
// same first instant, in the same order; over generated sign-ins whose times fall on the instants
// and on the edges of the windows and lookbacks, with windows that overlap and windows with gaps,
// wheres and extends that read the clock, joins, and a hunt from and to times between instants.
func TestIncrementalHuntIsPerInstantHunt(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for name, text := range incrementalRules {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	slices.Sort(paths)
	rules, err := Load(paths, nil, Tuning{})
	if err != nil {
		t.Fatal(err)
	}
	for _, seed := range []uint64{1, 2, 3} {
		export := edgeCaseExport(t, seed)
		for _, c := range []struct {
			name     string
			from, to time.Time
			every    time.Duration
		}{
			{name: "whole export"},
			{name: "from and to between instants", from: time.Date(2026, 10, 6, 10, 30, 0, 0, time.UTC), to: time.Date(2026, 10, 8, 3, 15, 0, 0, time.UTC)},
			{name: "every 30m", every: 30 * time.Minute},
		} {
			t.Run(fmt.Sprintf("seed %d %s", seed, c.name), func(t *testing.T) {
				perRule, again := incrementalIsPerInstant(t, rules, HuntConfig{Input: Input{Files: []string{export}}, From: c.from, To: c.to, Every: c.every})
				for _, p := range paths {
					if perRule[p] == 0 {
						t.Errorf("%s: no alert: the comparison says nothing of it", filepath.Base(p))
					}
				}
				if again == 0 {
					t.Error("no alert was found by two evaluations")
				}
			})
		}
	}
	h, err := PrepareHunt(rules, HuntConfig{Input: Input{Files: []string{edgeCaseExport(t, 1)}}}, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	results, err := h.Run(func(output.Alert) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range results {
		if !res.Incremental {
			t.Errorf("%s: evaluated at each instant, not incrementally", res.Plan.Rule.File)
		}
	}
}

// A rule that fails at an instant fails there incrementally too: its alerts of the instants before
// stand, none after; here a join over its budget of pairs at one instant.
func TestIncrementalHuntFailsAtTheInstantTheEvaluationFails(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "gaps.yaml")
	if err := os.WriteFile(p, []byte(incrementalRules["gaps.yaml"]), 0o644); err != nil {
		t.Fatal(err)
	}
	rules, err := Load([]string{p}, nil, Tuning{Budget: pipeline.Budget{JoinPairs: 40}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := HuntConfig{Input: Input{Files: []string{edgeCaseExport(t, 1)}}, PerInstant: true}
	_, want := hunted(t, rules, cfg)
	if want[0].Err == nil || want[0].Alerts == 0 {
		t.Fatalf("the budget should fail the rule after some alerts: %d alerts, %v", want[0].Alerts, want[0].Err)
	}
	cfg.PerInstant = false
	_, got := hunted(t, rules, cfg)
	failedAt := func(err error) string { return strings.SplitN(fmt.Sprint(err), ":", 4)[2] }
	if got[0].Alerts != want[0].Alerts || got[0].Instants != want[0].Instants || got[0].Found != want[0].Found || failedAt(got[0].Err) != failedAt(want[0].Err) {
		t.Errorf("incremental: %d alerts, %d evaluations, %d found, %v\nper instant: %d, %d, %d, %v",
			got[0].Alerts, got[0].Instants, got[0].Found, got[0].Err, want[0].Alerts, want[0].Instants, want[0].Found, want[0].Err)
	}
}

// TestIncrementalHuntOfTheShippedRules: the shipped rules a stream can run, hunted in one pass,
// write what they write evaluated at each instant.
func TestIncrementalHuntOfTheShippedRules(t *testing.T) {
	path, _ := multiDayExport(t)
	rules, err := Load([]string{"../../rules"}, nil, Tuning{})
	if err != nil {
		t.Fatal(err)
	}
	// A rule without a queryPeriod or queryFrequency needs --every; one without a queryPeriod
	// cannot stream.
	rules.Rules = slices.DeleteFunc(rules.Rules, func(r *rule.Rule) bool { return r.Meta.QueryPeriod == 0 })
	for _, every := range []time.Duration{0, time.Hour} {
		perRule, _ := incrementalIsPerInstant(t, rules, HuntConfig{Input: Input{Files: []string{path}}, Every: every})
		if perRule["../../rules/foci/v2.yaml"] == 0 {
			t.Errorf("every %s: V2 gave no alert", every)
		}
	}
}
