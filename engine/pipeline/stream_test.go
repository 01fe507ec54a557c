package pipeline

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

const streamRule = `id: 5b0f5a52-8d3c-4f1e-9a57-3c2b1d0e9f8a
name: pivots
severity: Low
queryPeriod: 6h
table: AADNonInteractiveUserSignInLogs
stages:
  - name: lookback
    where: TimeGenerated > ago("6h")
  - where: IncomingTokenType == "none"
  - join:
      kind: inner
      on: [SessionId, UserPrincipalName]
      right:
        from: lookback
        stages:
          - where: IncomingTokenType != "none"
  - extend:
      Minutes: datetime_diff('minute', TimeGenerated1, TimeGenerated)
  - where: Minutes >= 1
  - project: [SessionId, TimeGenerated, TimeGenerated1, Minutes]
`

func loadStreamRule(t *testing.T, clock *time.Time, now time.Time) *Plan {
	t.Helper()
	p, err := Compile(loadRuleText(t, streamRule), Options{Now: now, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// loadRuleText loads the rule text from a file of its own.
func loadRuleText(t *testing.T, text string) *rule.Rule {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rule.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := rule.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// sessions makes time-ordered sign-ins over span: sessions of a first login and refresh logins
// up to two hours later, some sharing a user and session id across days.
func sessions(start time.Time, span time.Duration, count int) []record.Row {
	rng := rand.New(rand.NewPCG(1, 2))
	var rows []record.Row
	for s := 0; s < count; s++ {
		at := start.Add(time.Duration(rng.Int64N(int64(span))))
		id := fmt.Sprintf("session-%d", s%(count/3)) // reused: late rows pair with old ones only within the window
		user := fmt.Sprintf("user%d@contoso.example", s%(count/3))
		rows = append(rows, signin(0, map[string]any{"SessionId": id, "UserPrincipalName": user, "IncomingTokenType": "none", "TimeGenerated": at}))
		for i := rng.IntN(3); i >= 0; i-- {
			rows = append(rows, signin(0, map[string]any{"SessionId": id, "UserPrincipalName": user, "IncomingTokenType": "refreshToken",
				"TimeGenerated": at.Add(time.Duration(rng.IntN(120)) * time.Minute)}))
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		return rows[i].Get("TimeGenerated").(time.Time).Before(rows[j].Get("TimeGenerated").(time.Time))
	})
	for i := range rows {
		rows[i].Sources[0].Line = i + 1
	}
	return rows
}

func stream(t *testing.T, rows []record.Row) ([]string, *Stream) {
	t.Helper()
	var clock time.Time
	plan := loadStreamRule(t, &clock, time.Time{})
	var got []string
	s, err := NewStream(plan, &clock, func(row record.Row) error {
		got = append(got, pairKey(row))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if err := s.Push(row); err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(got)
	return got, s
}

func pairKey(row record.Row) string {
	return fmt.Sprintf("%s %d+%d", row.Get("SessionId"), row.Sources[0].Line, row.Sources[1].Line)
}

func TestStreamGivesTheBatchAlertsOverInputWithinTheLookback(t *testing.T) {
	rows := sessions(now.Add(-3*time.Hour), time.Hour, 600)
	latest := rows[len(rows)-1].Get("TimeGenerated").(time.Time)
	batch, _, err := loadStreamRule(t, nil, latest).Run(map[string][]record.Row{"AADNonInteractiveUserSignInLogs": rows})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, row := range batch {
		want = append(want, pairKey(row))
	}
	sort.Strings(want)
	got, _ := stream(t, rows)
	if len(want) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stream %d alerts, batch %d", len(got), len(want))
	}
}

// Over three days, a stream finds what the rule scheduled after every record would: each pair
// whose first row is within the queryPeriod of the later one; and it holds only the rows of the
// last queryPeriod.
func TestStreamOverDaysFindsEveryPairOfAWindowInFlatMemory(t *testing.T) {
	rows := sessions(now.Add(-72*time.Hour), 72*time.Hour, 3000)
	bySession := map[any][]int{}
	for i, row := range rows {
		bySession[row.Get("SessionId")] = append(bySession[row.Get("SessionId")], i)
	}
	var want []string
	for i, first := range rows {
		if first.Get("IncomingTokenType") != "none" {
			continue
		}
		for _, j := range bySession[first.Get("SessionId")] {
			second := rows[j]
			if second.Get("IncomingTokenType") == "none" {
				continue
			}
			t1, t2 := first.Get("TimeGenerated").(time.Time), second.Get("TimeGenerated").(time.Time)
			later := t1
			if j > i {
				later = t2
			}
			minutes := t2.Truncate(time.Minute).Sub(t1.Truncate(time.Minute)) / time.Minute
			if t1.After(later.Add(-6*time.Hour)) && t2.After(later.Add(-6*time.Hour)) && minutes >= 1 {
				want = append(want, fmt.Sprintf("%s %d+%d", first.Get("SessionId"), i+1, j+1))
			}
		}
	}
	sort.Strings(want)
	got, s := stream(t, rows)
	if len(want) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stream %d alerts, a scheduled rule %d", len(got), len(want))
	}
	// 3000 sessions over 72 hours hold about 3000*6/72*3 rows a window; all rows are ~9000.
	if s.MaxHeld > 1500 || s.Forgotten == 0 || s.Rows != len(rows) {
		t.Errorf("held at most %d rows of %d, forgot %d", s.MaxHeld, len(rows), s.Forgotten)
	}
}

func TestRulesThatNeedAllRowsCannotStream(t *testing.T) {
	var clock time.Time
	p, err := compileRuleB(t, "queryPeriod: 1h\nstages:\n  - summarize:\n      aggregates: {n: count()}\n")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewStream(p, &clock, nil); err == nil || !strings.Contains(err.Error(), "cannot stream") {
		t.Errorf("summarize: %v", err)
	}
	noPeriod := mustCompile(t, selfJoin)
	if _, err := NewStream(noPeriod, &clock, nil); err == nil || !strings.Contains(err.Error(), "queryPeriod") {
		t.Errorf("no queryPeriod: %v", err)
	}
}

// A stream's state (its held rows, across blocks of heldRows, some forgotten), restored into a
// new stream halfway, gives the alerts and counts of the stream that never stopped.
func TestStreamRestoredFromItsStateGoesOnAsIfItNeverStopped(t *testing.T) {
	rows := sessions(now.Add(-72*time.Hour), 72*time.Hour, 3000)
	want, whole := stream(t, rows)

	var clock time.Time
	var got []string
	emit := func(row record.Row) error { got = append(got, pairKey(row)); return nil }
	first, err := NewStream(loadStreamRule(t, &clock, time.Time{}), &clock, emit)
	if err != nil {
		t.Fatal(err)
	}
	half := len(rows) / 2
	for _, row := range rows[:half] {
		if err := first.Push(row); err != nil {
			t.Fatal(err)
		}
	}
	state := first.State()
	var clock2 time.Time
	second, err := NewStream(loadStreamRule(t, &clock2, time.Time{}), &clock2, emit)
	if err != nil {
		t.Fatal(err)
	}
	second.Restore(state)
	for _, row := range rows[half:] {
		if err := second.Push(row); err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(got)
	if len(state.Held) <= heldBlock || state.Forgotten == 0 {
		t.Fatalf("the state holds %d rows (%d forgotten): not across blocks", len(state.Held), state.Forgotten)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("restored: %d alerts, the stream that never stopped %d", len(got), len(want))
	}
	if second.Rows != whole.Rows || second.Forgotten != whole.Forgotten || second.MaxHeld != whole.MaxHeld || second.Held != whole.Held {
		t.Errorf("restored: rows %d, forgotten %d, held %d (most %d); never stopped: %d, %d, %d (%d)",
			second.Rows, second.Forgotten, second.Held, second.MaxHeld, whole.Rows, whole.Forgotten, whole.Held, whole.MaxHeld)
	}
}

// dayRule is the head of a rule over a day of sign-ins, its stages to follow.
const dayRule = `id: 5b0f5a52-8d3c-4f1e-9a57-3c2b1d0e9f8a
name: test
severity: Low
queryPeriod: 1d
table: AADNonInteractiveUserSignInLogs
stages:
`

// streamAndBatch runs the rule text over rows as a batch (now fixed) and as a stream, and gives
// both plans, their rows and the stream.
func streamAndBatch(t *testing.T, text string, rows []record.Row) (batchPlan, streamPlan *Plan, batch, streamed []record.Row, s *Stream) {
	t.Helper()
	r := loadRuleText(t, text)
	var err error
	if batchPlan, err = Compile(r, Options{Now: now}); err != nil {
		t.Fatal(err)
	}
	if batch, _, err = batchPlan.Run(map[string][]record.Row{"AADNonInteractiveUserSignInLogs": rows}); err != nil {
		t.Fatal(err)
	}
	var clock time.Time
	if streamPlan, err = Compile(r, Options{Clock: &clock}); err != nil {
		t.Fatal(err)
	}
	if s, err = NewStream(streamPlan, &clock, func(row record.Row) error { streamed = append(streamed, row); return nil }); err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if err := s.Push(row); err != nil {
			t.Fatal(err)
		}
	}
	return batchPlan, streamPlan, batch, streamed, s
}

// hitsOf counts the answers recalled of every where and condition of answers.
func hitsOf(answers ...[]*whereAnswers) int {
	n := 0
	for _, as := range answers {
		for _, a := range as {
			if a != nil {
				n += a.hits
			}
		}
	}
	return n
}

// The wheres below a stream's join (conditions pushed down to one side) remember their answers as
// the wheres before it do, and the stream gives the batch's pairs and counts its nulls.
func TestAStreamRemembersPushedDownConditions(t *testing.T) {
	text := dayRule + `  - name: signins
    where: AppId != ""
  - where: IncomingTokenType == "none"
  - join:
      kind: inner
      on: [SessionId, UserPrincipalName]
      right:
        from: signins
        stages:
          - where: IncomingTokenType != "none"
  - where: AppDisplayName1 != "Microsoft Teams"
  - where: todynamic(DeviceDetail1).isCompliant + 1 > 0 or ResultType1 != "x"
  - project: [SessionId, TimeGenerated, TimeGenerated1, AppDisplayName1]
`
	rows := fociSignins(t)
	batchPlan, streamPlan, batch, streamed, s := streamAndBatch(t, text, rows)
	sortRows := func(rows []record.Row) []string { out := rowMaps(rows); sort.Strings(out); return out }
	if len(batch) == 0 || !reflect.DeepEqual(sortRows(streamed), sortRows(batch)) {
		t.Errorf("stream %d pairs, batch %d", len(streamed), len(batch))
	}
	if got, want := streamPlan.RuntimeNulls(), batchPlan.RuntimeNulls(); len(want) == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("stream counted nulls %+v, batch %+v", got, want)
	}
	if len(s.rightAnswers) != 2 || hitsOf(s.rightAnswers) == 0 {
		t.Errorf("%d conditions pushed to the right side, %d answers recalled", len(s.rightAnswers), hitsOf(s.rightAnswers))
	}
}

// A stream remembers a where's answers by the values the where reads (most rows repeat an app or
// a token type) and gives the batch's rows all the same; a where whose evaluation counted a null
// is evaluated again for every row, so the stream counts the nulls the batch counts.
func TestAStreamRemembersWheresButCountsEveryNull(t *testing.T) {
	text := dayRule + `  - where: IncomingTokenType != "none"
  - where: todynamic(DeviceDetail).isCompliant + 1 > 0 or AppDisplayName != ""
  - where: strlen(AppId) > 10
  - project: [TimeGenerated, AppId, SessionId]
`
	rows := fociSignins(t)
	batchPlan, streamPlan, batch, streamed, s := streamAndBatch(t, text, rows)
	if len(batch) == 0 || len(batch) == len(rows) || !reflect.DeepEqual(rowMaps(streamed), rowMaps(batch)) {
		t.Errorf("stream %d rows, batch %d of %d", len(streamed), len(batch), len(rows))
	}
	if got, want := streamPlan.RuntimeNulls(), batchPlan.RuntimeNulls(); len(want) != 1 || !reflect.DeepEqual(got, want) {
		t.Errorf("stream counted nulls %+v, batch %+v", got, want)
	}
	if hits := hitsOf(s.toBranch.answers, s.fromBranch.answers); hits < len(rows)/2 {
		t.Errorf("%d answers remembered over %d rows", hits, len(rows))
	}
}
