; LAR, LSL, VERR and VERW on valid, invalid and privileged selectors (ZF and results).
%include "harness.inc"
%macro PROBE 1
    mov ebx, 0
    lar eax, %1
    setz bl
    REPORT "lar", eax
    REPORT "lar-zf", ebx
    mov ebx, 0
    mov eax, 0
    lsl eax, %1
    setz bl
    REPORT "lsl", eax
    REPORT "lsl-zf", ebx
    mov ebx, 0
    verr %1
    setz bl
    verw %1
    setz bh
    REPORT "verr-verw", ebx
%endmacro
test_main:
    GDT_DESC 9, 0x1234, 0x5678, 0x00f2
    mov cx, CODE0
    PROBE cx
    mov cx, DATA3
    PROBE cx
    mov cx, TSS_SEL
    PROBE cx
    mov cx, 9 * 8
    PROBE cx
    mov cx, 0x1f8
    PROBE cx
    ret
