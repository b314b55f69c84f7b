; CALL from ring 3 through a 32-bit call gate with two parameters to ring 0:
; the TSS stack gets SS, ESP, the copied parameters, CS and EIP; RETF 8 goes
; back to ring 3, releasing the parameters on both stacks and nulling ES,
; which the ring 0 code loaded with a DPL 0 segment.
%include "harness.inc"
test_main:
    GATE GDT_SLOT(9), inner, CODE0, 0xec02
    CATCH .back
    TO_RING3 .user, 0
.user:
    push dword DATA3
    pop ds
    push dword DATA3
    pop es
    push dword 0x11111111
    push dword 0x22222222
    call 9 * 8 + 3:0
    mov ebx, esp
    mov ecx, cs
    mov edx, es
    mov esi, ds
    int USER_EXIT_VECTOR
.back:
    REPORT "esp-after", ebx
    REPORT "cs-after", ecx
    REPORT "es-after", edx
    REPORT "ds-after", esi
    REPORT "gdt9-access", [GDT_SLOT(1) + 4]
    ret
inner:
    mov ebp, esp
    REPORT "inner-cs", cs
    REPORT "inner-ss", ss
    REPORT "inner-esp", ebp
    REPORT "ret-eip", [ebp]
    REPORT "ret-cs", [ebp + 4]
    REPORT "param-low", [ebp + 8]
    REPORT "param-high", [ebp + 12]
    REPORT "old-esp", [ebp + 16]
    REPORT "old-ss", [ebp + 20]
    push dword DATA0
    pop es
    retf 8
