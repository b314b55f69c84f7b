; Call gate checks: gate DPL below CPL, gate not present, null or non-code target,
; target less privileged, JMP to a more privileged level, a bad TSS stack.
%include "harness.inc"
%macro FROM_RING3 1
    CATCH %%back
    TO_RING3 %%user, 0
%%user:
    %1
%%back:
%endmacro
test_main:
    GATE GDT_SLOT(9), target, CODE0, 0x8c00      ; DPL 0 gate
    GATE GDT_SLOT(10), target, CODE0, 0x6c00     ; DPL 3, not present
    GATE GDT_SLOT(11), target, 0, 0xec00         ; null code selector
    GATE GDT_SLOT(12), target, DATA0, 0xec00     ; data segment as target
    GATE GDT_SLOT(13), target, CODE0, 0xec00     ; good, to ring 0
    GATE GDT_SLOT(14), target, 0x1f8, 0xec00     ; code selector beyond the GDT
    FROM_RING3 {call 9 * 8 + 3:0}
    FROM_RING3 {call 10 * 8 + 3:0}
    FROM_RING3 {call 11 * 8 + 3:0}
    FROM_RING3 {call 12 * 8 + 3:0}
    FROM_RING3 {jmp 13 * 8 + 3:0}
    FROM_RING3 {call 14 * 8 + 3:0}
    ; A bad ring 1 stack in the TSS: #TS with the SS selector (ring 0's stays good for the handler).
    GATE GDT_SLOT(17), target, CODE1 & ~3, 0xec00
    mov dword [tss + 16], CODE0                  ; SS1 not a data segment
    FROM_RING3 {call 17 * 8 + 3:0}
    mov dword [tss + 16], DATA0                  ; SS1 with DPL 0
    FROM_RING3 {call 17 * 8 + 3:0}
    mov dword [tss + 16], 0                      ; SS1 null
    FROM_RING3 {call 17 * 8 + 3:0}
    mov dword [tss + 16], DATA1
    GDT_DESC 15, 0, 0xfffff, 0xc0fa              ; DPL 3 code: a gate at CPL 0 cannot go outward
    GATE GDT_SLOT(16), target, 15 * 8 + 3, 0x8c00
    CATCH .out
    call 16 * 8:0
.out:
    REPORT "exceptions", [exc_count]
    ret
target:
    SAY "target reached"
    jmp exit
