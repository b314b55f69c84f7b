; #NM: an x87 instruction with CR0.EM set, WAIT with CR0.TS and CR0.MP set; CLTS clears TS.
%include "harness.inc"
test_main:
    mov eax, cr0
    or eax, 1 << 2                  ; EM
    mov cr0, eax
    CATCH .a
    fld1
.a: mov eax, cr0
    and eax, ~(1 << 2)
    or eax, (1 << 3) | (1 << 1)     ; TS, MP
    mov cr0, eax
    CATCH .b
    wait
.b: mov eax, cr0
    and eax, 1 << 3
    REPORT "ts-before-clts", eax
    clts
    mov eax, cr0
    and eax, 1 << 3
    REPORT "ts-after-clts", eax
    wait                            ; no #NM now
    REPORT "exceptions", [exc_count]
    ret
