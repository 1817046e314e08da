package tracks

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// DefaultTemplate names each stem file after its track and stem, one folder
// per track, as demucs does.
const DefaultTemplate = "{track}/{stem}.{ext}"

// Variables lists the names a Template may use:
//
//	{track}  the input file's name without its extension
//	{stem}   the stem's name, as the model spells it (kick, snare, …)
//	{ext}    the output format's extension: wav or flac
//	{model}  the model's name (its metadata's name, else its file name)
//	{dir}    the input's folder relative to the folder argument it was
//	         found in (Item.Dir): "live/set1" for lib/live/set1/song.wav
//	         when lib was named; empty for files at the top of a folder
//	         and for files named themselves. It keeps same-named files of
//	         different folders apart: "{dir}/{track}/{stem}.{ext}" mirrors
//	         the input tree. It must stand for whole folders, between "/"
//	         or at the start, before the file name; when empty it and its
//	         "/" vanish.
var Variables = []string{"track", "stem", "ext", "model", "dir"}

// Vars are the values a Template is expanded with.
type Vars struct {
	Track, Stem, Ext, Model string
	Dir                     string // "/"-separated folders; "" for none
}

func (v Vars) get(name string) string {
	switch name {
	case "track":
		return v.Track
	case "stem":
		return v.Stem
	case "ext":
		return v.Ext
	case "model":
		return v.Model
	case "dir":
		return v.Dir
	}
	panic("tracks: unknown variable " + name) // Parse lets none through
}

// Template is a parsed output file name template such as
// "{track}/{stem}.{ext}": text with {name} variables, "/" separating
// folders on every system. It always names a file inside the output folder:
// Parse refuses absolute templates and ".." elements, and Expand replaces
// path separators in the values it substitutes.
type Template struct {
	src   string
	parts []part
	uses  map[string]bool
}

// part is literal text (name == "") or a variable.
type part struct{ text, name string }

// Parse checks and parses a template. Variables are written {name}; a
// literal brace is not allowed (no file name needs one, and a typo such as
// "{stem" is far more likely).
func Parse(src string) (*Template, error) {
	if strings.TrimSpace(src) == "" {
		return nil, fmt.Errorf("file name template is empty")
	}
	t := &Template{src: src, uses: map[string]bool{}}
	rest := src
	for rest != "" {
		i := strings.IndexAny(rest, "{}")
		if i < 0 {
			t.parts = append(t.parts, part{text: rest})
			break
		}
		if i > 0 {
			t.parts = append(t.parts, part{text: rest[:i]})
		}
		if rest[i] == '}' {
			return nil, fmt.Errorf("file name template %q: unmatched }", src)
		}
		j := strings.IndexAny(rest[i+1:], "{}")
		if j < 0 || rest[i+1+j] != '}' {
			return nil, fmt.Errorf("file name template %q: unmatched {", src)
		}
		name := rest[i+1 : i+1+j]
		if !known(name) {
			// The name is the user's text, escaped as %q would (a
			// newline in it must not start a line of its own) but
			// written as the template spells a variable.
			q := strconv.Quote(name)
			return nil, fmt.Errorf("file name template %q: unknown variable {%s} (have {%s})",
				src, q[1:len(q)-1], strings.Join(Variables, "}, {"))
		}
		t.parts = append(t.parts, part{name: name})
		t.uses[name] = true
		rest = rest[i+j+2:]
	}
	// Escapes are checked on the template itself: values cannot add
	// separators (Expand replaces them), so only literal text can.
	slashed := strings.ReplaceAll(src, `\`, "/")
	if strings.HasPrefix(slashed, "/") || filepath.VolumeName(src) != "" || hasDriveLetter(src) {
		return nil, fmt.Errorf("file name template %q: must be relative to the output folder (-o)", src)
	}
	for _, elem := range strings.Split(slashed, "/") {
		if elem == ".." {
			return nil, fmt.Errorf("file name template %q: \"..\" would leave the output folder (-o)", src)
		}
	}
	if strings.HasSuffix(slashed, "/") {
		return nil, fmt.Errorf("file name template %q: ends in a folder, not a file name", src)
	}
	for i, p := range t.parts {
		if p.name != "dir" {
			continue
		}
		before := i == 0 || strings.HasSuffix(strings.ReplaceAll(t.parts[i-1].text, `\`, "/"), "/")
		after := i+1 < len(t.parts) && strings.HasPrefix(strings.ReplaceAll(t.parts[i+1].text, `\`, "/"), "/")
		if !before || !after {
			// "{dir}-{track}" would glue folders to a name, and an empty
			// {dir} could leave a name starting with "-" or ".".
			return nil, fmt.Errorf("file name template %q: {dir} must be folders of its own, as in {dir}/{track}/{stem}.{ext}", src)
		}
	}
	return t, nil
}

// hasDriveLetter reports whether s starts like a Windows path ("C:"), which
// is refused on every system so that a template means the same everywhere.
func hasDriveLetter(s string) bool {
	return len(s) >= 2 && s[1] == ':' && (s[0]|0x20 >= 'a' && s[0]|0x20 <= 'z')
}

func known(name string) bool {
	for _, v := range Variables {
		if v == name {
			return true
		}
	}
	return false
}

// String returns the template as written.
func (t *Template) String() string { return t.src }

// Uses reports whether the template contains the variable {name}.
func (t *Template) Uses(name string) bool { return t.uses[name] }

// Expand returns the file name for v, relative to the output folder, with
// the system's separators. Path separators and other characters that cannot
// be part of a file name in a value become "_", and a value of "." or ".."
// becomes "_", so a value can neither add folders nor leave the output
// folder. It fails only when the result is not a local path (an empty name).
func (t *Template) Expand(v Vars) (string, error) {
	var b strings.Builder
	for _, p := range t.parts {
		switch p.name {
		case "":
			b.WriteString(p.text)
		case "dir":
			b.WriteString(cleanDir(v.Dir))
		default:
			b.WriteString(cleanValue(v.get(p.name)))
		}
	}
	s := filepath.Clean(filepath.FromSlash(b.String()))
	if !filepath.IsLocal(s) {
		return "", fmt.Errorf("file name template %q gives %q, which is not a file inside the output folder", t.src, b.String())
	}
	return s, nil
}

// cleanValue makes a variable's value safe as (part of) one path element.
func cleanValue(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '/' || r == '\\' || r < 0x20 || r == 0x7f:
			return '_'
		case strings.ContainsRune(`:*?"<>|`, r) && filepath.Separator == '\\':
			return '_'
		}
		return r
	}, s)
	if s == "" || s == "." || s == ".." {
		return "_"
	}
	return s
}

// cleanDir makes the value of {dir}, "/"-separated folders, safe as a run
// of whole path elements: each folder is cleaned as a value is, and no
// folder (or ""), which Parse made sure stands between separators, becomes
// ".", which filepath.Clean then removes with its separator.
func cleanDir(dir string) string {
	var elems []string
	for _, e := range strings.Split(filepath.ToSlash(dir), "/") {
		if e != "" && e != "." {
			elems = append(elems, cleanValue(e))
		}
	}
	if len(elems) == 0 {
		return "."
	}
	return strings.Join(elems, "/")
}

// TrackName is the {track} of an input file: its base name without the
// extension ("drums.take2.wav" → "drums.take2").
func TrackName(path string) string {
	base := filepath.Base(path)
	if name := strings.TrimSuffix(base, filepath.Ext(base)); name != "" {
		return name
	}
	return base
}
