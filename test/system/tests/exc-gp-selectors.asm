; Segment loads with bad selectors: error codes carry the selector (TI, index).
%include "harness.inc"
test_main:
    CATCH .a
    mov ax, 0x1f8               ; index 63: beyond the GDT limit
    mov ds, ax
.a: CATCH .b
    GDT_DESC 9, 0, 0xfffff, 0xc098
    mov ax, 9 * 8
    mov ds, ax
.b: CATCH .c
    mov ax, DATA0
    mov ss, ax
    mov ax, CODE0
    mov ss, ax                  ; SS must be writable data
.c: CATCH .d
    xor eax, eax
    mov ss, ax                  ; null SS at CPL 0
.d: mov ax, DATA0
    mov ds, ax
    REPORT "exceptions", [exc_count]
    ret
