package render

import (
	"fmt"
	"math"
	"sync"

	"github.com/drumsplit/drumsplit/audio"
)

// SampleRate is the rate every track is rendered at; kit samples at other
// rates (ForzeeStereo and rumpf_kit are 48 kHz) are resampled to it.
const SampleRate = 44100

// A sample's sound starts with a few milliseconds of near-silence (room
// noise, the stick's approach) and then its attack. Two points are found in
// each sample:
//
//   - its start, where it first reaches silenceThreshold of its peak
//     (−40 dB); everything before is dropped;
//   - its attack: within attackSearch of the start, the first frame where
//     the sample's energy rises steeply — the energy of the riseWindow
//     frames from it minus that of the riseWindow frames before it reaches
//     half the largest such rise (findAttack). A stroke
//     is placed so that its attack falls on the stroke's time, and that time
//     is the annotated onset: the point where the stem's energy rises, which
//     is what a listener or an onset detector calls the onset (a kick's body
//     or a ride's ping comes a few milliseconds after the first sound).
//
// At most maxPreroll of sound precedes the attack; an earlier start is
// trimmed.
const (
	silenceThreshold = 0.01
	riseWindow       = SampleRate * 2 / 1000  // 2 ms
	attackSearch     = SampleRate * 15 / 1000 // 15 ms
	maxPreroll       = SampleRate * 10 / 1000 // 10 ms
)

// sample is a decoded kit sample: 1 or 2 channels at SampleRate, its leading
// silence removed.
type sample struct {
	data   [][]float32
	peak   float32
	attack int // frames from the first frame to the attack
	// second is the sample's second attack (see secondAttack), in frames
	// after its attack; 0 if it has none.
	second int
}

func (s *sample) frames() int { return len(s.data[0]) }

// Cache holds decoded samples, so that a kit is decoded and resampled once
// per process however many tracks use it. It is safe for concurrent use.
type Cache struct {
	mu sync.Mutex
	m  map[string]*cacheEntry
}

type cacheEntry struct {
	once sync.Once
	s    *sample
	err  error
}

// NewCache returns an empty sample cache.
func NewCache() *Cache { return &Cache{m: map[string]*cacheEntry{}} }

// get returns the decoded sample at path, decoding it on first use.
func (c *Cache) get(path string) (*sample, error) {
	c.mu.Lock()
	e := c.m[path]
	if e == nil {
		e = &cacheEntry{}
		c.m[path] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.s, e.err = loadSample(path) })
	return e.s, e.err
}

// loadSample decodes a kit sample (WAV, FLAC or AIFF), keeps its first two
// channels, resamples it to SampleRate and trims its leading silence.
func loadSample(path string) (*sample, error) {
	buf, _, err := audio.DecodeFile(path)
	if err != nil {
		return nil, fmt.Errorf("kit sample: %w", err)
	}
	if len(buf.Data) == 0 || buf.Frames() == 0 {
		return nil, fmt.Errorf("kit sample %s: no audio", path)
	}
	if len(buf.Data) > 2 {
		buf.Data = buf.Data[:2]
	}
	if buf.SampleRate != SampleRate {
		if buf, err = audio.Resample(buf, SampleRate); err != nil {
			return nil, fmt.Errorf("kit sample %s: %w", path, err)
		}
	}
	var peak float32
	for _, ch := range buf.Data {
		for _, v := range ch {
			peak = max(peak, float32(math.Abs(float64(v))))
		}
	}
	if peak == 0 {
		return nil, fmt.Errorf("kit sample %s: silent", path)
	}
	start := 0
search:
	for i := range buf.Data[0] {
		for _, ch := range buf.Data {
			if math.Abs(float64(ch[i])) >= silenceThreshold*float64(peak) {
				start = i
				break search
			}
		}
	}
	attack := findAttack(buf.Data, start)
	if attack-start > maxPreroll {
		start = attack - maxPreroll
	}
	s := &sample{data: make([][]float32, len(buf.Data)), peak: peak, attack: attack - start}
	for c, ch := range buf.Data {
		s.data[c] = ch[start:]
	}
	s.second = secondAttack(s.data, s.attack)
	return s, nil
}

// findAttack returns the attack of a sample whose sound starts at start:
// the first frame in [start, start+attackSearch] where the energy of the
// next riseWindow frames exceeds that of the previous riseWindow frames by
// at least half the largest such rise in the range. The largest rise alone
// would skip a sound that starts at full level for a bigger bump a few
// milliseconds on (some ride samples are cut right at the stick).
func findAttack(data [][]float32, start int) int {
	n := len(data[0])
	e := func(i int) float64 { // energy of frame i, 0 outside the sample
		if i < 0 || i >= n {
			return 0
		}
		var s float64
		for _, ch := range data {
			s += float64(ch[i]) * float64(ch[i])
		}
		return s
	}
	var before, after float64
	for i := start - riseWindow; i < start; i++ {
		before += e(i)
	}
	for i := start; i < start+riseWindow; i++ {
		after += e(i)
	}
	rise := []float64{after - before}
	for i := start + 1; i <= start+attackSearch && i < n; i++ {
		// Slide both windows one frame.
		before += e(i-1) - e(i-1-riseWindow)
		after += e(i-1+riseWindow) - e(i-1)
		rise = append(rise, after-before)
	}
	top := rise[0]
	for _, r := range rise {
		top = math.Max(top, r)
	}
	for i, r := range rise {
		if r >= attackFraction*top {
			return start + i
		}
	}
	return start
}

// attackFraction is the share of a sample's largest energy rise that marks
// its attack (findAttack).
var attackFraction = 0.5
