; 4 MiB pages with CR4.PSE: an alias of 0-4 MiB at 12 MiB, its D bit, and #PF for a read-only one.
%include "harness.inc"
test_main:
    call identity_map
    mov eax, cr4
    or eax, 1 << 4
    mov cr4, eax
    mov dword [PAGE_DIR + 3 * 4], 0x00000087     ; 12 MiB -> 0, PS, user, writable
    mov dword [PAGE_DIR + 4 * 4], 0x00000085     ; 16 MiB -> 0, PS, read-only
    mov dword [0x200000], 0xfeedbeef
    call paging_on
    REPORT "alias", [0xe00000]
    mov dword [0xe00004], 0x1234
    REPORT "written", [0x200004]
    mov eax, cr0
    or eax, 1 << 16
    mov cr0, eax
    CATCH .a
    mov dword [0x1200000], 1
.a: mov eax, cr0
    and eax, ~(1 << 16)
    mov cr0, eax
    call paging_off
    REPORT "pde3", [PAGE_DIR + 3 * 4]
    REPORT "pde4", [PAGE_DIR + 4 * 4]
    ret
