; CR0.WP makes read-only pages read-only for ring 0 too.
%include "harness.inc"
test_main:
    call identity_map
    and dword [PAGE_TABLE1 + 2 * 4], ~2
    call paging_on
    mov dword [0x402000], 1
    mov eax, cr0
    or eax, 1 << 16
    mov cr0, eax
    CATCH .a
    mov dword [0x402000], 2
.a: REPORT "value", [0x402000]
    mov eax, cr0
    and eax, ~(1 << 16)
    mov cr0, eax
    call paging_off
    REPORT "exceptions", [exc_count]
    ret
