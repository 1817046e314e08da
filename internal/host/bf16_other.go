//go:build !(386 || amd64)

package host

// NativeBF16 reports whether the CPU has bfloat16 arithmetic of its own.
// Only x86's AVX512-BF16 and AMX-BF16 are detected; elsewhere it is false,
// so bf16 on the CPU falls back to fp32.
func NativeBF16() bool { return false }
