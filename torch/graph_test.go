package torch

import (
	"errors"
	"testing"
)

// TestSimpleExecutorByDefault checks that loading a module leaves libtorch
// on the simple graph executor (its own default is the profiling one, whose
// two instrumented first calls delay every process's first chunk), and that
// SetProfilingExecutor switches both ways.
func TestSimpleExecutorByDefault(t *testing.T) {
	c := readCases(t)[0]
	m := loadT(t, c.Module)
	if _, err := m.Run(c.Method, c.in...); err != nil {
		t.Fatal(err)
	}
	on, err := ProfilingExecutor()
	if err != nil {
		t.Fatal(err)
	}
	if on {
		t.Fatal("profiling executor in use after Load, want the simple executor")
	}
	t.Cleanup(func() { SetProfilingExecutor(false) })
	for _, want := range []bool{true, false} {
		if err := SetProfilingExecutor(want); err != nil {
			t.Fatal(err)
		}
		// A module loaded now keeps the choice: Load only sets the default
		// while nobody has chosen.
		m := loadT(t, c.Module)
		got, err := m.Run(c.Method, c.in...)
		if err != nil {
			t.Fatal(err)
		}
		if on, _ := ProfilingExecutor(); on != want {
			t.Errorf("after SetProfilingExecutor(%v) and a Load: ProfilingExecutor() = %v", want, on)
		}
		if d := maxAbsDiff(t, got, c.want); d > 1e-6 {
			t.Errorf("profiling executor %v: max |go - python| = %g, want <= 1e-6", want, d)
		}
	}
}

// TestOptimize runs every fixture method after each graph rewrite: the
// outputs stay those of Python, every method survives freezing, and the
// rules around SetDType hold.
func TestOptimize(t *testing.T) {
	for _, o := range []GraphOpt{GraphAsSaved, GraphFrozen, GraphInference} {
		for _, c := range readCases(t) {
			t.Run(o.String()+"/"+c.Module+"/"+c.Method, func(t *testing.T) {
				m := loadT(t, c.Module)
				if err := m.Optimize(o); err != nil {
					t.Fatal(err)
				}
				got, err := m.Run(c.Method, c.in...)
				if err != nil {
					t.Fatal(err)
				}
				if d := maxAbsDiff(t, got, c.want); d > 1e-5 {
					t.Errorf("max |go - python| = %g, want <= 1e-5", d)
				}
				err = m.SetDType(Float32)
				var te *Error
				switch {
				case o == GraphAsSaved && err != nil:
					t.Errorf("SetDType after Optimize(%s): %v", o, err)
				case o != GraphAsSaved && (!errors.As(err, &te) || te.Status != StatusUnsupported):
					t.Errorf("SetDType on a %s module: error %v, want status %s", o, err, StatusUnsupported)
				}
			})
		}
	}
}

func TestOptimizeRefused(t *testing.T) {
	c := readCases(t)[0]
	m := loadT(t, c.Module)
	if err := m.SetDType(Float32); err != nil {
		t.Fatal(err)
	}
	if err := m.Optimize(GraphFrozen); err == nil {
		t.Error("Optimize after SetDType succeeded; the converted weights would be frozen in their new dtype")
	}
	m2 := loadT(t, c.Module)
	if err := m2.Optimize(GraphFrozen); err != nil {
		t.Fatal(err)
	}
	if err := m2.Optimize(GraphFrozen); err == nil {
		t.Error("Optimize twice succeeded")
	}
	if err := m2.Optimize(GraphOpt(7)); err == nil {
		t.Error("Optimize(7) succeeded")
	}
	m2.Close()
	if err := m2.Optimize(GraphFrozen); !errors.Is(err, ErrClosed) {
		t.Errorf("Optimize after Close: %v, want ErrClosed", err)
	}
}
