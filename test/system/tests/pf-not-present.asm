; #PF error codes and CR2 for not-present pages: read, write, and instruction fetch.
%include "harness.inc"
test_main:
    call identity_map
    and dword [PAGE_TABLE1 + 4 * 4], ~1     ; 0x404000 not present
    call paging_on
    CATCH .a
    mov eax, [0x404010]
.a: CATCH .b
    mov dword [0x404ffe], 1
.b: CATCH .c
    call 0x404000
.c: CATCH .d
    mov eax, [0x403ffe]                     ; crosses into the missing page
.d: call paging_off
    REPORT "exceptions", [exc_count]
    ret
