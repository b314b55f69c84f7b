; IDT checks: a vector beyond the IDT limit, a gate not present, a gate that is
; not an interrupt/trap/task gate, a gate whose code selector is a data segment.
%include "harness.inc"
test_main:
    mov word [idt_ptr], 0x50 * 8 - 1
    lidt [idt_ptr]
    CATCH .a
    int 0x50
.a: mov word [idt_ptr], 256 * 8 - 1
    lidt [idt_ptr]
    and byte [IDT_SLOT(0x51) + 5], 0x7f
    CATCH .b
    int 0x51
.b: GATE IDT_SLOT(0x52), stub_82, CODE0, 0x8c00    ; a call gate in the IDT
    CATCH .c
    int 0x52
.c: GATE IDT_SLOT(0x53), stub_83, DATA0, 0x8e00
    CATCH .d
    int 0x53
.d: REPORT "exceptions", [exc_count]
    ret
