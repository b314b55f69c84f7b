; Call gates at the same privilege: ring 0 through a 32-bit gate (no stack
; switch, parameters not copied), JMP through a gate, and ring 3 through a gate
; to conforming ring 0 code, which runs at CPL 3.
%include "harness.inc"
test_main:
    GATE GDT_SLOT(9), same, CODE0, 0x8c05
    GDT_DESC 10, 0, 0xfffff, 0xc09e               ; conforming ring 0 code
    GATE GDT_SLOT(11), conf, 10 * 8, 0xec00
    GATE GDT_SLOT(12), jumped, CODE0, 0x8c00
    mov ebx, esp
    call 9 * 8:0x12345678                          ; the offset is ignored
    sub ebx, esp
    REPORT "esp-moved", ebx
    jmp 12 * 8:0
.back_from_jmp:
    CATCH .back
    TO_RING3 .user, 0
.user:
    call 11 * 8 + 3:0
    int USER_EXIT_VECTOR
.back:
    ; QEMU sets CPL to the conforming segment's DPL (0) here; the SDM keeps CPL 3 (CS.RPL = CPL).
    SDM_EXPECT "cs-in-conforming", edi, 10 * 8 + 3
    REPORT "ret-cs-on-stack", esi
    ret
same:
    mov ebp, esp
    REPORT "same-cs", cs
    REPORT "same-ret-cs", [ebp + 4]
    retf
jumped:
    REPORT "jumped-cs", cs
    jmp test_main.back_from_jmp
conf:
    mov edi, cs
    mov esi, [ss:esp + 4]
    retf
