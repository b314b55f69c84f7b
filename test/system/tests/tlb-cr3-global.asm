; MOV CR3 flushes non-global translations but keeps global ones while CR4.PGE is set;
; clearing CR4.PGE flushes them too.
%include "harness.inc"
test_main:
    call identity_map
    mov eax, cr4
    or eax, 1 << 7
    mov cr4, eax
    mov dword [0x410000], 0x10
    mov dword [0x411000], 0x11
    mov dword [0x412000], 0x12
    mov dword [PAGE_TABLE1 + 0x10 * 4], 0x410107    ; global
    mov dword [PAGE_TABLE1 + 0x12 * 4], 0x412007    ; not global
    call paging_on
    REPORT "g", [0x410000]
    REPORT "ng", [0x412000]
    mov dword [PAGE_TABLE1 + 0x10 * 4], 0x411107
    mov dword [PAGE_TABLE1 + 0x12 * 4], 0x411007
    mov eax, cr3
    mov cr3, eax
    ; QEMU (TCG) flushes global translations on every MOV CR3 too.
    SDM_EXPECT "g-after-cr3", [0x410000], 0x10
    REPORT "ng-after-cr3", [0x412000]
    mov eax, cr4
    and eax, ~(1 << 7)
    mov cr4, eax
    REPORT "g-after-pge-off", [0x410000]
    call paging_off
    ret
