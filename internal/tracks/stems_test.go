package tracks

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestSelectStems(t *testing.T) {
	stems := []string{"kick", "snare", "toms", "hh"}
	for list, want := range map[string][]int{
		"":                {0, 1, 2, 3},
		" ":               {0, 1, 2, 3},
		"snare":           {1},
		"HH, kick":        {0, 3},
		"toms,toms,kick,": {0, 2},
	} {
		got, err := SelectStems(list, stems)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("SelectStems(%q) = %v, %v; want %v", list, got, err, want)
		}
	}
	if _, err := SelectStems("kick,ride", stems); err == nil || !strings.Contains(err.Error(), `no stem "ride" (its stems: kick, snare, toms, hh)`) {
		t.Errorf("an unknown stem: %v", err)
	}
	for _, list := range []string{",", " , "} {
		if _, err := SelectStems(list, stems); !errors.Is(err, ErrNoStemNamed) {
			t.Errorf("SelectStems(%q): %v, want ErrNoStemNamed", list, err)
		}
	}
}

func TestSelectNames(t *testing.T) {
	stems := []string{"kick", "snare", "toms", "hh"}
	for _, c := range []struct {
		names []string
		want  []int
	}{
		{nil, []int{0, 1, 2, 3}},
		{[]string{"HH", " kick "}, []int{0, 3}},
		{[]string{"snare", "snare"}, []int{1}},
	} {
		got, err := SelectNames(c.names, stems)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("SelectNames(%q) = %v, %v; want %v", c.names, got, err, c.want)
		}
	}
	if _, err := SelectNames([]string{}, stems); !errors.Is(err, ErrNoStemNamed) {
		t.Errorf("SelectNames(empty): %v, want ErrNoStemNamed", err)
	}
	if _, err := SelectNames([]string{" "}, stems); !errors.Is(err, ErrNoStemNamed) {
		t.Errorf("SelectNames(blank): %v, want ErrNoStemNamed", err)
	}
	if _, err := SelectNames([]string{"cowbell"}, stems); err == nil || !strings.Contains(err.Error(), `no stem "cowbell"`) {
		t.Errorf("SelectNames(cowbell): %v", err)
	}
}
