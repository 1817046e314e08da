package render

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
)

// LoadKits finds the kits under dir (FindKits). Kits that do not parse are
// a warning when others do, and kits naming sample files they do not ship
// are told at info level (their layers are left out); only finding no
// usable kit is an error. A nil logger logs nothing.
func LoadKits(dir string, logger *slog.Logger) ([]*Kit, error) {
	kits, err := FindKits(dir)
	if err != nil {
		if len(kits) == 0 {
			return nil, err
		}
		if logger != nil {
			logger.Warn(fmt.Sprintf("render: %v", err)) // some kits did not parse; the others are usable
		}
	}
	for _, k := range kits {
		if len(k.Missing) > 0 && logger != nil {
			logger.Info(fmt.Sprintf("render: kit %s names %d sample files it does not ship (%s…); their layers are left out",
				filepath.Base(k.Dir), len(k.Missing), filepath.Base(k.Missing[0])))
		}
	}
	return kits, nil
}

// ChooseKits selects the kits to render split from (Select) and checks
// that split may use them (CheckSplit). The kits left out are told at info
// level, with the reason.
func ChooseKits(kits []*Kit, include, exclude []string, split string, logger *slog.Logger) ([]*Kit, error) {
	selected, skipped, err := Select(kits, include, exclude)
	for _, s := range skipped {
		if logger != nil {
			logger.Info(fmt.Sprintf("render: kit %s left out: %s", filepath.Base(s.Kit.Dir), s.Reason))
		}
	}
	if err != nil {
		return nil, err
	}
	if err := CheckSplit(split, selected); err != nil {
		return nil, err
	}
	return selected, nil
}

// WriteKitList writes every kit as a table: its form and license, whether
// it is used (skipped, as Select returns them, says why not), and each
// instrument's stem, piece and layers.
func WriteKitList(w io.Writer, kits []*Kit, skipped []Skipped) error {
	why := map[*Kit]string{}
	for _, s := range skipped {
		why[s.Kit] = s.Reason
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, k := range kits {
		status := "used"
		if r, ok := why[k]; ok {
			status = "left out: " + r
		}
		fmt.Fprintf(tw, "%s\t(%s, %s)\t%s\n", filepath.Base(k.Dir), k.Form, k.License, status)
		for _, in := range k.Instruments {
			stem := in.Piece.Stem().String()
			if in.Piece == NoPiece {
				stem = "unused"
			}
			note := ""
			if in.Variant {
				note = " (variant)"
			}
			fmt.Fprintf(tw, "\t%s\t%s / %s%s, %d layers\n", in.Name, stem, in.Piece, note, len(in.Layers))
		}
	}
	return tw.Flush()
}

// MIDIFolder returns the .mid and .midi files under dir (any case),
// sorted.
func MIDIFolder(dir string) ([]string, error) {
	var found []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		ext := strings.ToLower(filepath.Ext(path))
		if !d.IsDir() && (ext == ".mid" || ext == ".midi") {
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(found)
	return found, nil
}
