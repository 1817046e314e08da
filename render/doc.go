// Package render makes drum tracks whose stems are known: it reads Hydrogen
// drum kits (drumkit.xml in all its forms, samples in WAV, FLAC or AIFF at
// any rate), generates grooves or reads them from Standard MIDI files, and
// plays them sample-accurately into one track per stem (kick, snare, toms,
// hh, ride, crash; or cymbals for five stems; other for percussion) whose
// sum is the mixture. Every stroke's onset is recorded, in onsets.json and
// in a General MIDI file, for training and evaluating separation and
// transcription models the way StemGMD was made, from the open kits Debian
// ships.
//
// Everything random comes from a seeded math/rand/v2 generator, so a seed
// gives the same files every time. The kits in HeldOutKits are kept for
// evaluation: Select leaves them out unless they are named, and CheckSplit
// refuses them in a training split.
//
// The onset of a stroke is the attack of its sample (see findAttack), and
// the renderer makes sure the stem's energy rises there (see chokes); the
// optional augmentation (AugmentParams) adds room reverb and saturation,
// which may blur soft strokes after loud ones.
package render
