package tracks

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNoStemNamed is the error of SelectStems for a list that names no
// stem at all ("," or blanks).
var ErrNoStemNamed = errors.New("names no stem")

// SelectStems turns a comma-separated list of stem names (--stems) into
// indices of stems, in the order of stems (the model's), matching names
// without regard to case; a blank list selects every stem. A name that is
// not among stems is an error naming it and the stems there are.
func SelectStems(list string, stems []string) ([]int, error) {
	if strings.TrimSpace(list) == "" {
		return SelectNames(nil, stems)
	}
	return SelectNames(strings.Split(list, ","), stems)
}

// SelectNames is SelectStems for names given one by one (a library's
// []string option): nil selects every stem; blank names are skipped, and
// names that are all blank select none (ErrNoStemNamed).
func SelectNames(names, stems []string) ([]int, error) {
	if names == nil {
		idx := make([]int, len(stems))
		for i := range idx {
			idx[i] = i
		}
		return idx, nil
	}
	want := map[int]bool{}
	for _, name := range names {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		found := -1
		for i, s := range stems {
			if strings.EqualFold(s, name) {
				found = i
			}
		}
		if found < 0 {
			return nil, fmt.Errorf("the model has no stem %q (its stems: %s)", name, strings.Join(stems, ", "))
		}
		want[found] = true
	}
	if len(want) == 0 {
		return nil, ErrNoStemNamed
	}
	var idx []int
	for i := range stems {
		if want[i] {
			idx = append(idx, i)
		}
	}
	return idx, nil
}
