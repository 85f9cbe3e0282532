package query

import (
	"errors"

	"github.com/vecbolt/vecbolt/store"
)

func errorsIsNotFound(err error) bool { return errors.Is(err, store.ErrKeyNotFound) }
