; IRET to ring 3 nulls DS/ES/FS/GS with DPL below 3, and keeps conforming code selectors.
%include "harness.inc"
test_main:
    GDT_DESC 9, 0, 0xfffff, 0xc09e        ; conforming code, readable
    CATCH .back
    mov ax, 9 * 8
    mov gs, ax
    mov ax, DATA3
    mov es, ax
    mov ax, DATA0
    mov fs, ax
    TO_RING3 .user, 0
.user:
    mov eax, ds
    mov ebx, es
    mov ecx, fs
    mov edx, gs
    int USER_EXIT_VECTOR
.back:
    REPORT "ds", eax
    REPORT "es", ebx
    REPORT "fs", ecx
    REPORT "gs", edx
    ret
