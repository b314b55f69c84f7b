; x87 faults: #NM under CR0.EM and CR0.TS (and WAIT only with MP and TS), and
; an unmasked zero divide reported as #MF (CR0.NE=1) by the next waiting instruction.
%include "harness.inc"
test_main:
    mov eax, cr0
    and eax, ~0x0e              ; MP EM TS clear
    or eax, 0x20                ; NE: native x87 error reporting
    mov cr0, eax
    fninit
    ; TS: every escape faults, FWAIT only with MP as well.
    mov eax, cr0
    or eax, 0x08
    mov cr0, eax
    CATCH .a
    fld1
.a: CATCH .b
    fwait                       ; MP clear: no fault
    REPORT "wait-ts", [exc_count]
    mov eax, cr0
    or eax, 0x02
    mov cr0, eax
    fwait                       ; MP and TS: #NM
.b: clts
    ; EM: escapes fault, FWAIT does not.
    mov eax, cr0
    or eax, 0x04
    mov cr0, eax
    CATCH .c
    fwait
    REPORT "wait-em", [exc_count]
    fninit
.c: mov eax, cr0
    and eax, ~0x04
    mov cr0, eax
    REPORT "after-nm", [exc_count]
    ; Unmasked zero divide: ES set, the FDIV itself completes, #MF at the next FWAIT.
    fninit
    fldcw [.cw_zm]
    fld1
    fldz
    fdivp st1, st0
    ; QEMU's TCG completes an unmasked zero divide (stores infinity and pops);
    ; the SDM (vol. 1, 8.5.3) leaves the operands unchanged for the handler.
    fnstsw ax
    SDM_EXPECT "sw", eax, 0xb084  ; B, TOP=6, ES, ZE
    CATCH .d
    fwait
.d: fnstsw ax
    SDM_EXPECT "sw-after-mf", eax, 0xb084
    fnclex
    fwait                       ; nothing pending any more
    fstp dword [.out]
    fstp dword [.out]
    SDM_EXPECT "kept", [.out], 0x3f800000 ; the dividend, untouched
    REPORT "exceptions", [exc_count]
    ret
.cw_zm: dw 0x037b
.out: dd 0
