package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// entraExpected is a fixtures/entra/*/expected.yaml: a rule, the fixture files it runs over at
// now, and the alerts worked out by hand from the fixture's design (fixtures/entra/README.md).
type entraExpected struct {
	dir     string
	Rule    string           `yaml:"rule"`
	Now     string           `yaml:"now"`
	Inputs  []string         `yaml:"inputs"`
	Columns []string         `yaml:"columns"`
	Alerts  []map[string]any `yaml:"alerts"`
}

func loadEntraExpected(t *testing.T) []entraExpected {
	t.Helper()
	files, err := filepath.Glob("../../fixtures/entra/*/expected.yaml")
	if err != nil || len(files) != 3 {
		t.Fatalf("want the three Entra rule fixtures, found %v (%v)", files, err)
	}
	var out []entraExpected
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		e := entraExpected{dir: filepath.Dir(f)}
		if err := yaml.Unmarshal(data, &e); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, e)
	}
	return out
}

// run runs rule (a path from the repository's root) over the expectation's inputs through the
// command line.
func (e entraExpected) run(t *testing.T, rule string) result {
	t.Helper()
	args := []string{"run", "--rule", rule, "--now", e.Now}
	for _, in := range e.Inputs {
		args = append(args, filepath.Join(e.dir, in))
	}
	r := detect(t, "", args...)
	if r.status != 0 {
		t.Fatalf("%s: status %d\n%s", rule, r.status, r.stderr)
	}
	return r
}

// canonical renders each alert as the JSON of the columns keys (in order), with its sources made
// relative to the fixture folder, sorted: alerts compare as a multiset, for KQL orders none.
func (e entraExpected) canonical(alerts []map[string]any, keys []string) []string {
	var out []string
	for _, a := range alerts {
		var b strings.Builder
		for _, k := range keys {
			v := a[k]
			if k == "_sources" {
				var rel []string
				for _, s := range v.([]any) {
					rel = append(rel, strings.TrimPrefix(s.(string), e.dir+string(filepath.Separator)))
				}
				v = rel
			}
			text, _ := json.Marshal(v)
			b.WriteString(k + "=" + string(text) + " ")
		}
		out = append(out, b.String())
	}
	slices.Sort(out)
	return out
}

// Each Entra rule raises exactly the alerts worked out by hand for its fixture.
func TestEntraRulesRaiseTheirHandDerivedAlerts(t *testing.T) {
	for _, e := range loadEntraExpected(t) {
		t.Run(filepath.Base(e.dir), func(t *testing.T) {
			got := e.run(t, "../../"+e.Rule)
			var keys []string
			for k := range e.Alerts[0] {
				if k != "scenario" {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			want := e.canonical(e.Alerts, keys)
			have := e.canonical(got.alerts, keys)
			if !slices.Equal(want, have) {
				t.Errorf("alerts:\n got  %s\n want %s", strings.Join(have, "\n      "), strings.Join(want, "\n      "))
			}
			if e.Columns != nil && len(got.alerts) > 0 {
				first := strings.SplitN(got.stdout, "\n", 2)[0]
				var order []string
				dec := json.NewDecoder(strings.NewReader(first))
				dec.Token()
				for dec.More() {
					k, _ := dec.Token()
					order = append(order, k.(string))
					var skip any
					dec.Decode(&skip)
				}
				if want := append(append([]string(nil), e.Columns...), "_rule", "_sources"); !slices.Equal(order, want) {
					t.Errorf("alert columns %v, want %v", order, want)
				}
			}
		})
	}
}

// Every filter of each rule matters on its fixture: a variant without it raises other alerts.
func TestEveryEntraFilterIsExercisedByItsFixture(t *testing.T) {
	for _, e := range loadEntraExpected(t) {
		rule := "../../" + e.Rule
		data, err := os.ReadFile(rule)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Let    map[string]struct{ Stages []map[string]any } `yaml:"let"`
			Stages []map[string]any                             `yaml:"stages"`
		}
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		var filters []string
		var collect func([]map[string]any)
		collect = func(stages []map[string]any) {
			for _, s := range stages {
				if _, ok := s["where"]; ok {
					filters = append(filters, s["name"].(string))
				}
				if j, ok := s["join"].(map[string]any); ok {
					if right, ok := j["right"].(map[string]any); ok && right["stages"] != nil {
						var inner []map[string]any
						for _, x := range right["stages"].([]any) {
							inner = append(inner, x.(map[string]any))
						}
						collect(inner)
					}
				}
			}
		}
		for _, l := range doc.Let {
			collect(l.Stages)
		}
		collect(doc.Stages)
		base := e.canonical(e.run(t, rule).alerts, []string{"_sources"})
		abs, _ := filepath.Abs(rule)
		for _, name := range filters {
			variant := filepath.Join(t.TempDir(), "without.yaml")
			text := "id: 3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f\nname: without " + name + "\nextends: " + abs + "\nstages:\n  - remove: " + name + "\n"
			if err := os.WriteFile(variant, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			if without := e.canonical(e.run(t, variant).alerts, []string{"_sources"}); slices.Equal(base, without) {
				t.Errorf("%s: removing filter %s changes no alert: the fixture does not exercise it", e.Rule, name)
			}
		}
		if len(filters) < 3 {
			t.Errorf("%s: found only filters %v", e.Rule, filters)
		}
	}
}
