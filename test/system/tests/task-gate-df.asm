; A double fault through a task gate, as Linux sets it up: #GP with its gate not
; present gives #NP, two contributory faults give #DF, and the #DF task runs on
; its own stack with error code 0 and the faulting task's state in its TSS.
%include "harness.inc"
test_main:
    mov dword [tss_df + 0x20], df_task
    mov dword [tss_df + 0x24], 0x2
    mov dword [tss_df + 0x38], 0x6e000
    mov dword [tss_df + 0x48], DATA0
    mov dword [tss_df + 0x4c], CODE0
    mov dword [tss_df + 0x50], DATA0
    mov dword [tss_df + 0x54], DATA0
    GDT_DESC 9, tss_df, 0x67, 0x0089
    GATE IDT_SLOT(8), 0, 9 * 8, 0x8500
    and byte [IDT_SLOT(13) + 5], 0x7f
    and byte [IDT_SLOT(11) + 5], 0x7f
    mov ebx, 0x5a5a5a5a
    mov ax, 0x1f8
    mov ds, ax                                  ; #GP -> #NP -> #DF
.resumed:
    mov ax, DATA0
    mov ds, ax
    or byte [IDT_SLOT(13) + 5], 0x80
    or byte [IDT_SLOT(11) + 5], 0x80
    REPORT "back-ebx", ebx
    REPORT "df-desc", [GDT_SLOT(9) + 4]
    clts
    ret
df_task:
    REPORT "df-error-code", [esp]
    REPORT "df-esp", esp
    REPORT "faulting-eip", [tss + 0x20]
    REPORT "faulting-ebx", [tss + 0x34]
    REPORT "df-link", [tss_df]
    str eax
    REPORT "df-tr", eax
    mov dword [tss + 0x20], test_main.resumed   ; resume the faulting task past the fault
    add esp, 4
    iretd
align 16
tss_df: times 0x68 db 0
