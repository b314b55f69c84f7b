; INT3 and INTO are traps: the saved EIP follows the instruction.
%include "harness.inc"
test_main:
    mov dword [exc_hook], resume_trap
    int3
    REPORT "after-int3", 1
    mov al, 0x7f
    add al, 1
    into
    REPORT "after-into", 2
    xor eax, eax
    into
    REPORT "no-overflow", [exc_count]
    mov dword [exc_hook], 0
    ret
resume_trap:
    mov eax, 1
    ret
