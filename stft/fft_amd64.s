//go:build !purego

#include "textflag.h"

// AVX2 kernels of the power-of-two real FFT (see fft_amd64.go). A YMM
// register holds two complex128 values, [re0 im0 re1 im1]. Every kernel
// performs the IEEE operations of the Go function it replaces, on the same
// operands and in the same order per element, so that its results are
// bit for bit those of the Go code; the identities it relies on are exact
// in IEEE arithmetic:
//
//   - x·y = y·x and x + y = y + x, so the product of Go's complex
//     multiplication (ar·br − ai·bi) + i(ar·bi + ai·br) is VMULPD, VMULPD,
//     VADDSUBPD on duplicated and swapped operands;
//   - x − y = x + (−y), so a sign flip (VXORPD with a sign mask) and an
//     add, or a subtract of a negated value, give the Go code's subtraction
//     or addition.
//
// There is no FMA: it rounds once where Go rounds twice. Go's operand
// order is used throughout: VSUBPD b, a, d computes d = a − b, and
// VADDSUBPD b, a, d computes d = [a0 − b0, a1 + b1, a2 − b2, a3 + b3].

// signOdd flips the sign of the imaginary parts: [+0, −0, +0, −0].
DATA signOdd<>+0(SB)/8, $0x0000000000000000
DATA signOdd<>+8(SB)/8, $0x8000000000000000
DATA signOdd<>+16(SB)/8, $0x0000000000000000
DATA signOdd<>+24(SB)/8, $0x8000000000000000
GLOBL signOdd<>(SB), RODATA|NOPTR, $32

// signLast flips the sign of the last element only: [+0, +0, +0, −0].
DATA signLast<>+0(SB)/8, $0x0000000000000000
DATA signLast<>+8(SB)/8, $0x0000000000000000
DATA signLast<>+16(SB)/8, $0x0000000000000000
DATA signLast<>+24(SB)/8, $0x8000000000000000
GLOBL signLast<>(SB), RODATA|NOPTR, $32

// BUTTERFLY4 is the twiddle-free length-4 butterfly of pack and firstPass:
// from X = [a | b] and Y = [c | d] it computes s0 = a+c, s1 = a−c,
// s2 = b+d, s3 = b−d and leaves
//   S = [s0 + s2 | (s1r + s3i, s1i − s3r)]  (outputs 0 and 1),
//   D = [s0 − s2 | (s1r − s3i, s1i + s3r)]  (outputs 2 and 3).
// The second halves come from Q = [s2 | (s3i, −s3r)] (signLast in Y15):
// s1i + (−s3r) = s1i − s3r and s1i − (−s3r) = s1i + s3r exactly.
// P and Q are scratch.
// In order: S = [s0 | s2], D = [s1 | s3], P = [s0 | s1], Q = [s2 | s3],
// Q = [s2 | s3i s3r], Q = [s2 | s3i −s3r], S = P + Q, D = P − Q.
#define BUTTERFLY4(X, Y, S, D, P, Q) \
	VADDPD     Y, X, S;        \
	VSUBPD     Y, X, D;        \
	VPERM2F128 $0x20, D, S, P; \
	VPERM2F128 $0x31, D, S, Q; \
	VPERMILPD  $6, Q, Q;       \
	VXORPD     Y15, Q, Q;      \
	VADDPD     Q, P, S;        \
	VSUBPD     Q, P, D

// func packEvenAVX2(z []complex128, src []float32, win []float64, rev []int32)
//
// For q = 0, 4, 8, …: j = rev[q]; in(i) = (src[2i]·win[2i], src[2i+1]·win[2i+1]);
// a, b, c, d = in(j), in(j+m/4), in(j+m/2), in(j+3m/4); z[q…q+3] =
// BUTTERFLY4([a | b], [c | d]).
TEXT ·packEvenAVX2(SB), NOSPLIT, $0-96
	MOVQ z_base+0(FP), DI
	MOVQ z_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	MOVQ win_base+48(FP), R8
	MOVQ rev_base+72(FP), R9
	MOVQ CX, R10
	SHLQ $1, R10                 // m/4 complex values of src: 2m bytes
	LEAQ (R10)(R10*2), R11       // 3m/4 of src
	MOVQ CX, R12
	SHLQ $2, R12                 // m/4 complex values of win: 4m bytes
	LEAQ (R12)(R12*2), R13       // 3m/4 of win
	VMOVUPD signLast<>(SB), Y15
	XORQ AX, AX                  // q

