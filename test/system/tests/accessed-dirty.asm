; Accessed and dirty bits in PDE and PTE after a read and after a write.
%include "harness.inc"
test_main:
    call identity_map
    call paging_on
    mov eax, [0x405000]
    mov dword [0x406000], 1
    call paging_off
    mov eax, [PAGE_TABLE1 + 5 * 4]
    and eax, 0xfff
    REPORT "pte-read", eax
    mov eax, [PAGE_TABLE1 + 6 * 4]
    and eax, 0xfff
    REPORT "pte-written", eax
    mov eax, [PAGE_TABLE1 + 7 * 4]
    and eax, 0xfff
    REPORT "pte-untouched", eax
    mov eax, [PAGE_DIR + 4]
    and eax, 0xfff
    REPORT "pde", eax
    ret
