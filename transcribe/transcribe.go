package transcribe

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
)

// Stem is one stem's audio: planar channels of equal length.
type Stem struct {
	Name string // kick, snare, toms, hh, ride, crash (also hihat, cymbals)
	Data [][]float32
}

// Input is the stems of one track at one sample rate.
type Input struct {
	SampleRate int
	Stems      []Stem
}

// Note is one transcribed hit.
type Note struct {
	Time     float64 // seconds from the start of the stems: the start of the hit's energy rise
	Stem     string  // the stem it was found in
	Piece    Piece
	Tom      int     // for toms: rank by pitch, 0 the highest, of Toms toms
	Toms     int     // for toms: how many toms the track has
	Key      uint8   // MIDI note from the drum map
	Velocity uint8   // 1–127, monotonic in Level
	Level    float64 // peak level in the 50 ms from Time, dB full scale

	hat hatFeatures // for the hi-hat: what its articulation was decided on
}

// Options controls Transcribe. The zero value is the General MIDI map.
type Options struct {
	// Map gives the notes; nil means GM().
	Map *DrumMap
	// NoGate turns off the leakage gate between stems (for true,
	// unleaking stems it changes little).
	NoGate bool
}

// Errors of Transcribe, wrapped with details.
var (
	ErrNoStems    = errors.New("no stems")
	ErrStemLength = errors.New("stems differ in length")
	ErrBadInput   = errors.New("bad input")
)

// stemClass is the onset detector class of a stem name.
func stemClass(name string) (Piece, bool) {
	switch name {
	case "kick":
		return Kick, true
	case "snare":
		return Snare, true
	case "toms":
		return Tom, true
	case "hh", "hihat":
		return HatClosed, true
	case "ride":
		return Ride, true
	case "crash", "cymbals":
		return Crash, true
	}
	return "", false
}

// Known reports whether Transcribe reads a stem of this name (one of
// StemNames, or the aliases hihat and cymbals); stems of other names are
// skipped.
func Known(name string) bool {
	_, ok := stemClass(name)
	return ok
}

// StemNames are the stem names Transcribe knows, in the order separate
// writes them.
var StemNames = []string{"kick", "snare", "toms", "hh", "ride", "crash"}

// hopFor returns the analysis hop: 256 samples (5.8 ms) at 44.1 kHz.
func hopFor(rate int) int { return max(1, int(math.Round(float64(rate)*256/44100))) }

