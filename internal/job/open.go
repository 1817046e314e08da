package job

import (
	"context"

	"github.com/drumsplit/drumsplit/separator"
)

// Model is a *separator.Separator made a Separator: Open routes the
// separator's progress reports to the progress function of the Separate
// call that is running.
type Model struct {
	*separator.Separator
	progress func(separator.Progress)
}

// Open opens the model at path with separator.Open; opts.Progress is
// replaced.
func Open(path string, opts separator.Options) (*Model, error) {
	m := &Model{}
	opts.Progress = func(p separator.Progress) {
		// The separator calls this from the goroutine running Separate.
		if m.progress != nil {
			m.progress(p)
		}
	}
	sep, err := separator.Open(path, opts)
	if err != nil {
		return nil, err
	}
	m.Separator = sep
	return m, nil
}

// Separate implements Separator. Calls must not overlap.
func (m *Model) Separate(ctx context.Context, src separator.Source, dst separator.Sink, progress func(separator.Progress)) error {
	m.progress = progress
	defer func() { m.progress = nil }()
	return m.Separator.Separate(ctx, src, dst)
}
