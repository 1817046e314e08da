// Package transcribe turns drum stems (kick, snare, toms, hh, ride, crash)
// into drum notes and writes them as a General MIDI Standard MIDI File.
//
// Each stem has an onset detector suited to it: a SuperFlux-style spectral
// flux (log-spaced filterbank, 24 bands per octave from 30 Hz to 17 kHz,
// log(1+x) compression, a maximum filter over three bands on the reference
// frame, positive differences) with a frame of 1024 samples for snare and
// hi-hat, which resolves fast rolls, and 2048 for the others; the kick's
// function weighs its low bands, the cymbals' weigh the high ones
// (high-frequency content). Peaks are picked adaptively (a local maximum
// over −10…+20 ms, above the 100 ms moving average plus a fraction of the
// stem's 99th-percentile peak, a minimum gap) and each onset is moved back
// to the start of its energy rise in the waveform, the rule the renderer
// uses to annotate attacks, so that timing does not depend on the frame
// size or on fixed per-stem offsets.
//
// Separated stems leak into each other. An onset is kept only when its
// level is within a range of the stem's loudest hits and when the stem owns
// enough of the spectral rise of all stems at that instant (a snare leaking
// into the toms stem rises far more in the snare stem).
//
// Hits are then labelled: the hi-hat's open, closed and pedal strokes by
// clustering their sustain and spectral centroid within the track (decay
// lengths overlap between kits, so fixed thresholds fail), the ride's bell
// strokes by their peaky spectrum (a few strong partials, where the bow's
// wash is flat), in groups where the track's strokes split by brightness,
// and toms by pitch, clustered and mapped high to low onto the drum map's
// tom notes. Velocity is the hit's peak level in dB relative
// to the stem's loudest hits, mapped monotonically onto 1–127.
//
// The package logs through log/slog's default logger at debug level only.
package transcribe