// Transcribe detects the hits in every stem and returns them as notes in
// time order. Stems with names it does not know are skipped; silent stems
// give no notes.
func Transcribe(in Input, opt Options) ([]Note, error) {
	if in.SampleRate <= 0 {
		return nil, fmt.Errorf("%w: sample rate %d", ErrBadInput, in.SampleRate)
	}
	m := opt.Map
	if m == nil {
		m = GM()
	}
	type job struct {
		stem   Stem
		class  Piece
		mono   signal
		padded signal // mono, padded for analyze
		feat   *features
		det    *detector
		cands  []onset
		notes  []Note
		err    error
	}
	var jobs []*job
	length := -1
	for _, s := range in.Stems {
		cl, ok := stemClass(s.Name)
		if !ok {
			slog.Debug("transcribe: stem skipped", "stem", s.Name)
			continue
		}
		if len(s.Data) == 0 {
			return nil, fmt.Errorf("%w: stem %q has no channels", ErrBadInput, s.Name)
		}
		for _, ch := range s.Data {
			if length < 0 {
				length = len(ch)
			}
			if len(ch) != length {
				return nil, fmt.Errorf("%w: %q has %d samples, another stem or channel %d", ErrStemLength, s.Name, len(ch), length)
			}
		}
		jobs = append(jobs, &job{stem: s, class: cl})
	}
	if len(jobs) == 0 {
		return nil, fmt.Errorf("%w: none of %v", ErrNoStems, StemNames)
	}
	hop := hopFor(in.SampleRate)
	// Analyse the stems (mixed to mono where read) in parts of about
	// 30 s, the longest frames first, so that every CPU has work to the
	// end, then pick each stem's onsets.
	parallel(len(jobs), func(i int) {
		j := jobs[i]
		j.mono = newSignal(j.stem.Data)
		j.det = newDetector(j.class, in.SampleRate)
		j.padded = padSignal(j.mono, j.det.nfft)
		j.feat = newFeatures(j.padded.len(), hop)
	})
	type part struct {
		j      *job
		ta, tb int
	}
	var parts []part
	for _, j := range jobs {
		T := len(j.feat.odf)
		for ta := 0; ta < T; ta += partFrames {
			parts = append(parts, part{j, ta, min(T, ta+partFrames)})
		}
	}
	sort.SliceStable(parts, func(a, b int) bool { return parts[a].j.det.nfft > parts[b].j.det.nfft })
	var mu sync.Mutex
	parallel(len(parts), func(i int) {
		p := parts[i]
		if err := analyze(p.j.padded, in.SampleRate, p.j.det, hop, p.j.feat, p.ta, p.tb); err != nil {
			mu.Lock()
			p.j.err = err
			mu.Unlock()
		}
	})
	parallel(len(jobs), func(i int) {
		if j := jobs[i]; j.err == nil {
			j.cands = j.det.pick(j.feat.odf, j.mono, in.SampleRate, hop)
		}
	})
	for _, j := range jobs {
		if j.err != nil {
			return nil, fmt.Errorf("transcribe %q: %w", j.stem.Name, j.err)
		}
	}
	// Leakage gate: the stem must own enough of the spectral rise of all
	// stems at its onset.
	if !opt.NoGate && len(jobs) > 1 {
		T := len(jobs[0].feat.odf)
		total := make([]float32, T*numOctaves)
		for _, j := range jobs {
			for i, v := range j.feat.oct {
				total[i] += v
			}
		}
		// The loudest candidate of the other stems near each onset, from
		// the candidates as picked (before this gate drops any).
		louder := make([][]float64, len(jobs))
		atOnce := make([][]float64, len(jobs))
		win := int(leakWindow * float64(in.SampleRate))
		graceWin := int(graceWindow * float64(in.SampleRate))
		for i, j := range jobs {
			if j.det.leakDB == 0 && !j.det.flams {
				continue
			}
			louder[i] = make([]float64, len(j.cands))
			atOnce[i] = make([]float64, len(j.cands))
			for c, o := range j.cands {
				top, now := math.Inf(-1), math.Inf(-1)
				for k, other := range jobs {
					if k != i {
						top = math.Max(top, loudestNear(other.cands, o.sample, win))
						if o.grace {
							now = math.Max(now, loudestNear(other.cands, o.sample, graceWin))
						}
					}
				}
				louder[i][c], atOnce[i][c] = top, now
			}
		}
		for i, j := range jobs {
			kept := j.cands[:0]
			for c, o := range j.cands {
				o.own = ownership(j.feat.oct, total, o.sample/hop, in.SampleRate/hop)
				switch {
				case o.own < j.det.minOwn:
					slog.Debug("transcribe: leak dropped", "stem", j.stem.Name, "time", float64(o.sample)/float64(in.SampleRate), "own", o.own)
				case o.grace && o.level < atOnce[i][c]:
					slog.Debug("transcribe: grace note with a louder hit of another stem dropped", "stem", j.stem.Name, "time", float64(o.sample)/float64(in.SampleRate))
				case louder[i] != nil && j.det.leakDB > 0 && o.level < louder[i][c]-j.det.leakDB && o.own < j.det.leakOwn && o.rise < j.det.leakRise:
					slog.Debug("transcribe: leak under a louder hit dropped", "stem", j.stem.Name, "time", float64(o.sample)/float64(in.SampleRate), "own", o.own, "under_db", louder[i][c]-o.level)
				default:
					kept = append(kept, o)
				}
			}
			j.cands = kept
		}
	}
	// Notes, velocities and labels.
	parallel(len(jobs), func(i int) {
		j := jobs[i]
		ns := j.det.finish(j.cands, in.SampleRate)
		for i := range ns {
			ns[i].Stem = j.stem.Name
		}
		switch j.class {
		case HatClosed:
			labelHats(ns, j.mono, in.SampleRate)
		case Tom:
			labelToms(ns, j.mono, in.SampleRate)
		case Ride:
			labelRide(ns, j.mono, in.SampleRate)
		}
		for i := range ns {
			ns[i].Key = m.Key(ns[i].Piece, ns[i].Tom, ns[i].Toms)
		}
		j.notes = ns
	})
	var notes []Note
	for _, j := range jobs {
		notes = append(notes, j.notes...)
	}
	sort.SliceStable(notes, func(a, b int) bool { return notes[a].Time < notes[b].Time })
	return notes, nil
}

