package render

import (
	"testing"
)

// The target is 50× real time on a 2-core machine. Kit samples are decoded
// once (the cache), as in a data-set render.

func benchRender(b *testing.B, opt Options) {
	kits := testKits(b)
	cache := NewCache()
	const seconds = 30
	// Warm the cache with every sample the kits use.
	for _, k := range kits {
		for _, in := range k.Instruments {
			for _, l := range in.Layers {
				if in.Piece.Kit() {
					if _, err := cache.get(l.File); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rng := NewRand(uint64(i))
		g, err := Generate(GrooveOptions{Seconds: seconds, AllStems: true}, rng)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Render(g, kits[i%len(kits)], cache, opt, rng); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*seconds/b.Elapsed().Seconds(), "x_realtime")
}

// BenchmarkRender: generate and render a 30 s track in memory.
func BenchmarkRender(b *testing.B) { benchRender(b, Options{}) }

// BenchmarkRenderAugment adds the augmentation (reverb, EQ, saturation).
func BenchmarkRenderAugment(b *testing.B) { benchRender(b, Options{Augment: true}) }

// BenchmarkRenderSet renders and writes 30 s tracks (7 float WAV files,
// onsets.json, groove.mid) with two workers.
func BenchmarkRenderSet(b *testing.B) {
	kits := testKits(b)
	cache := NewCache()
	out := b.TempDir()
	const seconds = 30
	if _, err := RenderSet(SetOptions{Out: out, Split: "warm", Kits: kits, Tracks: 2, Seconds: seconds, Jobs: 2, Cache: cache}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	res, err := RenderSet(SetOptions{Out: out, Split: "train", Kits: kits, Tracks: b.N, Seconds: seconds, Seed: 1, Jobs: 2, Cache: cache})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.Seconds/b.Elapsed().Seconds(), "x_realtime")
}
