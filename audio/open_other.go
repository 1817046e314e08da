//go:build !unix

package audio

// openNonblock is 0 where there is no O_NONBLOCK; Open's Stat still refuses
// what is not a regular file.
const openNonblock = 0
