; IRET to ring 3, then INT back through a DPL 3 gate: the stack switches to TSS.ESP0.
%include "harness.inc"
test_main:
    CATCH .back
    TO_RING3 .user, 0
.user:
    mov eax, cs
    mov ebx, ss
    mov ecx, esp
    int USER_EXIT_VECTOR
.back:
    REPORT "user-cs", eax
    REPORT "user-ss", ebx
    REPORT "user-esp", ecx
    REPORT "ds-after", ds
    ret