packEvenLoop:
	MOVLQSX (R9)(AX*4), BX       // j
	LEAQ    (SI)(BX*8), DX       // &src[2j]
	SHLQ    $4, BX
	ADDQ    R8, BX               // &win[2j]
	VCVTPS2PD (DX), X0
	VMULPD    (BX), X0, X0       // a
	VCVTPS2PD (DX)(R10*1), X1
	VMULPD    (BX)(R12*1), X1, X1 // b
	VCVTPS2PD (DX)(R10*2), X2
	VMULPD    (BX)(R12*2), X2, X2 // c
	VCVTPS2PD (DX)(R11*1), X3
	VMULPD    (BX)(R13*1), X3, X3 // d
	VINSERTF128 $1, X1, Y0, Y0   // [a | b]
	VINSERTF128 $1, X3, Y2, Y2   // [c | d]
	BUTTERFLY4(Y0, Y2, Y4, Y5, Y6, Y7)
	MOVQ    AX, BX
	SHLQ    $4, BX
	VMOVUPD Y4, (DI)(BX*1)
	VMOVUPD Y5, 32(DI)(BX*1)
	ADDQ    $4, AX
	CMPQ    AX, CX
	JB      packEvenLoop
	VZEROUPPER
	RET

// func packOddAVX2(z []complex128, src []float32, win []float64, rev []int32)
//
// For q = 0, 2, 4, …: j = rev[q]; a, b = in(j), in(j+m/2); z[q], z[q+1] =
// a+b, a−b. Two such blocks (q and q+2) per iteration.
TEXT ·packOddAVX2(SB), NOSPLIT, $0-96
	MOVQ z_base+0(FP), DI
	MOVQ z_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	MOVQ win_base+48(FP), R8
	MOVQ rev_base+72(FP), R9
	MOVQ CX, R10
	SHLQ $2, R10                 // m/2 complex values of src: 4m bytes
	MOVQ CX, R12
	SHLQ $3, R12                 // m/2 complex values of win: 8m bytes
	XORQ AX, AX                  // q

packOddLoop:
	MOVLQSX (R9)(AX*4), BX       // j = rev[q]
	MOVLQSX 8(R9)(AX*4), DX      // j' = rev[q+2]
	LEAQ    (SI)(BX*8), R11      // &src[2j]
	SHLQ    $4, BX
	ADDQ    R8, BX               // &win[2j]
	LEAQ    (SI)(DX*8), R13      // &src[2j']
	SHLQ    $4, DX
	ADDQ    R8, DX               // &win[2j']
	VCVTPS2PD (R11), X0
	VMULPD    (BX), X0, X0       // a
	VCVTPS2PD (R11)(R10*1), X1
	VMULPD    (BX)(R12*1), X1, X1 // b
	VCVTPS2PD (R13), X2
	VMULPD    (DX), X2, X2       // a'
	VCVTPS2PD (R13)(R10*1), X3
	VMULPD    (DX)(R12*1), X3, X3 // b'
	VINSERTF128 $1, X2, Y0, Y0   // [a | a']
	VINSERTF128 $1, X3, Y1, Y1   // [b | b']
	VADDPD      Y1, Y0, Y4       // [a+b | a'+b']
	VSUBPD      Y1, Y0, Y5       // [a−b | a'−b']
	VPERM2F128  $0x20, Y5, Y4, Y6 // z[q], z[q+1]
	VPERM2F128  $0x31, Y5, Y4, Y7 // z[q+2], z[q+3]
	MOVQ    AX, BX
	SHLQ    $4, BX
	VMOVUPD Y6, (DI)(BX*1)
	VMOVUPD Y7, 32(DI)(BX*1)
	ADDQ    $4, AX
	CMPQ    AX, CX
	JB      packOddLoop
	VZEROUPPER
	RET

// CMUL sets R = W·X (Go's complex multiplication, W first) for two complex
// values, W at address A = (B)(AX*1) in memory: [wr wr] from A, [wi wi]
// from A+8 (so the 32 bytes at A+8 must be readable), Xs = X with re and
// im swapped, then [wr·xr − wi·xi, wr·xi + wi·xr] =
// VADDSUBPD([wi·xi, wi·xr], [wr·xr, wr·xi]). T and Xs are scratch.
#define CMUL(B, X, R, T, Xs) \
	VMOVDDUP  (B)(AX*1), R;  \
	VMOVDDUP  8(B)(AX*1), T; \
	VPERMILPD $5, X, Xs;  \
	VMULPD    X, R, R;    \
	VMULPD    Xs, T, T;   \
	VADDSUBPD T, R, R

