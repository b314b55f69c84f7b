; An interrupt gate clears IF, a trap gate keeps it; both clear TF and NT; a
; 16-bit interrupt gate pushes a frame of words (IP, CS, FLAGS: 6 bytes).
%include "harness.inc"
test_main:
    GATE IDT_SLOT(0x60), handler, CODE0, 0x8e00
    GATE IDT_SLOT(0x61), handler, CODE0, 0x8f00
    GDT_DESC 9, BASE, 0xfffff, 0xc09b
    GATE IDT_SLOT(0x62), handler16 - BASE, 9 * 8, 0x8600
    pushfd
    or dword [esp], 0x4200          ; IF, NT
    popfd
    int 0x60
    REPORT "flags-in-interrupt-gate", [seen]
    pushfd
    or dword [esp], 0x4200
    popfd
    int 0x61
    REPORT "flags-in-trap-gate", [seen]
    mov ebx, esp
    int 0x62
.after16:
    mov ecx, ebx
    sub ecx, esp
    mov esp, ebx
    REPORT "frame-bytes", ecx
    REPORT "frame-word0", [frame16]
    REPORT "frame-word2", [frame16 + 4]
    cli
    ret
handler:
    pushfd
    pop dword [seen]
    and dword [esp + 8], ~0x4000    ; IRET without NT (no task to return to)
    iretd
handler16:
    mov eax, [esp]
    mov [frame16], eax
    mov eax, [esp + 4]
    mov [frame16 + 4], eax
    ; The 16-bit frame cannot hold a return offset above 64 KiB: go back by a far jump.
    jmp dword CODE0:test_main.after16
seen: dd 0
frame16: dd 0, 0
