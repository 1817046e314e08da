package bench

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseInts(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []int
		ok   bool
	}{
		{"2,4,8", []int{2, 4, 8}, true},
		{" 8, 2 ,4,2", []int{8, 2, 4}, true},
		{"1", []int{1}, true},
		{"4,", []int{4}, true},
		{"", nil, false},
		{",", nil, false},
		{"0,2", nil, false},
		{"-1", nil, false},
		{"two", nil, false},
		{"2.5", nil, false},
	} {
		got, err := ParseInts(c.in)
		if (err == nil) != c.ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseInts(%q) = %v, %v; want %v, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestParsePrecisions(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		ok   bool
	}{
		{"auto", nil, true},
		{"", nil, true},
		{"fp32", []string{"fp32"}, true},
		{"FP16, float32,half", []string{"fp16", "fp32"}, true},
		{"bfloat16,bf16", []string{"bf16"}, true},
		{"fp8", nil, false},
		{"auto,fp32", nil, false},
		{",", nil, false},
	} {
		got, err := ParsePrecisions(c.in)
		if (err == nil) != c.ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParsePrecisions(%q) = %v, %v; want %v, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
	if !reflect.DeepEqual(DefaultPrecisions("cpu"), []string{"fp32"}) || !reflect.DeepEqual(DefaultPrecisions("cuda"), []string{"fp32", "fp16"}) {
		t.Error("DefaultPrecisions: want fp32 on cpu, fp32 and fp16 on cuda")
	}
	if Supported("cpu", "fp16") || !Supported("cpu", "bf16") || !Supported("cuda", "fp16") {
		t.Error("Supported: want no fp16 on the CPU only")
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{3, 1}, 2},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		in := append([]float64(nil), c.in...)
		if got := Median(c.in); got != c.want {
			t.Errorf("Median(%v) = %g, want %g", c.in, got, c.want)
		}
		if !reflect.DeepEqual(in, c.in) {
			t.Errorf("Median modified its input: %v → %v", in, c.in)
		}
	}
}

func TestParseDevices(t *testing.T) {
	got := ParseDevices([]string{"cpu, cuda:0", "auto", " ,mps"})
	if strings.Join(got, " ") != "cpu cuda:0 mps" {
		t.Errorf("ParseDevices = %q", got)
	}
	if got := ParseDevices([]string{"auto"}); got != nil {
		t.Errorf("auto: %q, want nil (every device)", got)
	}
}
