//go:build amd64 && !purego

#include "textflag.h"

// AVX2 versions of the Go kernels of kernels.go, equal to them bit for
// bit: the same IEEE operations on the same operands, each lane's sums in
// the same order (the vectors run across frames, never along a sum), no
// fused multiply-adds. Go's assembler writes operands source first:
// VSUBPS a, b, c is c = b − a.

// POWER stores in dst the powers of 8 bins of one lane from their complex
// values at m0 (bins 0–3) and m1 (bins 4–7), scaled by Y15:
// (re·s)² + (im·s)², in the order bins 0 1 4 5 2 3 6 7 (VHADDPS adds
// pairs within each 128-bit half).
#define POWER(m0, m1, dst) \
	VMULPS m0, Y15, Y8; \
	VMULPS m1, Y15, Y9; \
	VMULPS Y8, Y8, Y8; \
	VMULPS Y9, Y9, Y9; \
	VHADDPS Y9, Y8, dst

// GROUP computes 8 bins of the 8 lanes at b0 + k·R8 and b1 + k·R8 (k
// 0…3, R9 = 3·R8), transposes them to bin-major and stores the powers at
// off(DI) and their square roots at off(DX), 64 bytes a bin.
#define GROUP(b0, b1, off) \
	VBROADCASTSS scale+40(FP), Y15; \
	POWER((b0), 32(b0), Y0); \
	POWER((b0)(R8*1), 32(b0)(R8*1), Y1); \
	POWER((b0)(R8*2), 32(b0)(R8*2), Y2); \
	POWER((b0)(R9*1), 32(b0)(R9*1), Y3); \
	POWER((b1), 32(b1), Y4); \
	POWER((b1)(R8*1), 32(b1)(R8*1), Y5); \
	POWER((b1)(R8*2), 32(b1)(R8*2), Y6); \
	POWER((b1)(R9*1), 32(b1)(R9*1), Y7); \
	VUNPCKLPS Y1, Y0, Y8; \
	VUNPCKHPS Y1, Y0, Y9; \
	VUNPCKLPS Y3, Y2, Y10; \
	VUNPCKHPS Y3, Y2, Y11; \
	VUNPCKLPS Y5, Y4, Y12; \
	VUNPCKHPS Y5, Y4, Y13; \
	VUNPCKLPS Y7, Y6, Y14; \
	VUNPCKHPS Y7, Y6, Y15; \
	VSHUFPS $0x44, Y10, Y8, Y0; \
	VSHUFPS $0xEE, Y10, Y8, Y1; \
	VSHUFPS $0x44, Y11, Y9, Y2; \
	VSHUFPS $0xEE, Y11, Y9, Y3; \
	VSHUFPS $0x44, Y14, Y12, Y4; \
	VSHUFPS $0xEE, Y14, Y12, Y5; \
	VSHUFPS $0x44, Y15, Y13, Y6; \
	VSHUFPS $0xEE, Y15, Y13, Y7; \
	VPERM2F128 $0x20, Y4, Y0, Y8; \
	VPERM2F128 $0x20, Y5, Y1, Y9; \
	VPERM2F128 $0x20, Y6, Y2, Y10; \
	VPERM2F128 $0x20, Y7, Y3, Y11; \
	VPERM2F128 $0x31, Y4, Y0, Y12; \
	VPERM2F128 $0x31, Y5, Y1, Y13; \
	VPERM2F128 $0x31, Y6, Y2, Y14; \
	VPERM2F128 $0x31, Y7, Y3, Y15; \
	VMOVUPS Y8, off+0(DI); \
	VMOVUPS Y9, off+64(DI); \
	VMOVUPS Y10, off+256(DI); \
	VMOVUPS Y11, off+320(DI); \
	VMOVUPS Y12, off+128(DI); \
	VMOVUPS Y13, off+192(DI); \
	VMOVUPS Y14, off+384(DI); \
	VMOVUPS Y15, off+448(DI); \
	VSQRTPS Y8, Y8; \
	VSQRTPS Y9, Y9; \
	VSQRTPS Y10, Y10; \
	VSQRTPS Y11, Y11; \
	VSQRTPS Y12, Y12; \
	VSQRTPS Y13, Y13; \
	VSQRTPS Y14, Y14; \
	VSQRTPS Y15, Y15; \
	VMOVUPS Y8, off+0(DX); \
	VMOVUPS Y9, off+64(DX); \
	VMOVUPS Y10, off+256(DX); \
	VMOVUPS Y11, off+320(DX); \
	VMOVUPS Y12, off+128(DX); \
	VMOVUPS Y13, off+192(DX); \
	VMOVUPS Y14, off+384(DX); \
	VMOVUPS Y15, off+448(DX)

