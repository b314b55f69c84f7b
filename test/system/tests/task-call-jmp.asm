; Hardware task switches: CALL through a task gate (back link, NT, busy bits,
; CR0.TS), IRET with NT back to the caller, then JMP to the TSS and JMP back.
%include "harness.inc"
test_main:
    mov dword [tss_b + 0x20], task_b            ; EIP
    mov dword [tss_b + 0x24], 0x2               ; EFLAGS
    mov dword [tss_b + 0x28], 0xaaaa0001        ; EAX
    mov dword [tss_b + 0x2c], 0xaaaa0002        ; ECX
    mov dword [tss_b + 0x38], 0x6f000           ; ESP
    mov dword [tss_b + 0x48], DATA0             ; ES
    mov dword [tss_b + 0x4c], CODE0             ; CS
    mov dword [tss_b + 0x50], DATA0             ; SS
    mov dword [tss_b + 0x54], DATA0             ; DS
    GDT_DESC 9, tss_b, 0x67, 0x0089
    GATE GDT_SLOT(10), 0, 9 * 8, 0x8500         ; task gate to TSS 9
    mov eax, 0x12345678
    call 10 * 8:0
    REPORT "eax-back", eax
    REPORT "b-saved-eip", [tss_b + 0x20]
    REPORT "b-saved-eflags", [tss_b + 0x24]
    REPORT "main-desc", [GDT_SLOT(5) + 4]
    REPORT "b-desc", [GDT_SLOT(9) + 4]
    pushfd
    pop eax
    REPORT "main-eflags", eax
    clts
    jmp 9 * 8:0
    REPORT "back-by-jmp", eax
    REPORT "main-desc-2", [GDT_SLOT(5) + 4]
    REPORT "b-desc-2", [GDT_SLOT(9) + 4]
    REPORT "main-saved-eip", [tss + 0x20]
    mov eax, cr0
    and eax, 8
    REPORT "cr0-ts", eax
    clts
    ret
task_b:
    REPORT "b-eax", eax
    REPORT "b-ecx", ecx
    REPORT "b-esp", esp
    str ebx
    REPORT "b-tr", ebx
    REPORT "b-link", [tss_b]
    pushfd
    pop ebx
    REPORT "b-eflags", ebx
    mov ebx, cr0
    and ebx, 8
    REPORT "b-cr0-ts", ebx
    REPORT "main-desc-in-b", [GDT_SLOT(5) + 4]
    REPORT "b-desc-in-b", [GDT_SLOT(9) + 4]
    mov eax, 0xbbbb0001
    iretd
    REPORT "b-again", eax
    mov eax, 0xbbbb0002
    jmp TSS_SEL:0
align 16
tss_b: times 0x68 db 0
