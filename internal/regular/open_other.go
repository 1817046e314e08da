//go:build !unix

package regular

// openNonblock is 0 where there is no O_NONBLOCK (opening a file there does
// not wait for a writer); Open's Stat still refuses what is not a regular
// file.
const openNonblock = 0