// func radix4AVX2(z []complex128, tw []complex128, h int)
//
// radix4 over every block of 4h values of z, two k per iteration:
// c = W2·q1[k], b = W1·q2[k], d = W3·q3[k], s0 = a+c, s1 = a−c, s2 = b+d,
// s3 = b−d; q0 = s0+s2, q1 = (s1r+s3i, s1i−s3r), q2 = s0−s2,
// q3 = (s1r−s3i, s1i+s3r).
TEXT ·radix4AVX2(SB), NOSPLIT, $0-56
	MOVQ z_base+0(FP), DI
	MOVQ z_len+8(FP), CX
	MOVQ tw_base+24(FP), SI
	MOVQ h+48(FP), DX
	SHLQ $4, CX
	ADDQ DI, CX                  // end of z
	SHLQ $4, DX                  // bytes of a quarter (h values)
	LEAQ (SI)(DX*1), R12         // W2 = W^2k
	LEAQ (SI)(DX*2), R13         // W3 = W^3k
	VMOVUPD signOdd<>(SB), Y15

radix4Block:
	LEAQ (DI)(DX*1), R9          // q1
	LEAQ (DI)(DX*2), R10         // q2
	LEAQ (R9)(DX*2), R11         // q3
	XORQ AX, AX                  // 16k

radix4Loop:
	VMOVUPD (R9)(AX*1), Y0
	CMUL(R12, Y0, Y1, Y2, Y3)   // c
	VMOVUPD (R10)(AX*1), Y0
	CMUL(SI, Y0, Y4, Y2, Y3)   // b
	VMOVUPD (R11)(AX*1), Y0
	CMUL(R13, Y0, Y5, Y2, Y3)   // d
	VMOVUPD (DI)(AX*1), Y0              // a
	VADDPD    Y1, Y0, Y6         // s0
	VSUBPD    Y1, Y0, Y7         // s1
	VADDPD    Y5, Y4, Y8         // s2
	VSUBPD    Y5, Y4, Y9         // s3
	VADDPD    Y8, Y6, Y10        // q0
	VSUBPD    Y8, Y6, Y11        // q2
	VPERMILPD $5, Y9, Y9         // (s3i, s3r)
	VADDSUBPD Y9, Y7, Y12        // q3 = (s1r − s3i, s1i + s3r)
	VXORPD    Y15, Y9, Y9        // (s3i, −s3r)
	VADDPD    Y9, Y7, Y13        // q1 = (s1r + s3i, s1i − s3r)
	VMOVUPD   Y10, (DI)(AX*1)
	VMOVUPD   Y13, (R9)(AX*1)
	VMOVUPD   Y11, (R10)(AX*1)
	VMOVUPD   Y12, (R11)(AX*1)
	ADDQ      $32, AX
	CMPQ      AX, DX
	JB        radix4Loop
	LEAQ (DI)(DX*4), DI
	CMPQ DI, CX
	JB   radix4Block
	VZEROUPPER
	RET

// func unpackForwardAVX2(dst []complex64, stride int, z, post []complex128, k0, k1 int, high bool)
//
// Steps k and k+1 of unpackForwardBins per iteration, with zc = z[m−k]:
// E = (er, ei) = zk + conj zc; O' = (oi, or) = (zcr − zkr, zci + zki);
// T = (tr, ti) = (wr·or − wi·oi, wr·oi + wi·or);
// X[k] = E + T; X[m−k] = (er − tr, −ei + ti); rounded to complex64.
TEXT ·unpackForwardAVX2(SB), NOSPLIT, $0-97
	MOVQ    dst_base+0(FP), DI
	MOVQ    stride+24(FP), R8
	SHLQ    $3, R8               // stride in bytes
	MOVQ    z_base+32(FP), SI
	MOVQ    z_len+40(FP), CX     // m
	MOVQ    post_base+56(FP), DX
	MOVQ    k0+80(FP), AX
	MOVQ    k1+88(FP), BX
	MOVBLZX high+96(FP), R9
	CMPQ    AX, BX
	JAE     unpackForwardDone
	MOVQ    AX, R10
	IMULQ   R8, R10
	ADDQ    DI, R10              // &dst[k·stride]
	MOVQ    CX, R11
	SUBQ    AX, R11
	DECQ    R11
	IMULQ   R8, R11
	ADDQ    DI, R11              // &dst[(m−k−1)·stride]
	MOVQ    AX, R12
	SHLQ    $4, R12
	ADDQ    SI, R12              // &z[k]
	MOVQ    CX, R13
	SUBQ    AX, R13
	DECQ    R13
	SHLQ    $4, R13
	ADDQ    SI, R13              // &z[m−k−1]
	SHLQ    $4, AX
	ADDQ    AX, DX               // &post[k]
	SHRQ    $4, AX
	VMOVUPD signOdd<>(SB), Y15

