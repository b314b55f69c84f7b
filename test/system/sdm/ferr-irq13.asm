; FERR# and IRQ 13 with CR0.NE clear (the PC/AT way of reporting x87 errors):
; an unmasked exception asserts FERR#, the board turns it into IRQ 13 on the
; slave PIC, and the handler acknowledges it with a write to port 0xF0.
; glassbox only: QEMU 7.2's TCG aborts on this path (an assertion in
; tcg_handle_interrupt), so every line is checked against the SDM instead.
%include "harness.inc"
test_main:
    mov al, 0x11                ; ICW1 on both PICs: edge, cascade, ICW4
    out 0x20, al
    out 0xa0, al
    mov al, 0x20                ; vectors 0x20-0x27 and 0x28-0x2f
    out 0x21, al
    mov al, 0x28
    out 0xa1, al
    mov al, 4                   ; slave on IRQ 2
    out 0x21, al
    mov al, 2
    out 0xa1, al
    mov al, 1
    out 0x21, al
    out 0xa1, al
    mov al, 0xfb                ; only the cascade on the master
    out 0x21, al
    mov al, 0xdf                ; only IRQ 13 on the slave
    out 0xa1, al
    GATE IDT_SLOT(0x2d), irq13, CODE0, 0x8e00
    mov eax, cr0
    and eax, ~0x2e              ; NE, TS, EM and MP clear
    mov cr0, eax
    fninit
    fldcw [cw_zm]
    sti
    fld1
    fldz
    fdivp st1, st0              ; unmasked zero divide: ES set, FERR# asserted
    fwait
    nop
    nop
    cli
    SDM_EXPECT "irq13-once", [irq13_count], 1
    SDM_EXPECT "sw-in-handler", [sw_seen], 0xb084 ; B, TOP=6, ES, ZE
    fnstsw ax
    and eax, 0xffff
    SDM_EXPECT "sw-after-fnclex", eax, 0x3000      ; TOP=6 only
    ; The masked case raises nothing: with ZM set the divide gives infinity.
    fninit
    sti
    fld1
    fldz
    fdivp st1, st0
    fwait
    nop
    cli
    SDM_EXPECT "masked-no-irq", [irq13_count], 1
    ret

irq13:
    push eax
    inc dword [irq13_count]
    fnstsw ax
    and eax, 0xffff
    mov [sw_seen], eax
    fnclex
    xor al, al
    out 0xf0, al                ; drop FERR#'s latch, as the PC's math error handler does
    mov al, 0x20
    out 0xa0, al                ; EOI to the slave, then the master
    out 0x20, al
    pop eax
    iret

cw_zm: dw 0x037b                ; all masked but ZE, 64-bit precision, nearest
irq13_count: dd 0
sw_seen: dd 0
