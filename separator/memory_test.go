package separator

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The peak-memory benchmark is a test that only runs when asked:
//
//	DRUMSPLIT_MEMTEST=1 go test -run '^TestPeakMemory$' -v ./separator/
//
// It separates a synthetic 5-minute and a 60-minute track, each in a child
// process of its own so that each peak is measured from a fresh start, and
// reports the peak resident set size (VmHWM, Linux) of both. The separator
// streams, so the two must differ by less than 64 MB.
// DRUMSPLIT_MEMTEST_MODEL picks the model in testdata/models (default
// identity.pt: DrumSep's geometry, 6 stems, through libtorch) or "fake" for
// the pure-Go identity engine with the same geometry; DRUMSPLIT_MEMTEST_BATCH
// the batch size (default 4).
const memChildEnv = "DRUMSPLIT_MEMTEST_CHILD"

func TestPeakMemory(t *testing.T) {
	if m := os.Getenv(memChildEnv); m != "" {
		memChild(t, m)
		return
	}
	if os.Getenv("DRUMSPLIT_MEMTEST") == "" {
		t.Skip("set DRUMSPLIT_MEMTEST=1 to measure peak RSS for 5- and 60-minute tracks")
	}
	if runtime.GOOS != "linux" {
		t.Skip("reads VmHWM from /proc")
	}
	peaks := map[int]int64{}
	for _, minutes := range []int{5, 60} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestPeakMemory$", "-test.v")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", memChildEnv, minutes))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%d-minute child: %v\n%s", minutes, err, out)
		}
		var line string
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			if i := strings.Index(sc.Text(), "MEMTEST "); i >= 0 {
				line = sc.Text()[i:]
			}
		}
		var kb int64
		var secs float64
		var model string
		if _, err := fmt.Sscanf(line, "MEMTEST peak_kb=%d seconds=%g model=%s", &kb, &secs, &model); err != nil {
			t.Fatalf("%d-minute child printed no result: %v\n%s", minutes, err, out)
		}
		peaks[minutes] = kb
		t.Logf("%2d-minute track (%s): peak RSS %.1f MB, %.1f s", minutes, model, float64(kb)/1024, secs)
	}
	d := float64(peaks[60]-peaks[5]) / 1024
	t.Logf("difference: %.1f MB", d)
	if d >= 64 {
		t.Errorf("peak RSS grows with the track: 60 min uses %.1f MB more than 5 min", d)
	}
}

// synthSource generates a deterministic stereo signal on the fly.
type synthSource struct {
	n, pos int64
	seed   uint64
}

func (s *synthSource) Frames() int64 { return s.n }

func (s *synthSource) Read(dst [][]float32) (int, error) {
	if s.pos >= s.n {
		return 0, io.EOF
	}
	n := int(min(int64(len(dst[0])), s.n-s.pos))
	for i := 0; i < n; i++ {
		p := float64(s.pos + int64(i))
		s.seed = s.seed*6364136223846793005 + 1442695040888963407
		r := float64(s.seed>>40)/float64(1<<24) - 0.5
		dst[0][i] = float32(0.3*math.Sin(p*0.031) + 0.1*r)
		dst[1][i] = float32(0.3*math.Sin(p*0.017) - 0.1*r)
	}
	s.pos += int64(n)
	return n, nil
}

func memChild(t *testing.T, minutesStr string) {
	minutes, err := strconv.Atoi(minutesStr)
	if err != nil {
		t.Fatal(err)
	}
	name := os.Getenv("DRUMSPLIT_MEMTEST_MODEL")
	if name == "" {
		name = "identity.pt"
	}
	batch := 4
	if b := os.Getenv("DRUMSPLIT_MEMTEST_BATCH"); b != "" {
		if batch, err = strconv.Atoi(b); err != nil {
			t.Fatal(err)
		}
	}
	const sr = 44100
	src := &synthSource{n: int64(minutes) * 60 * sr, seed: 1}
	var frames int64
	sink := SinkFunc(func(stems [][][]float32) error {
		frames += int64(len(stems[0][0]))
		for _, s := range stems {
			for _, c := range s {
				for _, v := range c {
					if v != v || math.IsInf(float64(v), 0) {
						return fmt.Errorf("non-finite output")
					}
				}
			}
		}
		return nil
	})
	start := time.Now()
	if name == "fake" {
		g, _ := newGeometry(ModeMSST, 130560, 4)
		p, err := newPipeline(g, &fakeEngine{model: identityModel, S: 6, C: 130560}, batch, quietLogger())
		if err != nil {
			t.Fatal(err)
		}
		err = p.run(context.Background(), src, sink)
		if err != nil {
			t.Fatal(err)
		}
	} else {
		s := openT(t, name, Options{Device: "cpu", BatchSize: batch, STFT: STFTModel})
		if err := s.Separate(context.Background(), src, sink); err != nil {
			t.Fatal(err)
		}
	}
	if frames != src.n {
		t.Fatalf("wrote %d frames of %d", frames, src.n)
	}
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			kb, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			fmt.Printf("MEMTEST peak_kb=%d seconds=%.1f model=%s\n", kb, time.Since(start).Seconds(), name)
			return
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
}

// TestRunAllocations separates a short and a ten times longer synthetic
// track with DrumSep's geometry (6 stems, 130,560-sample chunks, overlap
// 4, batch 1; the pure-Go identity engine) and counts the bytes each run
// allocates. What a streaming overlap-add must hold is the accumulators of
// one chunk (2 per stem, plus the weights), the input of one chunk and the
// output of one step; a run may allocate twice that, once, whatever the
// track's length. Windows that grow by doubling allocate every size on the
// way (4.6 times the bound before they were made with their room); garbage
// per chunk grows with the track. Either lets the GC's heap grow.
func TestRunAllocations(t *testing.T) {
	const S, C, N = 6, 130560, 4
	for _, mode := range []Mode{ModeMSST, ModeUVR} {
		g, err := newGeometry(mode, C, N)
		if err != nil {
			t.Fatal(err)
		}
		p, err := newPipeline(g, &fakeEngine{model: identityModel, S: S, C: C}, 1, quietLogger())
		if err != nil {
			t.Fatal(err)
		}
		hold := int64(4 * ((2*S+1)*C + 2*C + S*2*g.step))
		var allocated [2]int64
		for i, seconds := range []int64{20, 200} {
			src := &synthSource{n: seconds * 44100, seed: 1}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			if err := p.run(context.Background(), src, SinkFunc(func([][][]float32) error { return nil })); err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			allocated[i] = int64(after.TotalAlloc - before.TotalAlloc)
			t.Logf("%s, %d s: %.1f MiB allocated (must hold %.1f MiB)", mode, seconds, mib(allocated[i]), mib(hold))
			if allocated[i] > 2*hold {
				t.Errorf("%s, %d s: a run allocated %.1f MiB, more than twice the %.1f MiB it must hold", mode, seconds, mib(allocated[i]), mib(hold))
			}
		}
		if d := allocated[1] - allocated[0]; d > hold/64 {
			t.Errorf("%s: 200 s allocated %.1f MiB more than 20 s: allocations grow with the track", mode, mib(d))
		}
	}
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
