; A conforming code segment runs at the caller's CPL; a far call from ring 3 to it works,
; a far call to non-conforming ring 0 code faults.
%include "harness.inc"
test_main:
    GDT_DESC 9, 0, 0xfffff, 0xc09e        ; conforming, DPL 0
    CATCH .a
    TO_RING3 .u1, 0
.u1:
    call 9 * 8:conf
    mov ebx, eax
    int USER_EXIT_VECTOR
.a: REPORT "cs-inside", ebx
    CATCH .b
    TO_RING3 .u2, 0
.u2:
    call CODE0:conf
.b: CATCH .c
    TO_RING3 .u3, 0
.u3:
    jmp 9 * 8:conf_jmp
.c: REPORT "exceptions", [exc_count]
    ret
conf:
    mov eax, cs
    retf
conf_jmp:
    mov eax, cs
    int USER_EXIT_VECTOR
