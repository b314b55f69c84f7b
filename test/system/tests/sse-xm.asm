; SSE floating-point exceptions: an unmasked one is #XM with CR4.OSXMMEXCPT and #UD without it,
; the destination keeps its value and MXCSR gets the flags; a masked one gives the default result.
; QEMU 7.2 (TCG) raises no SSE exception and does not set ZE, so those lines are checked against
; the SDM (vol. 2 DIVSS and vol. 1 11.5); the host CPU agrees (npm run cpu:diff -- --host64 --sse).
%include "harness.inc"
test_main:
    mov eax, cr4
    or eax, 1 << 9                  ; OSFXSR only
    mov cr4, eax
    movss xmm0, [data.one]
    movss xmm1, [data.zero]
    mov dword [exc_quiet], 1
    ldmxcsr [data.zm_clear]         ; divide-by-zero unmasked
    mov dword [last_vector], 0xff
    CATCH .a
    divss xmm0, xmm1                ; #UD: no OSXMMEXCPT
.a: SDM_EXPECT "zero-divide-ud", [last_vector], 6
    stmxcsr [data.out]
    SDM_EXPECT "mxcsr-ud", [data.out], 0x1d84
    movd eax, xmm0
    SDM_EXPECT "xmm0-kept", eax, 0x3f800000
    mov eax, cr4
    or eax, 1 << 10                 ; OSXMMEXCPT
    mov cr4, eax
    ldmxcsr [data.zm_clear]
    mov dword [last_vector], 0xff
    CATCH .b
    divss xmm0, xmm1                ; #XM
.b: SDM_EXPECT "zero-divide-xm", [last_vector], 19
    movd eax, xmm0
    SDM_EXPECT "xmm0-kept2", eax, 0x3f800000
    ldmxcsr [data.om_clear]         ; overflow unmasked
    movsd xmm2, [data.big]
    mov dword [last_vector], 0xff
    CATCH .c
    mulsd xmm2, xmm2                ; #XM: overflow (and precision)
.c: SDM_EXPECT "overflow-xm", [last_vector], 19
    stmxcsr [data.out]
    REPORT "mxcsr-oe", [data.out]
    ldmxcsr [data.im_clear]         ; invalid unmasked: 0/0
    movss xmm3, [data.zero]
    mov dword [last_vector], 0xff
    CATCH .d
    divss xmm3, xmm1
.d: SDM_EXPECT "invalid-xm", [last_vector], 19
    stmxcsr [data.out]
    REPORT "mxcsr-ie", [data.out]
    mov dword [exc_quiet], 0
    ldmxcsr [data.masked]           ; everything masked: the default results
    divss xmm0, xmm1
    movd eax, xmm0
    REPORT "one-by-zero", eax
    divss xmm3, xmm1
    movd eax, xmm3
    REPORT "zero-by-zero", eax
    mulsd xmm2, xmm2
    movq [data.wide], xmm2
    REPORT "overflow-high", [data.wide + 4]
    ret

align 16
data:
.one: dd 0x3f800000
.zero: dd 0
.big: dq 0x7fe0000000000000
.wide: dq 0
.zm_clear: dd 0x1d80
.om_clear: dd 0x1b80
.im_clear: dd 0x1f00
.masked: dd 0x1f80
.out: dd 0
