; TF: a #DB trap after each instruction, with DR6.BS; the trap after POPF that sets TF
; comes one instruction later.
%include "harness.inc"
test_main:
    mov dword [exc_hook], step
    pushfd
    or dword [esp], 0x100
    popfd
    mov eax, 1
    add eax, 2
    pushfd
    and dword [esp], ~0x100
    popfd
    mov dword [exc_hook], 0
    REPORT "steps", [exc_count]
    REPORT "eax", eax
    mov eax, dr6
    and eax, 0x400f
    REPORT "dr6", eax
    ret
step:
    mov eax, 1
    ret
