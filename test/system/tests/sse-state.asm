; SSE state: #UD without CR4.OSFXSR and with CR0.EM, #NM with CR0.TS (FXSAVE: TS or EM),
; #GP(0) for misalignment and reserved MXCSR bits, and the FXSAVE image's x87, MXCSR and XMM fields.
%include "harness.inc"
test_main:
    CATCH .a                        ; CR4.OSFXSR clear: #UD
    movups xmm0, xmm1
.a: CATCH .b
    ldmxcsr [data.mx_value]
.b: CATCH .c                        ; FXSAVE needs no OSFXSR
    fxsave [data.image]
.c: mov eax, cr4
    or eax, (1 << 9) | (1 << 10)    ; OSFXSR, OSXMMEXCPT
    mov cr4, eax
    ldmxcsr [data.mx_value]
    stmxcsr [data.out]
    REPORT "mxcsr", [data.out]
    ; QEMU (TCG) loads reserved MXCSR bits without #GP; the SDM says #GP(0).
    mov dword [exc_quiet], 1
    mov dword [last_vector], 0xff
    CATCH .d
    ldmxcsr [data.mx_bad]           ; bit 16 is reserved: #GP(0), MXCSR unchanged
.d: mov dword [exc_quiet], 0
    SDM_EXPECT "ldmxcsr-reserved-gp", [last_vector], 13
    stmxcsr [data.out]
    SDM_EXPECT "mxcsr-after-bad", [data.out], 0x3f81
    ldmxcsr [data.mx_value]         ; the same state on both from here
    CATCH .e
    movaps xmm2, [data.pattern + 4] ; misaligned: #GP(0)
.e: movups xmm2, [data.pattern + 4] ; misaligned is fine here
    CATCH .f
    paddb xmm2, [data.pattern + 8]  ; a 128-bit memory operand of an arithmetic form must be aligned
.f: CATCH .g
    fxsave [data.image + 8]         ; misaligned: #GP(0)
.g: mov eax, cr0
    or eax, 1 << 3                  ; TS
    mov cr0, eax
    CATCH .h
    movups xmm0, xmm1
.h: CATCH .i
    fxsave [data.image]
.i: clts
    mov eax, cr0
    or eax, 1 << 2                  ; EM: SSE is #UD, FXSAVE #NM
    mov cr0, eax
    CATCH .j
    movups xmm0, xmm1
.j: CATCH .k
    fxsave [data.image]
.k: CATCH .l
    stmxcsr [data.out]
.l: mov eax, cr0
    and eax, ~(1 << 2)
    mov cr0, eax
    fninit
    fld1
    movups xmm3, [data.pattern]
    pcmpeqb xmm4, xmm4
    fxsave [data.image]
    REPORT "fcw-fsw", [data.image]
    movzx eax, byte [data.image + 4] ; (QEMU does not keep FOP, in the upper half)
    REPORT "ftw", eax
    REPORT "mxcsr-image", [data.image + 24]
    REPORT "mxcsr-mask", [data.image + 28]
    REPORT "st0-low", [data.image + 32]
    REPORT "st0-high", [data.image + 36]
    REPORT "st0-exp", [data.image + 40]
    REPORT "xmm2-0", [data.image + 160 + 32]
    REPORT "xmm2-3", [data.image + 160 + 44]
    REPORT "xmm3-1", [data.image + 160 + 52]
    REPORT "xmm4-2", [data.image + 160 + 72]
    ; FXRSTOR of an image with a reserved MXCSR bit: #GP(0), nothing loaded.
    mov dword [data.image + 24], 0x10000
    mov dword [data.image + 160 + 48], 0
    ; QEMU (TCG) does not check the image's MXCSR either.
    mov dword [exc_quiet], 1
    mov dword [last_vector], 0xff
    CATCH .m
    fxrstor [data.image]
.m: mov dword [exc_quiet], 0
    SDM_EXPECT "fxrstor-reserved-gp", [last_vector], 13
    movd eax, xmm3
    SDM_EXPECT "xmm3-0-kept", eax, 0x03020100
    mov dword [data.image + 24], 0x1f80
    fxrstor [data.image]
    movd eax, xmm3
    REPORT "xmm3-0-restored", eax
    ret

align 16
data:
.pattern: dd 0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c, 0x13121110, 0x17161514
.mx_value: dd 0x3f81                ; IE flag set, all masked, round down
.mx_bad: dd 0x11f80
.out: dd 0
align 16
.image: times 512 db 0
