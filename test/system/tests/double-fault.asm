; A #GP whose gate is not present raises #NP on the way; two contributory faults make #DF(0).
%include "harness.inc"
test_main:
    and byte [IDT_SLOT(13) + 5], 0x7f       ; gate 13 not present
    and byte [IDT_SLOT(11) + 5], 0x7f       ; gate 11 too
    CATCH .a
    mov ax, 0x1f8
    mov ds, ax
.a: or byte [IDT_SLOT(13) + 5], 0x80
    or byte [IDT_SLOT(11) + 5], 0x80
    CATCH .b
    and byte [IDT_SLOT(0) + 5], 0x7f        ; #DE with no gate: #NP(0x02), not #DF
    xor ecx, ecx
    div ecx
.b: or byte [IDT_SLOT(0) + 5], 0x80
    REPORT "exceptions", [exc_count]
    ret
