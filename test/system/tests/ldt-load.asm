; LLDT, then a data segment from the LDT; an LDT selector past its limit faults.
%include "harness.inc"
test_main:
    mov dword [ldt + 8], 0x0000ffff
    mov dword [ldt + 12], 0x00cf9200
    GDT_DESC 9, ldt, 15, 0x0082
    mov ax, 9 * 8
    lldt ax
    mov ax, 0x0c
    mov es, ax
    REPORT "via-ldt", [es:ldt + 8]
    sldt eax
    REPORT "ldtr", eax
    CATCH .a
    mov ax, 0x14
    mov fs, ax
.a: CATCH .b
    mov ax, DATA0
    lldt ax                     ; not an LDT descriptor
.b: mov ax, DATA0
    mov es, ax
    REPORT "exceptions", [exc_count]
    ret
align 8
ldt: times 4 dq 0
