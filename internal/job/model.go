package job

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/drumsplit/drumsplit/model"
)

// ErrNotRegular refuses a FIFO, device or socket where a file is read.
var ErrNotRegular = errors.New("not a regular file")

// CheckRegular refuses a path that is a FIFO, device or socket before it
// is opened (ErrNotRegular): opening a FIFO waits for a writer, which would
// hang the command where Ctrl-C cannot reach it. Other problems are left
// to the reader.
func CheckRegular(path string) error {
	if st, err := os.Stat(path); err == nil && st.Mode()&fs.ModeType&^fs.ModeDir != 0 {
		return ErrNotRegular
	}
	return nil
}

// ReadModel reads the metadata of the model at path (model.ReadInfo),
// without libtorch, so that a wrong file gets a clear line even where
// libtorch is missing; the error's line names the model. Only a regular
// file is opened (CheckRegular). A missing file is returned as
// model.ReadInfo returns it, matching fs.ErrNotExist.
func ReadModel(path string) (*model.Info, error) {
	if err := CheckRegular(path); err != nil {
		return nil, fmt.Errorf("model %q: %w", path, err)
	}
	info, err := model.ReadInfo(path)
	var fe *model.FormatError
	switch {
	case err == nil:
		return info, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, err
	case errors.As(err, &fe):
		return nil, fmt.Errorf("model %w", err)
	}
	return nil, fmt.Errorf("model %q: %w", path, causeOf(err))
}
