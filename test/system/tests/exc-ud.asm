; #UD for UD2, a LOCK prefix on a non-lockable instruction, and LOCK ADD to a register.
%include "harness.inc"
test_main:
    CATCH .a
    ud2
.a: CATCH .b
    db 0xf0
    nop
.b: CATCH .c
    db 0xf0
    add eax, ebx
.c: CATCH .d
    db 0x0f, 0x0b
.d: REPORT "exceptions", [exc_count]
    ret