// func powMagAVX2(pow, mag *float32, spec *complex64, stride, blocks int, scale float32)
TEXT ·powMagAVX2(SB), NOSPLIT, $0-44
	MOVQ pow+0(FP), DI
	MOVQ mag+8(FP), DX
	MOVQ spec+16(FP), SI
	MOVQ stride+24(FP), R8
	SHLQ $3, R8                // a lane's spectrum, bytes
	MOVQ blocks+32(FP), CX
	LEAQ (R8)(R8*2), R9        // 3 lanes
	LEAQ (SI)(R8*4), R10       // lane 4
	LEAQ (R10)(R8*4), R11      // lane 8
	LEAQ (R11)(R8*4), R12      // lane 12
	TESTQ CX, CX
	JZ    powdone

powblock:
	GROUP(SI, R10, 0)
	GROUP(R11, R12, 32)
	ADDQ $64, SI
	ADDQ $64, R10
	ADDQ $64, R11
	ADDQ $64, R12
	ADDQ $512, DI
	ADDQ $512, DX
	DECQ CX
	JNZ  powblock

powdone:
	VZEROUPPER
	RET

// func rowSumAVX2(dst *[lanes]float32, src *float32, rows int)
TEXT ·rowSumAVX2(SB), NOSPLIT, $0-24
	MOVQ   dst+0(FP), DI
	MOVQ   src+8(FP), SI
	MOVQ   rows+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	TESTQ  CX, CX
	JZ     sumstore

