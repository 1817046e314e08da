package model

import (
	"os"
	"path/filepath"
)

// BundledName is the file name of the model shipped with drumsplit.
const BundledName = "drumsplit_small.pt"

// FindBundled returns the model to use when none is named: the file
// $DRUMSPLIT_MODEL names, else <exe dir>/../models/drumsplit_small.pt,
// else <exe dir>/models/drumsplit_small.pt (the executable's symbolic links
// followed). path is "" when there is none; looked lists the files looked
// for, for the message that says so.
func FindBundled() (path string, looked []string) {
	if env := os.Getenv("DRUMSPLIT_MODEL"); env != "" {
		return env, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", nil
	}
	if p, err := filepath.EvalSymlinks(exe); err == nil {
		exe = p
	}
	dir := filepath.Dir(exe)
	for _, p := range []string{
		filepath.Join(dir, "..", "models", BundledName),
		filepath.Join(dir, "models", BundledName),
	} {
		p = filepath.Clean(p)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
		looked = append(looked, p)
	}
	return "", looked
}
