; ARPL adjusts RPL and sets ZF; SGDT/SIDT/STR/SLDT/SMSW read back the tables.
%include "harness.inc"
test_main:
    mov ax, 0x10
    mov bx, 0x1b
    xor ecx, ecx
    arpl ax, bx
    setz cl
    REPORT "arpl", eax
    REPORT "arpl-zf", ecx
    arpl ax, bx
    setz cl
    REPORT "arpl-again-zf", ecx
    sgdt [buf]
    movzx eax, word [buf]
    REPORT "gdt-limit", eax
    sidt [buf]
    movzx eax, word [buf]
    REPORT "idt-limit", eax
    str eax
    REPORT "tr", eax
    sldt eax
    REPORT "ldtr", eax
    smsw eax
    and eax, 0xffff
    REPORT "msw", eax
    ret
buf: times 8 db 0
