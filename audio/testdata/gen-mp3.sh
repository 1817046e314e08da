#!/bin/sh
# Regenerates the MP3 fixtures used by mp3_test.go (needs sox and lame;
# run from this directory, or `go generate ./audio`). Each is 0.5 s of
# sine tones at amplitude 0.5:
#   tones-mpeg1-id3.mp3  MPEG-1, 44.1 kHz stereo, 96 kbit/s, ID3v2 tag first,
#                        440 Hz left, 1000 Hz right
#   mono-mpeg2.mp3       MPEG-2, 22.05 kHz mono, 64 kbit/s, 440 Hz
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sox -n -r 44100 -c 2 -b 16 "$tmp/st.wav" synth 0.5 sine 440 sine 1000 vol 0.5
sox -n -r 22050 -c 1 -b 16 "$tmp/mono.wav" synth 0.5 sine 440 vol 0.5
lame --quiet -b 96 --resample 44.1 --add-id3v2 --tt drumsplit-fixture "$tmp/st.wav" tones-mpeg1-id3.mp3
lame --quiet -b 64 -m m "$tmp/mono.wav" mono-mpeg2.mp3
