; A not-present data segment gives #NP, a not-present stack segment #SS, both with the selector.
%include "harness.inc"
test_main:
    GDT_DESC 9, 0, 0xfffff, 0xc012        ; data, P=0
    CATCH .a
    mov ax, 9 * 8
    mov ds, ax
.a: CATCH .b
    mov ax, 9 * 8 | 0
    mov ss, ax
.b: mov ax, DATA0
    mov ds, ax
    REPORT "exceptions", [exc_count]
    ret