// graceWindow is how close, in seconds, a louder hit in another stem
// must be to a grace note for the grace to be taken for its leak: a
// separated snare stem carries hi-hat and kick hits ahead of a snare
// stroke as a grace note would sound (held-out renders separated by the
// bundled model: snare F@50 0.731 → 0.734 with 5 ms; true stems'
// flams lose one grace in 132 at 5 ms, 5 at 10 ms).
const graceWindow = 0.005

// leakWindow is how close, in seconds, a louder hit in another stem must
// be for the level rule of the leakage gate (detector.leakDB).
const leakWindow = 0.030

// loudestNear returns the highest level of the candidates within win
// samples of sample (cands are in time order), or −Inf.
func loudestNear(cands []onset, sample, win int) float64 {
	top := math.Inf(-1)
	i := sort.Search(len(cands), func(i int) bool { return cands[i].sample >= sample-win })
	for ; i < len(cands) && cands[i].sample <= sample+win; i++ {
		top = math.Max(top, cands[i].level)
	}
	return top
}

// partFrames is the length of the parts stems are analysed in: 5120 hops,
// 29.7 s at 44.1 kHz.
const partFrames = 5120

// parallel calls f(0), …, f(n−1) on GOMAXPROCS goroutines, taking the
// indices in order, and returns when all calls have.
func parallel(n int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}

// ownership is how much of the spectral rise at frame t (over about 20 ms)
// belongs to this stem: the largest share it has of the rise of all stems
// in any octave band where it rises noticeably. A hit leaking from another
// stem is a scaled copy of that stem's hit, a small share in every band; a
// real hit coinciding with a louder one (a hi-hat on a snare backbeat) still
// owns the bands where its own instrument is strong.
func ownership(own, total []float32, t, fps int) float64 {
	T := len(own) / numOctaves
	d := max(1, fps/50) // 20 ms
	a, b := max(0, t-d), min(T-1, t+d)
	var rs, rt [numOctaves]float64
	var top float64
	for k := 0; k < numOctaves; k++ {
		// Largest power over the 20 ms after minus the least power over
		// the 20 ms before.
		var sAfter, tAfter float64
		sBefore, tBefore := math.Inf(1), math.Inf(1)
		for i := t; i <= b; i++ {
			sAfter = math.Max(sAfter, float64(own[i*numOctaves+k]))
			tAfter = math.Max(tAfter, float64(total[i*numOctaves+k]))
		}
		for i := a; i <= t; i++ {
			sBefore = math.Min(sBefore, float64(own[i*numOctaves+k]))
			tBefore = math.Min(tBefore, float64(total[i*numOctaves+k]))
		}
		rs[k] = math.Max(0, sAfter-sBefore)
		rt[k] = math.Max(rs[k], tAfter-tBefore)
		top = math.Max(top, rs[k])
	}
	var share float64
	for k := range rs {
		if rs[k] > 0 && rs[k] >= 0.05*top {
			share = math.Max(share, rs[k]/rt[k])
		}
	}
	return share
}
