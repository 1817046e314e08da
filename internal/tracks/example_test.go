package tracks_test

import (
	"fmt"
	"path/filepath"

	"github.com/drumsplit/drumsplit/internal/tracks"
)

func ExampleTemplate_Expand() {
	tpl, err := tracks.Parse("{model}/{track}/{stem}.{ext}")
	if err != nil {
		panic(err)
	}
	for _, stem := range []string{"kick", "snare"} {
		p, err := tpl.Expand(tracks.Vars{Track: tracks.TrackName("takes/verse.flac"), Stem: stem, Ext: "wav", Model: "drumsep"})
		if err != nil {
			panic(err)
		}
		fmt.Println(filepath.ToSlash(p))
	}
	_, err = tracks.Parse("../{stem}.wav")
	fmt.Println(err)
	// Output:
	// drumsep/verse/kick.wav
	// drumsep/verse/snare.wav
	// file name template "../{stem}.wav": ".." would leave the output folder (-o)
}
