package ui

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Bar draws a progress line of at most width columns:
//
//	[2/5] take1.wav  47% |██████▌       | 12.3/26.0 s  4.1×  00:03<00:04
//
// done and total are seconds of audio; total < 0 means the length is
// unknown: no bar, no percentage, no ETA. speed is how many seconds of
// audio are done per second, shown as times real time; ≤ 0 means not
// known yet.
func Bar(label string, done, total, speed float64, elapsed, eta time.Duration, width int) string {
	if total < 0 {
		right := fmt.Sprintf(" %.1f s%s  %s", done, speedText(speed), clock(elapsed))
		return fitLabel(label, width-utf8.RuneCountInString(right)) + right
	}
	frac := 1.0
	if total > 0 {
		frac = math.Min(1, math.Max(0, done/total))
	}
	left := fmt.Sprintf(" %3.0f%% ", 100*frac)
	right := fmt.Sprintf(" %.1f/%.1f s%s  %s<%s", done, total, speedText(speed), clock(elapsed), etaClock(eta, frac))
	// The label gets up to 30 columns, the bar what is left (10 to 40).
	labelW := min(utf8.RuneCountInString(label), 30)
	barW := width - 1 - labelW - len(left) - utf8.RuneCountInString(right) - 2
	if barW > 40 {
		barW = 40
	}
	if barW < 10 {
		barW = 10
		labelW = max(0, width-1-len(left)-utf8.RuneCountInString(right)-2-barW)
	}
	return fitLabel(label, labelW) + left + "|" + bar(frac, barW) + "|" + right
}

// speedText is the speed as times real time ("  4.1×"), "" when unknown.
func speedText(speed float64) string {
	switch {
	case speed <= 0 || math.IsInf(speed, 0) || math.IsNaN(speed):
		return ""
	case speed < 10:
		return fmt.Sprintf("  %.2f×", speed)
	case speed < 100:
		return fmt.Sprintf("  %.1f×", speed)
	}
	return fmt.Sprintf("  %.0f×", speed)
}

// bar draws frac of width cells with eighth-block resolution.
func bar(frac float64, width int) string {
	eighths := int(frac*float64(width*8) + 0.5)
	full, part := eighths/8, eighths%8
	var b strings.Builder
	b.WriteString(strings.Repeat("█", full))
	if full < width {
		if part > 0 {
			b.WriteRune([]rune("▏▎▍▌▋▊▉")[part-1])
			full++
		}
		b.WriteString(strings.Repeat(" ", width-full))
	}
	return b.String()
}

// fitLabel cuts s to w columns, marking the cut with "…".
func fitLabel(s string, w int) string {
	r := []rune(s)
	switch {
	case w <= 0:
		return ""
	case len(r) <= w:
		return s
	case w == 1:
		return "…"
	}
	return string(r[:w-1]) + "…"
}

// clock formats d as mm:ss, or h:mm:ss from an hour.
func clock(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}

// etaClock is the time left, "?" while it is unknown.
func etaClock(eta time.Duration, frac float64) string {
	if eta <= 0 && frac < 1 {
		return "?"
	}
	return clock(eta)
}

// Seconds converts float seconds (as events carry them) to a Duration.
func Seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
