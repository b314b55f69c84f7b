; Task switch checks: JMP to a busy TSS, a TSS limit below 0x67, a TSS not
; present, a task gate above the caller's privilege, and IRET with NT whose
; back link names an available TSS.
%include "harness.inc"
test_main:
    GDT_DESC 9, tss_x, 0x67, 0x0089            ; available
    GDT_DESC 10, tss_x, 0x50, 0x0089           ; limit too small
    GDT_DESC 11, tss_x, 0x67, 0x0009           ; not present
    GATE GDT_SLOT(12), 0, 9 * 8, 0x8500        ; task gate, DPL 0
    CATCH .a
    jmp TSS_SEL:0                               ; the running task is busy
.a: CATCH .b
    jmp 10 * 8:0
.b: CATCH .c
    call 11 * 8:0
.c: CATCH .d
    TO_RING3 .u, 0
.u: call 12 * 8 + 3:0
.d: CATCH .e
    mov dword [tss], 9 * 8                     ; back link: an available TSS
    pushfd
    or dword [esp], 0x4000
    popfd
    iretd
.e: pushfd
    and dword [esp], ~0x4000
    popfd
    REPORT "exceptions", [exc_count]
    REPORT "tss-x-desc", [GDT_SLOT(9) + 4]
    ret
align 16
tss_x: times 0x68 db 0
