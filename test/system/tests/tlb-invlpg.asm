; A changed PTE is not seen until INVLPG (the stale translation is used), and then it is.
%include "harness.inc"
test_main:
    call identity_map
    mov dword [0x410000], 0xaaaa
    mov dword [0x411000], 0xbbbb
    call paging_on
    REPORT "before", [0x410000]
    mov dword [PAGE_TABLE1 + 0x10 * 4], 0x411007
    REPORT "stale", [0x410000]
    invlpg [0x410000]
    REPORT "fresh", [0x410000]
    call paging_off
    ret
