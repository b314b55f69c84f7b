; RETF to ring 3 from ring 0: SS:ESP are popped, and data segment registers
; whose DPL is below the new CPL become null.
%include "harness.inc"
test_main:
    CATCH .back
    mov ax, DATA0
    mov ds, ax
    mov es, ax
    mov ax, DATA3
    mov fs, ax
    push dword DATA3
    push dword STACK3_TOP - 16
    push dword CODE3
    push dword .user
    retf
.user:
    mov eax, ds
    mov ebx, es
    mov ecx, fs
    mov edx, esp
    int USER_EXIT_VECTOR
.back:
    REPORT "ds", eax
    REPORT "es", ebx
    REPORT "fs", ecx
    REPORT "esp", edx
    ret
