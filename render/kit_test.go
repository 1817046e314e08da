package render

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// debianKits returns the kits of Debian's hydrogen-drumkits package, or
// skips the test when the package is not installed (CI installs it).
func debianKits(t testing.TB) []*Kit {
	t.Helper()
	if _, err := os.Stat(DefaultKitsDir); err != nil {
		t.Skipf("hydrogen-drumkits not installed (%v)", err)
	}
	kits, err := FindKits(DefaultKitsDir)
	if err != nil {
		t.Fatal(err)
	}
	return kits
}

func kitNamed(t testing.TB, kits []*Kit, name string) *Kit {
	t.Helper()
	for _, k := range kits {
		if k.Matches(name) {
			return k
		}
	}
	t.Fatalf("no kit %q", name)
	return nil
}

func instrument(t *testing.T, k *Kit, name string) *Instrument {
	t.Helper()
	for _, in := range k.Instruments {
		if in.Name == name {
			return in
		}
	}
	t.Fatalf("kit %s has no instrument %q", k.Name, name)
	return nil
}

// parseTestKit parses a hand-written drumkit.xml (without its samples).
func parseTestKit(dir string) (*Kit, error) {
	f, err := os.Open(filepath.Join(dir, "drumkit.xml"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseKit(f, dir)
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestParseKitForms(t *testing.T) {
	t.Run("oldest", func(t *testing.T) {
		k, err := parseTestKit("testdata/kits/oldest")
		if err != nil {
			t.Fatal(err)
		}
		if k.Name != "Oldest Test Kit" || k.License != "CC0" || k.Form != "hydrogen-old" {
			t.Errorf("kit = %q, licence %q, form %q", k.Name, k.License, k.Form)
		}
		// The empty slot ("17", emptySample.flac) is dropped.
		if len(k.Instruments) != 3 {
			t.Fatalf("%d instruments, want 3", len(k.Instruments))
		}
		kick := instrument(t, k, "Kick")
		if kick.Piece != PieceKick || !near(kick.Volume, 0.9) || !near(kick.PanL, 1) || !near(kick.PanR, 0.5) || kick.MuteGroup != -1 {
			t.Errorf("kick = %+v", kick)
		}
		if len(kick.Layers) != 1 || kick.Layers[0].File != filepath.Join("testdata/kits/oldest", "kick.flac") ||
			kick.Layers[0].Min != 0 || kick.Layers[0].Max != 1 || kick.Layers[0].Gain != 1 {
			t.Errorf("kick layers = %+v", kick.Layers)
		}
		// "Stick" second in the list: Hydrogen's default note 37, a side stick.
		if p := instrument(t, k, "Stick").Piece; p != PieceSideStick {
			t.Errorf("Stick at index 1 is %v, want side_stick", p)
		}
		if hh := instrument(t, k, "Hat"); hh.Piece != PieceHatClosed || hh.MuteGroup != 2 {
			t.Errorf("Hat = %v, mute group %d", hh.Piece, hh.MuteGroup)
		}
	})
	t.Run("old_layers", func(t *testing.T) {
		k, err := parseTestKit("testdata/kits/old_layers")
		if err != nil {
			t.Fatal(err)
		}
		if k.Form != "hydrogen-old" || k.License != "GPL" || len(k.Instruments) != 4 {
			t.Fatalf("form %q licence %q, %d instruments", k.Form, k.License, len(k.Instruments))
		}
		sn := instrument(t, k, "Snare Rock")
		if sn.Piece != PieceSnare || !near(sn.Gain, 1.5) || !near(sn.Volume, 0.8) || !near(sn.PanL, 0.6) {
			t.Errorf("snare = %+v", sn)
		}
		want := []Layer{
			{File: filepath.Join("testdata/kits/old_layers", "sn_soft.wav"), Min: 0, Max: 0.5, Gain: 0.9},
			{File: "/abs/path/sn_hard.aiff", Min: 0.5, Max: 1, Gain: 1.1, Pitch: -1},
		}
		if len(sn.Layers) != 2 || sn.Layers[0] != want[0] || sn.Layers[1] != want[1] {
			t.Errorf("layers = %+v, want %+v", sn.Layers, want)
		}
		// Toms: "Tom 1" is the highest, "Floor Tom" the lowest.
		for name, p := range map[string]Piece{"Tom 1": PieceTomHigh, "Tom 2": PieceTomMid, "Floor Tom": PieceTomLow} {
			if got := instrument(t, k, name).Piece; got != p {
				t.Errorf("%s = %v, want %v", name, got, p)
			}
		}
	})
	t.Run("components", func(t *testing.T) {
		k, err := parseTestKit("testdata/kits/components")
		if err != nil {
			t.Fatal(err)
		}
		if k.Form != "hydrogen-components" || k.Name != "Component Test Kit" || len(k.Instruments) != 3 {
			t.Fatalf("form %q name %q, %d instruments", k.Form, k.Name, len(k.Instruments))
		}
		hh := instrument(t, k, "Hi-Hat Pedal")
		// pan -0.5: full left, right at 0.5.
		if hh.Piece != PieceHatPedal || !near(hh.PanL, 1) || !near(hh.PanR, 0.5) || !hh.IsHihat || hh.MuteGroup != 1 || hh.MIDINote != 44 {
			t.Errorf("pedal = %+v", hh)
		}
		// The component's gain multiplies the layers'.
		if len(hh.Layers) != 2 || !near(hh.Layers[0].Gain, 0.8) || !near(hh.Layers[1].Gain, 1.0) || !near(hh.Layers[1].Min, 0.4) {
			t.Errorf("pedal layers = %+v", hh.Layers)
		}
		bell := instrument(t, k, `Crash/Ride Bell (Paiste 18")`)
		if bell.Piece != PieceRideBell || !near(bell.PanL, 0.75) || !near(bell.PanR, 1) {
			t.Errorf("bell = %+v", bell)
		}
		// Note 39 says this "Stick" is not a side stick.
		if p := instrument(t, k, "Stick").Piece; p != PiecePercussion {
			t.Errorf("Stick on note 39 = %v, want percussion", p)
		}
	})
	t.Run("errors", func(t *testing.T) {
		if _, err := ParseKit(strings.NewReader("<drumkit_info><name>x</name"), "dir"); err == nil {
			t.Error("truncated XML parsed")
		}
		if _, err := LoadKit("testdata/kits/none"); err == nil {
			t.Error("missing kit loaded")
		}
		// LoadKit drops layers whose files are missing: none of the
		// hand-written kits ships samples.
		if k, err := LoadKit("testdata/kits/old_layers"); err != nil || len(k.Instruments) != 0 || len(k.Missing) != 5 {
			t.Errorf("LoadKit without samples: %v, %d instruments, missing %q", err, len(k.Instruments), k.Missing)
		}
	})
}

// TestDebianKits checks the parser and the name map on the real kits.
func TestDebianKits(t *testing.T) {
	kits := debianKits(t)
	if len(kits) != 14 {
		t.Errorf("%d kits, want the 14 of hydrogen-drumkits", len(kits))
	}
	notDrums := map[string]bool{"circAfrique v4": true, "Gimme A Hand 1.0": true}
	for _, k := range kits {
		ok, why := k.IsDrumKit()
		if base := filepath.Base(k.Dir); ok == notDrums[base] {
			t.Errorf("%s: drum kit %v (%s)", base, ok, why)
		}
		for _, in := range k.Instruments {
			for _, l := range in.Layers {
				if _, err := os.Stat(l.File); err != nil {
					t.Errorf("%s / %s: %v", k.Name, in.Name, err)
				}
				if l.Min > l.Max || l.Min < 0 || l.Max > 1 {
					t.Errorf("%s / %s: layer %+v", k.Name, in.Name, l)
				}
			}
		}
	}
	// Millo_MultiLayered2 names a cowbell sample it does not ship.
	if m := kitNamed(t, kits, "Millo_MultiLayered2"); len(m.Missing) != 1 || filepath.Base(m.Missing[0]) != "misc_Cowbell.flac" {
		t.Errorf("Millo_MultiLayered2 missing %q", m.Missing)
	}
	forzee := kitNamed(t, kits, "ForzeeStereo")
	kick := instrument(t, forzee, `Kick (Tama Superstar 22")`)
	if len(kick.Layers) != 5 || !near(kick.Layers[2].Min, 0.4) || !near(kick.Layers[2].Max, 0.6) || !near(kick.Layers[2].Gain, 1.3) || !near(kick.Gain, 1.1) || kick.MIDINote != 35 {
		t.Errorf("Forzee kick = %+v", kick)
	}
	bja := kitNamed(t, kits, "BJA_Pacific")
	if in := instrument(t, bja, "BassDrum"); len(in.Layers) != 8 || !strings.HasSuffix(in.Layers[0].File, "BD_08.aiff") || !near(in.Layers[0].Min, 0.875) {
		t.Errorf("BJA bass drum = %+v", in)
	}
	if in := instrument(t, bja, "Snare Roll"); !in.Variant {
		t.Error("BJA Snare Roll is not a variant")
	}
	pearl := kitNamed(t, kits, "The Black Pearl 1.0")
	for name, p := range map[string]Piece{
		"Pearl Kick": PieceKick, "Pearl Side Stick": PieceSideStick, "Pearl Snare Rimshot": PieceRimshot,
		"Pearl Tom 1": PieceTomHigh, "Pearl Tom 2": PieceTomMid, "Pearl Tom Floor": PieceTomLow,
		"Sabian Hat Semi-Open": PieceHatHalfOpen, "Paiste Bell": PieceRideBell, "Zildjian Splash": PieceSplash,
		"Hand Clap": PieceClap, "Cowbell": PieceCowbell,
	} {
		if got := instrument(t, pearl, name).Piece; got != p {
			t.Errorf("Black Pearl %s = %v, want %v", name, got, p)
		}
	}
	rumpf := kitNamed(t, kits, "rumpf_kit_z01_h2")
	if in := instrument(t, rumpf, "f#3 - hi-hat closed"); in.Piece != PieceHatClosed {
		t.Errorf("rumpf closed hat = %v", in.Piece)
	}
}

func TestSelect(t *testing.T) {
	kits := debianKits(t)
	sel, skipped, err := Select(kits, nil, []string{"HardElectro1"})
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, s := range skipped {
		reasons[filepath.Base(s.Kit.Dir)] = s.Reason
	}
	for _, name := range []string{"The Black Pearl 1.0", "ForzeeStereo", "circAfrique v4", "Gimme A Hand 1.0", "HardElectro1"} {
		if reasons[name] == "" {
			t.Errorf("%s not skipped", name)
		}
	}
	for _, k := range sel {
		if k.HeldOut() {
			t.Errorf("default selection holds held-out kit %s", k.Name)
		}
	}
	if len(sel) != 9 {
		t.Errorf("%d kits selected, want 9", len(sel))
	}
	if err := CheckSplit("train", sel); err != nil {
		t.Error(err)
	}

	// The evaluation set: named explicitly, kit name or directory.
	held, _, err := Select(kits, []string{"the black pearl 1.0", "Forzee Stereo Drumkit"}, nil)
	if err != nil || len(held) != 2 {
		t.Fatalf("held-out selection = %d kits, %v", len(held), err)
	}
	for _, split := range []string{"train", "valid", "Train"} {
		if err := CheckSplit(split, held); err == nil {
			t.Errorf("held-out kits allowed into %s", split)
		}
	}
	if err := CheckSplit("test", held); err != nil {
		t.Error(err)
	}
	if _, _, err := Select(kits, []string{"No Such Kit"}, nil); err == nil {
		t.Error("unknown kit name accepted")
	}
	if _, _, err := Select(kits, []string{"circAfrique v4"}, nil); err == nil {
		t.Error("a percussion kit was selected")
	}
}
