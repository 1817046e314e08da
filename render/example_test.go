package render_test

import (
	"fmt"

	"github.com/drumsplit/drumsplit/render"
)

// Instrument names decide the stem a kit instrument plays into.
func ExampleClassify() {
	for _, name := range []string{"Pearl Tom Floor", "Sabian Hat Semi-Open", "ride-crash20inch", "Crash/Ride Bell", "Hand Clap", "Stick"} {
		p, _ := render.Classify(name, 37)
		fmt.Printf("%-22s %-6s %s\n", name, p.Stem(), p)
	}
	// Output:
	// Pearl Tom Floor        toms   tom_mid
	// Sabian Hat Semi-Open   hh     hh_half_open
	// ride-crash20inch       ride   ride
	// Crash/Ride Bell        ride   ride_bell
	// Hand Clap              other  clap
	// Stick                  snare  side_stick
}

// A seeded generator always gives the same groove.
func ExampleGenerate() {
	g, err := render.Generate(render.GrooveOptions{Seconds: 8, Style: "funk", BPM: 96}, render.NewRand(1))
	if err != nil {
		panic(err)
	}
	fmt.Println(g.Style, g.Meter, g.BPM(), g.Hits[0].Time > 0)
	// Output: funk 4/4 96 true
}
