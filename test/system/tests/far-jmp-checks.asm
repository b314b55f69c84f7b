; Far JMP and CALL checks: null selector, data segment, a more or less privileged
; non-conforming target, a segment not present, an offset beyond the limit.
%include "harness.inc"
test_main:
    GDT_DESC 9, 0, 0xfffff, 0xc0fb      ; DPL 3 code
    GDT_DESC 10, 0, 0xfffff, 0xc01b     ; not present
    GDT_DESC 11, 0, 0x0ffff, 0x409b     ; 64 KiB limit
    CATCH .a
    jmp 0:0
.a: CATCH .b
    jmp DATA0:0
.b: CATCH .c
    jmp 9 * 8:.c
.c: CATCH .d
    call 10 * 8:0
.d: CATCH .e
    jmp 11 * 8:0x10000
.e: CATCH .f
    jmp CODE0 | 3:.f                    ; RPL 3 above CPL 0 is allowed for JMP: it lands at CPL 0
.f: mov eax, cs
    REPORT "cs", eax
    CATCH .g
    TO_RING3 .u, 0
.u: jmp CODE0 | 3:.g                    ; from ring 3 to ring 0 code
.g: REPORT "exceptions", [exc_count]
    ret
