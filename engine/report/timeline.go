package report

import (
	"fmt"
	"strconv"
	"time"
)

// Timeline is the alerts counted per rule in buckets of an hour, or of a day when the alerts span
// more than hourlyUpTo, drawn as stacked bars (one segment per rule and bucket).
type Timeline struct {
	// Unit is "hour" or "day"; Start the first bucket's start; Buckets how many there are.
	Unit    string
	Start   time.Time
	Buckets int
	Bars    []Bar
	Ticks   []Tick
	// Peak is the most alerts of one bucket; Untimed counts the alerts without a time, which no
	// bar shows.
	Peak, Untimed int
	Rules         []*Rule
}

// Bar is one rule's alerts in one bucket, placed in the SVG's coordinates.
type Bar struct {
	X, Y, W, H float64
	Rule       *Rule
	Count      int
	Start      time.Time
}

// Tick is a label of the time axis.
type Tick struct {
	X     float64
	Label string
}

// hourlyUpTo is the longest span counted per hour: at most a week of hourly bars.
const hourlyUpTo = 7 * 24 * time.Hour

// The SVG's drawing area, in its viewBox units.
const (
	plotLeft, plotRight = 48.0, 990.0
	plotTop, plotBottom = 12.0, 170.0
	maxTicks            = 10
)

type ruleTime struct {
	rule int
	at   time.Time
}

func newTimeline(rules []*Rule, times []ruleTime) Timeline {
	tl := Timeline{Unit: "hour", Rules: rules}
	var first, last time.Time
	for _, t := range times {
		if t.at.IsZero() {
			tl.Untimed++
			continue
		}
		if first.IsZero() || t.at.Before(first) {
			first = t.at
		}
		if t.at.After(last) {
			last = t.at
		}
	}
	if first.IsZero() {
		return tl
	}
	step := time.Hour
	if last.Sub(first) > hourlyUpTo {
		tl.Unit, step = "day", 24*time.Hour
	}
	tl.Start = first.Truncate(step)
	tl.Buckets = int(last.Truncate(step).Sub(tl.Start)/step) + 1
	counts := make([][]int, tl.Buckets) // per bucket, per rule
	totals := make([]int, tl.Buckets)
	for i := range counts {
		counts[i] = make([]int, len(rules))
	}
	for _, t := range times {
		if t.at.IsZero() {
			continue
		}
		b := int(t.at.Sub(tl.Start) / step)
		counts[b][t.rule]++
		totals[b]++
		tl.Peak = max(tl.Peak, totals[b])
	}
	width := (plotRight - plotLeft) / float64(tl.Buckets)
	gap := min(width*0.15, 2)
	for b, perRule := range counts {
		y := plotBottom
		for ri, n := range perRule {
			if n == 0 {
				continue
			}
			h := float64(n) / float64(tl.Peak) * (plotBottom - plotTop)
			y -= h
			tl.Bars = append(tl.Bars, Bar{X: plotLeft + float64(b)*width + gap/2, Y: y, W: width - gap, H: h,
				Rule: rules[ri], Count: n, Start: tl.Start.Add(time.Duration(b) * step)})
		}
	}
	every := (tl.Buckets + maxTicks - 1) / maxTicks
	if tl.Unit == "hour" && every > 1 { // hours label best on whole multiples of 3, 6, 12 or 24
		for _, nice := range []int{3, 6, 12, 24, 48, 72, 168} {
			if nice >= every {
				every = nice
				break
			}
		}
	}
	for b := 0; b < tl.Buckets; b += every {
		at := tl.Start.Add(time.Duration(b) * step)
		label := at.Format("Jan 2")
		if tl.Unit == "hour" {
			label = at.Format("Jan 2 15:04")
		}
		tl.Ticks = append(tl.Ticks, Tick{X: plotLeft + float64(b)*width, Label: label})
	}
	return tl
}

// End is the end of the last bucket.
func (tl Timeline) End() time.Time {
	step := time.Hour
	if tl.Unit == "day" {
		step = 24 * time.Hour
	}
	return tl.Start.Add(time.Duration(tl.Buckets) * step)
}

// Label is a bar's tooltip.
func (b Bar) Label(unit string) string {
	return fmt.Sprintf("%s: %d alerts in the %s from %s", b.Rule.Name, b.Count, unit, b.Start.Format("2006-01-02 15:04Z"))
}

// num writes an SVG coordinate.
func num(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

func itoa(i int) string { return strconv.Itoa(i) }
