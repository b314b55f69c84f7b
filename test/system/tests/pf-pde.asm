; A not-present page directory entry, and a PDE without U/S for ring 3.
%include "harness.inc"
test_main:
    call identity_map
    mov dword [PAGE_DIR + 2 * 4], 0         ; 8-12 MiB: no table
    and dword [PAGE_DIR + 1 * 4], ~4        ; 4-8 MiB: supervisor at the directory level
    call paging_on
    CATCH .a
    mov eax, [0x800123]
.a: CATCH .b
    TO_RING3 .u, 0
.u:
    mov eax, [ss:0x400123]
.b: call paging_off
    REPORT "exceptions", [exc_count]
    ret
