; INT n from ring 3 through a DPL 0 gate is #GP(vector*8+2); INT3 through DPL 3 works.
%include "harness.inc"
test_main:
    GATE IDT_SLOT(3), stub_3, CODE0, 0xee00
    CATCH .a
    TO_RING3 .u1, 0
.u1:
    int 0x21
.a: CATCH .b
    TO_RING3 .u2, 0
.u2:
    int3
.b: CATCH .c
    TO_RING3 .u3, 0
.u3:
    int 3                       ; CD 03 checks the gate DPL too
.c: CATCH .d
    TO_RING3 .u4, 0
.u4:
    mov eax, 0x7fffffff
    add eax, 1
    into                        ; gate 4 has DPL 0
.d: REPORT "exceptions", [exc_count]
    ret
