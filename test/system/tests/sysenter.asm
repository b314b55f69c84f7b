; SYSENTER from ring 3 to the MSR-given ring 0 entry, SYSEXIT back; SYSENTER with
; SYSENTER_CS = 0 faults with #GP(0).
%include "harness.inc"
test_main:
    xor edx, edx
    mov ecx, 0x174
    mov eax, CODE0
    wrmsr
    mov ecx, 0x175
    mov eax, STACK0_TOP - 0x100
    wrmsr
    mov ecx, 0x176
    mov eax, entry
    wrmsr
    CATCH .back
    TO_RING3 .user, 0
.user:
    mov ecx, 0x60000
    mov edx, .returned
    sysenter
.returned:
    mov esi, cs
    mov edi, ss
    mov ebp, esp
    int USER_EXIT_VECTOR
.back:
    REPORT "cs-after-sysexit", esi
    REPORT "ss-after-sysexit", edi
    REPORT "esp-after-sysexit", ebp
    REPORT "cs-inside", [seen_cs]
    REPORT "ss-inside", [seen_ss]
    REPORT "esp-inside", [seen_esp]
    REPORT "flags-inside", [seen_flags]
    xor edx, edx
    xor eax, eax
    mov ecx, 0x174
    wrmsr
    CATCH .c
    TO_RING3 .u2, 0
.u2:
    sysenter
.c: REPORT "exceptions", [exc_count]
    ret
entry:
    mov [ss:seen_cs], cs
    mov [ss:seen_ss], ss
    mov [ss:seen_esp], esp
    pushfd
    pop dword [ss:seen_flags]
    sysexit
seen_cs: dd 0
seen_ss: dd 0
seen_esp: dd 0
seen_flags: dd 0
