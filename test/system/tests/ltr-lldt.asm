; LTR and LLDT checks: a busy TSS, a non-TSS descriptor, an LDT selector, a TSS
; not present; the busy bit after LTR; LLDT with a null selector is allowed.
; (LTR with a null selector is left out: QEMU accepts it, the SDM says #GP(0).)
%include "harness.inc"
test_main:
    GDT_DESC 9, tss, 0x67, 0x0089       ; available TSS
    GDT_DESC 10, tss, 0x67, 0x0009      ; not present
    REPORT "tss-access-before", [GDT_SLOT(9) + 4]
    CATCH .a
    mov ax, TSS_SEL
    ltr ax                              ; busy
.a: CATCH .c
    mov ax, DATA0
    ltr ax
.c: CATCH .d
    mov ax, 9 * 8 | 4
    ltr ax
.d: CATCH .e
    mov ax, 10 * 8
    ltr ax
.e: mov ax, 9 * 8
    ltr ax
    str eax
    REPORT "tr", eax
    REPORT "tss-access-after", [GDT_SLOT(9) + 4]
    xor eax, eax
    lldt ax
    sldt eax
    REPORT "ldtr", eax
    REPORT "exceptions", [exc_count]
    ret
