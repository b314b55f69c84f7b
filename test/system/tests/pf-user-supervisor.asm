; U/S and R/W checks: ring 3 touching a supervisor page, writing a read-only page.
%include "harness.inc"
test_main:
    call identity_map
    and dword [PAGE_TABLE1 + 1 * 4], ~4     ; 0x401000 supervisor
    and dword [PAGE_TABLE1 + 2 * 4], ~2     ; 0x402000 read-only
    call paging_on
    CATCH .a
    TO_RING3 .u1, 0
.u1:
    mov eax, [ss:0x401000]
.a: CATCH .b
    TO_RING3 .u2, 0
.u2:
    mov eax, [ss:0x402000]
    mov [ss:0x402004], eax
.b: CATCH .c
    TO_RING3 .u3, 0
.u3:
    jmp 0x401800
.c: mov dword [0x402008], 5                 ; ring 0, CR0.WP=0: allowed
    REPORT "ring0-wrote", [0x402008]
    call paging_off
    REPORT "exceptions", [exc_count]
    ret
