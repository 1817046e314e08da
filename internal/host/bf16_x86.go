//go:build 386 || amd64

package host

import "golang.org/x/sys/cpu"

// NativeBF16 reports whether the CPU has bfloat16 arithmetic of its own
// (AVX512-BF16 or AMX-BF16) and the OS enables it. Without it libtorch
// emulates bf16 through fp32 conversions, slower than fp32 itself.
func NativeBF16() bool { return cpu.X86.HasAVX512BF16 || cpu.X86.HasAMXBF16 }