unpackForwardLoop:
	VMOVUPD    (R12), Y0                 // zk = z[k], z[k+1]
	VMOVUPD    (R13), Y1
	VPERM2F128 $0x01, Y1, Y1, Y1         // zc = z[m−k], z[m−k−1]
	VXORPD     Y15, Y1, Y2
	VADDPD     Y2, Y0, Y2                // E
	VADDSUBPD  Y0, Y1, Y3                // O'
	VMOVDDUP   (DX), Y4                  // [wr wr]
	VMOVDDUP   8(DX), Y5                 // [wi wi]
	VMULPD     Y3, Y4, Y4                // (wr·oi, wr·or)
	VMULPD     Y3, Y5, Y5                // (wi·oi, wi·or)
	VPERMILPD  $5, Y4, Y4                // (wr·or, wr·oi)
	VADDSUBPD  Y5, Y4, Y4                // T
	VADDPD     Y4, Y2, Y6                // X[k]
	VCVTPD2PSY Y6, X6
	VMOVSD     X6, (R10)
	VMOVHPS    X6, (R10)(R8*1)
	TESTQ      R9, R9
	JZ         unpackForwardNext
	VXORPD     Y15, Y2, Y2               // (er, −ei)
	VADDSUBPD  Y4, Y2, Y7                // X[m−k]
	VCVTPD2PSY Y7, X7
	VMOVSD     X7, (R11)(R8*1)           // bin m−k
	VMOVHPS    X7, (R11)                 // bin m−k−1

unpackForwardNext:
	LEAQ (R10)(R8*2), R10
	SUBQ R8, R11
	SUBQ R8, R11
	ADDQ $32, R12
	SUBQ $32, R13
	ADDQ $32, DX
	ADDQ $2, AX
	CMPQ AX, BX
	JB   unpackForwardLoop
	VZEROUPPER

unpackForwardDone:
	RET

// func packInverseAVX2(z []complex128, src []complex64, stride int, post []complex128, rev []int32, k0, k1 int)
//
// Steps k and k+1 of packInverseBins per iteration, with xc = X[m−k]:
// E = (er, ei) = xk + conj xc; D = (dr, di) = xk − conj xc;
// O' = (oi, or) = (di·wr − dr·wi, dr·wr + di·wi);
// z[rev[k]] = conj(er − oi, ei + or); z[rev[m−k]] = (er + oi, ei + (−or)).
TEXT ·packInverseAVX2(SB), NOSPLIT, $0-120
	MOVQ  z_base+0(FP), DI
	MOVQ  z_len+8(FP), CX        // m
	MOVQ  src_base+24(FP), SI
	MOVQ  stride+48(FP), R8
	SHLQ  $3, R8                 // stride in bytes
	MOVQ  post_base+56(FP), DX
	MOVQ  rev_base+80(FP), R9
	MOVQ  k0+104(FP), AX
	MOVQ  k1+112(FP), BX
	CMPQ  AX, BX
	JAE   packInverseDone
	MOVQ  AX, R10
	IMULQ R8, R10
	ADDQ  SI, R10                // &src[k·stride]
	MOVQ  CX, R11
	SUBQ  AX, R11
	DECQ  R11
	IMULQ R8, R11
	ADDQ  SI, R11                // &src[(m−k−1)·stride]
	MOVQ  AX, R12
	SHLQ  $4, R12
	ADDQ  DX, R12                // &post[k]
	LEAQ  (R9)(AX*4), R13        // &rev[k]
	MOVQ  CX, SI
	SUBQ  AX, SI
	DECQ  SI
	LEAQ  (R9)(SI*4), SI         // &rev[m−k−1]
	VMOVUPD signOdd<>(SB), Y15