sumloop:
	VADDPS (SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	ADDQ   $64, SI
	DECQ   CX
	JNZ    sumloop

sumstore:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VZEROUPPER
	RET

// func bandDotsAVX2(dst, mag *float32, lo, off *int32, w *float32, nb int)
TEXT ·bandDotsAVX2(SB), NOSPLIT, $0-48
	MOVQ  dst+0(FP), DI
	MOVQ  mag+8(FP), DX
	MOVQ  lo+16(FP), R8
	MOVQ  off+24(FP), R9
	MOVQ  w+32(FP), R10
	MOVQ  nb+40(FP), CX
	TESTQ CX, CX
	JZ    dotdone

dotband:
	MOVLQSX (R8), AX
	SHLQ    $6, AX
	LEAQ    (DX)(AX*1), SI     // mag row lo[j]
	MOVLQSX (R9), BX
	MOVLQSX 4(R9), R11
	SUBQ    BX, R11            // the band's bins
	LEAQ    (R10)(BX*4), R12   // its weights
	VXORPS  Y0, Y0, Y0
	VXORPS  Y1, Y1, Y1
	TESTQ   R11, R11
	JZ      dotstore

dotbin:
	VBROADCASTSS (R12), Y2
	VMULPS       (SI), Y2, Y3
	VMULPS       32(SI), Y2, Y4
	VADDPS       Y3, Y0, Y0
	VADDPS       Y4, Y1, Y1
	ADDQ         $4, R12
	ADDQ         $64, SI
	DECQ         R11
	JNZ          dotbin

dotstore:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    $64, DI
	ADDQ    $4, R8
	ADDQ    $4, R9
	DECQ    CX
	JNZ     dotband

dotdone:
	VZEROUPPER
	RET

// Offsets of the broadcast constants of log1pConsts (32 bytes each).
#define K_ONE 0
#define K_HALF 32
#define K_SQRT2 64
#define K_LN2 96
#define K_MAGIC 128
#define K_BIAS 160
#define K_MANT 192
#define K_C3 224
#define K_C5 256
#define K_C7 288
#define K_C9 320
#define K_C11 352
#define K_C13 384
#define K_C15 416
#define K_C4 448
#define K_SMALL 480
#define K_MAX 512
#define K_ZERO 544

// LOG8 stores in the 4 float32 at dstA log1p of the 4 float64 in Y0 and
// in those at dstB log1p of those in Y6, as log1p in log1p.go computes it
// for 0 ≤ x ≤ MaxFloat32, and clears in Y13 the lanes outside that range.
// The two computations are interleaved: each is a long chain of
// dependent operations. R9 holds the constants, Y14 ½, Y15 1.
#define LOG8(dstA, dstB) \
	VCMPPD $0x1D, K_ZERO(R9), Y0, Y5; \
	VCMPPD $0x1D, K_ZERO(R9), Y6, Y11; \
	VANDPD Y5, Y13, Y13; \
	VANDPD Y11, Y13, Y13; \
	VCMPPD $0x12, K_MAX(R9), Y0, Y5; \
	VCMPPD $0x12, K_MAX(R9), Y6, Y11; \
	VANDPD Y5, Y13, Y13; \
	VANDPD Y11, Y13, Y13; \
	VADDPD Y15, Y0, Y4; \
	VADDPD Y15, Y6, Y10; \
	VPSRLQ $52, Y4, Y1; \
	VPSRLQ $52, Y10, Y7; \
	VPOR K_MAGIC(R9), Y1, Y1; \
	VPOR K_MAGIC(R9), Y7, Y7; \
	VSUBPD K_BIAS(R9), Y1, Y1; \
	VSUBPD K_BIAS(R9), Y7, Y7; \
	VANDPD K_MANT(R9), Y4, Y2; \
	VANDPD K_MANT(R9), Y10, Y8; \
	VORPD Y15, Y2, Y2; \
	VORPD Y15, Y8, Y8; \
	VCMPPD $0x1E, K_SQRT2(R9), Y2, Y5; \
	VCMPPD $0x1E, K_SQRT2(R9), Y8, Y11; \
	VMULPD Y14, Y2, Y3; \
	VMULPD Y14, Y8, Y9; \
	VBLENDVPD Y5, Y3, Y2, Y2; \
	VBLENDVPD Y11, Y9, Y8, Y8; \
	VANDPD Y15, Y5, Y5; \
	VANDPD Y15, Y11, Y11; \
	VADDPD Y5, Y1, Y1; \
	VADDPD Y11, Y7, Y7; \
	VSUBPD Y15, Y2, Y5; \
	VSUBPD Y15, Y8, Y11; \
	VADDPD Y15, Y2, Y3; \
	VADDPD Y15, Y8, Y9; \
	VDIVPD Y3, Y5, Y2; \
	VDIVPD Y9, Y11, Y8; \
	VMULPD Y2, Y2, Y3; \
	VMULPD Y8, Y8, Y9; \
	VMULPD K_C15(R9), Y3, Y4; \
	VMULPD K_C15(R9), Y9, Y10; \
	VADDPD K_C13(R9), Y4, Y4; \
	VADDPD K_C13(R9), Y10, Y10; \
	VMULPD Y3, Y4, Y4; \
	VMULPD Y9, Y10, Y10; \
	VADDPD K_C11(R9), Y4, Y4; \
	VADDPD K_C11(R9), Y10, Y10; \
	VMULPD Y3, Y4, Y4; \
	VMULPD Y9, Y10, Y10; \
	VADDPD K_C9(R9), Y4, Y4; \
	VADDPD K_C9(R9), Y10, Y10; \
	VMULPD Y3, Y4, Y4; \
	VMULPD Y9, Y10, Y10; \
	VADDPD K_C7(R9), Y4, Y4; \
	VADDPD K_C7(R9), Y10, Y10; \
	VMULPD Y3, Y4, Y4; \
	VMULPD Y9, Y10, Y10; \
	VADDPD K_C5(R9), Y4, Y4; \
	VADDPD K_C5(R9), Y10, Y10; \
	VMULPD Y3, Y4, Y4; \
	VMULPD Y9, Y10, Y10; \
	VADDPD K_C3(R9), Y4, Y4; \
	VADDPD K_C3(R9), Y10, Y10; \
	VMULPD Y3, Y4, Y4; \
	VMULPD Y9, Y10, Y10; \
	VADDPD Y15, Y4, Y4; \
	VADDPD Y15, Y10, Y10; \
	VADDPD Y2, Y2, Y2; \
	VADDPD Y8, Y8, Y8; \
	VMULPD Y4, Y2, Y4; \
	VMULPD Y10, Y8, Y10; \
	VMULPD K_LN2(R9), Y1, Y1; \
	VMULPD K_LN2(R9), Y7, Y7; \
	VADDPD Y4, Y1, Y4; \
	VADDPD Y10, Y7, Y10; \
	VMULPD K_C4(R9), Y0, Y1; \
	VMULPD K_C4(R9), Y6, Y7; \
	VMOVUPD K_C3(R9), Y2; \
	VMOVUPD K_C3(R9), Y8; \
	VSUBPD Y1, Y2, Y1; \
	VSUBPD Y7, Y8, Y7; \
	VMULPD Y0, Y1, Y1; \
	VMULPD Y6, Y7, Y7; \
	VSUBPD Y1, Y14, Y1; \
	VSUBPD Y7, Y14, Y7; \
	VMULPD Y0, Y1, Y1; \
	VMULPD Y6, Y7, Y7; \
	VSUBPD Y1, Y15, Y1; \
	VSUBPD Y7, Y15, Y7; \
	VMULPD Y0, Y1, Y1; \
	VMULPD Y6, Y7, Y7; \
	VCMPPD $0x11, K_SMALL(R9), Y0, Y5; \
	VCMPPD $0x11, K_SMALL(R9), Y6, Y11; \
	VBLENDVPD Y5, Y1, Y4, Y4; \
	VBLENDVPD Y11, Y7, Y10, Y10; \
	VCVTPD2PSY Y4, X4; \
	VCVTPD2PSY Y10, X10; \
	VMOVUPS X4, dstA; \
	VMOVUPS X10, dstB

// func log1pRowsAVX2(dst *float32, stride int, src *float32, n int, mul float32, k *log1pConsts) bool
TEXT ·log1pRowsAVX2(SB), NOSPLIT, $0-49
	MOVQ     dst+0(FP), DI
	MOVQ     stride+8(FP), R8
	SHLQ     $2, R8
	MOVQ     src+16(FP), SI
	MOVQ     n+24(FP), CX
	MOVQ     k+40(FP), R9
	VMOVUPD  K_HALF(R9), Y14
	VMOVUPD  K_ONE(R9), Y15
	VPCMPEQQ Y13, Y13, Y13 // all ones: every lane in range so far
	TESTQ    CX, CX
	JZ       logdone

logrow:
	VBROADCASTSS mul+32(FP), Y12
	VMULPS       (SI), Y12, Y12
	VCVTPS2PD    X12, Y0
	VEXTRACTF128 $1, Y12, X6
	VCVTPS2PD    X6, Y6
	LOG8(0(DI), 16(DI))
	VBROADCASTSS mul+32(FP), Y12
	VMULPS       32(SI), Y12, Y12
	VCVTPS2PD    X12, Y0
	VEXTRACTF128 $1, Y12, X6
	VCVTPS2PD    X6, Y6
	LOG8(32(DI), 48(DI))
	ADDQ         $64, SI
	ADDQ         R8, DI
	DECQ         CX
	JNZ          logrow

logdone:
	VMOVMSKPD Y13, AX
	CMPQ      AX, $15
	SETEQ     ret+48(FP)
	VZEROUPPER
	RET

// func fluxAVX2(odf *[lanes]float32, logs *float32, stride, lag, nb int, weight *float32)
TEXT ·fluxAVX2(SB), NOSPLIT, $0-48
	MOVQ   logs+8(FP), SI
	MOVQ   stride+16(FP), R8
	SHLQ   $2, R8
	MOVQ   lag+24(FP), R9
	SHLQ   $2, R9
	MOVQ   nb+32(FP), CX
	MOVQ   weight+40(FP), R10
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPS Y15, Y15, Y15
	XORQ   BX, BX
	TESTQ  CX, CX
	JZ     fluxstore

fluxband:
	// The reference: the band, then its neighbours where larger
	// (VMAXPS m, c, m is c > m ? c : m, as the Go code's comparisons,
	// NaN included).
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	TESTQ   BX, BX
	JZ      fluxabove
	MOVQ    SI, AX
	SUBQ    R8, AX
	VMOVUPS (AX), Y6
	VMOVUPS 32(AX), Y7
	VMAXPS  Y4, Y6, Y4
	VMAXPS  Y5, Y7, Y5

fluxabove:
	LEAQ    1(BX), AX
	CMPQ    AX, CX
	JGE     fluxrise
	VMOVUPS (SI)(R8*1), Y6
	VMOVUPS 32(SI)(R8*1), Y7
	VMAXPS  Y4, Y6, Y4
	VMAXPS  Y5, Y7, Y5

fluxrise:
	VMOVUPS      (SI)(R9*1), Y6
	VMOVUPS      32(SI)(R9*1), Y7
	VSUBPS       Y4, Y6, Y6
	VSUBPS       Y5, Y7, Y7
	VCMPPS       $0x1E, Y15, Y6, Y8
	VCMPPS       $0x1E, Y15, Y7, Y9
	VBROADCASTSS (R10)(BX*4), Y10
	VMULPS       Y10, Y6, Y6
	VMULPS       Y10, Y7, Y7
	VANDPS       Y8, Y6, Y6
	VANDPS       Y9, Y7, Y7
	VCVTPS2PD    X6, Y11
	VEXTRACTF128 $1, Y6, X12
	VCVTPS2PD    X12, Y12
	VADDPD       Y11, Y0, Y0
	VADDPD       Y12, Y1, Y1
	VCVTPS2PD    X7, Y11
	VEXTRACTF128 $1, Y7, X12
	VCVTPS2PD    X12, Y12
	VADDPD       Y11, Y2, Y2
	VADDPD       Y12, Y3, Y3
	ADDQ         R8, SI
	INCQ         BX
	CMPQ         BX, CX
	JL           fluxband

fluxstore:
	MOVQ       odf+0(FP), DI
	VCVTPD2PSY Y0, X0
	VCVTPD2PSY Y1, X1
	VCVTPD2PSY Y2, X2
	VCVTPD2PSY Y3, X3
	VMOVUPS    X0, (DI)
	VMOVUPS    X1, 16(DI)
	VMOVUPS    X2, 32(DI)
	VMOVUPS    X3, 48(DI)
	VZEROUPPER
	RET

// func mix2AVX2(dst, l, r *float32, n int, gain float32)
// dst[i] = l[i]·gain + r[i]·gain for i < n, n a multiple of 16.
TEXT ·mix2AVX2(SB), NOSPLIT, $0-36
	MOVQ         dst+0(FP), DI
	MOVQ         l+8(FP), SI
	MOVQ         r+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS gain+32(FP), Y15
	SHRQ         $4, CX
	JZ           mixdone

mixloop:
	VMULPS  (SI), Y15, Y0
	VMULPS  32(SI), Y15, Y1
	VMULPS  (DX), Y15, Y2
	VMULPS  32(DX), Y15, Y3
	VADDPS  Y2, Y0, Y0
	VADDPS  Y3, Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	DECQ    CX
	JNZ     mixloop

mixdone:
	VZEROUPPER
	RET