packInverseLoop:
	VMOVSD    (R10), X0
	VMOVHPS   (R10)(R8*1), X0, X0
	VCVTPS2PD X0, Y0                     // xk = X[k], X[k+1]
	VMOVSD    (R11)(R8*1), X1
	VMOVHPS   (R11), X1, X1
	VCVTPS2PD X1, Y1                     // xc = X[m−k], X[m−k−1]
	VXORPD    Y15, Y1, Y1                // conj xc
	VADDPD    Y1, Y0, Y2                 // E
	VSUBPD    Y1, Y0, Y3                 // D
	VMOVDDUP  (R12), Y4                  // [wr wr]
	VMOVDDUP  8(R12), Y5                 // [wi wi]
	VMULPD    Y3, Y4, Y4                 // (dr·wr, di·wr)
	VMULPD    Y3, Y5, Y5                 // (dr·wi, di·wi)
	VPERMILPD $5, Y4, Y4                 // (di·wr, dr·wr)
	VADDSUBPD Y5, Y4, Y4                 // O'
	VADDSUBPD Y4, Y2, Y6                 // (er − oi, ei + or)
	VXORPD    Y15, Y6, Y6                // z[rev[k]], z[rev[k+1]]
	VXORPD    Y15, Y4, Y4                // (oi, −or)
	VADDPD    Y4, Y2, Y7                 // z[rev[m−k]], z[rev[m−k−1]]
	MOVLQSX      (R13), CX
	SHLQ         $4, CX
	VMOVUPD      X6, (DI)(CX*1)
	MOVLQSX      4(R13), CX
	SHLQ         $4, CX
	VEXTRACTF128 $1, Y6, (DI)(CX*1)
	MOVLQSX      4(SI), CX
	SHLQ         $4, CX
	VMOVUPD      X7, (DI)(CX*1)
	MOVLQSX      (SI), CX
	SHLQ         $4, CX
	VEXTRACTF128 $1, Y7, (DI)(CX*1)
	LEAQ (R10)(R8*2), R10
	SUBQ R8, R11
	SUBQ R8, R11
	ADDQ $32, R12
	ADDQ $8, R13
	SUBQ $8, SI
	ADDQ $2, AX
	CMPQ AX, BX
	JB   packInverseLoop
	VZEROUPPER

packInverseDone:
	RET

// func firstPassEvenAVX2(z []complex128)
//
// z[j…j+3] = a, c, b, d → BUTTERFLY4([a | b], [c | d]).
TEXT ·firstPassEvenAVX2(SB), NOSPLIT, $0-24
	MOVQ z_base+0(FP), DI
	MOVQ z_len+8(FP), CX
	SHLQ $4, CX
	ADDQ DI, CX
	VMOVUPD signLast<>(SB), Y15

firstPassEvenLoop:
	VMOVUPD    (DI), Y0                  // [a | c]
	VMOVUPD    32(DI), Y1                // [b | d]
	VPERM2F128 $0x20, Y1, Y0, Y2         // [a | b]
	VPERM2F128 $0x31, Y1, Y0, Y3         // [c | d]
	BUTTERFLY4(Y2, Y3, Y4, Y5, Y6, Y7)
	VMOVUPD    Y4, (DI)
	VMOVUPD    Y5, 32(DI)
	ADDQ       $64, DI
	CMPQ       DI, CX
	JB         firstPassEvenLoop
	VZEROUPPER
	RET

// func firstPassOddAVX2(z []complex128)
//
// z[j], z[j+1] = a+b, a−b for even j, in 128-bit registers (one complex
// each), which needs no shuffles.
TEXT ·firstPassOddAVX2(SB), NOSPLIT, $0-24
	MOVQ z_base+0(FP), DI
	MOVQ z_len+8(FP), CX
	SHLQ $4, CX
	ADDQ DI, CX

firstPassOddLoop:
	VMOVUPD (DI), X0
	VMOVUPD 16(DI), X1
	VADDPD  X1, X0, X2
	VSUBPD  X1, X0, X3
	VMOVUPD X2, (DI)
	VMOVUPD X3, 16(DI)
	ADDQ    $32, DI
	CMPQ    DI, CX
	JB      firstPassOddLoop
	RET

// func unpackInverseAVX2(acc []float64, z []complex128, win []float64)
//
// acc[2j] += re·win[2j], acc[2j+1] += −(im·win[2j+1]) (= acc − im·win),
// two complex values per iteration.
TEXT ·unpackInverseAVX2(SB), NOSPLIT, $0-72
	MOVQ acc_base+0(FP), DI
	MOVQ z_base+24(FP), SI
	MOVQ z_len+32(FP), CX
	MOVQ win_base+48(FP), DX
	SHLQ $4, CX
	XORQ AX, AX
	VMOVUPD signOdd<>(SB), Y15

unpackInverseLoop:
	VMOVUPD (SI)(AX*1), Y0
	VMULPD  (DX)(AX*1), Y0, Y0
	VXORPD  Y15, Y0, Y0
	VADDPD  (DI)(AX*1), Y0, Y0
	VMOVUPD Y0, (DI)(AX*1)
	ADDQ    $32, AX
	CMPQ    AX, CX
	JB      unpackInverseLoop
	VZEROUPPER
	RET
