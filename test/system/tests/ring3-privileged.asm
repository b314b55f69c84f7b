; Privileged instructions at CPL 3 fault with #GP(0).
%include "harness.inc"
%macro TRY3 1
    CATCH %%back
    TO_RING3 %%user, 0
%%user:
    %1
    int USER_EXIT_VECTOR
%%back:
%endmacro
test_main:
    TRY3 hlt
    TRY3 cli
    TRY3 {mov eax, cr0}
    TRY3 {mov cr3, eax}
    TRY3 {lgdt [gdt_ptr]}
    TRY3 {mov eax, dr7}
    TRY3 clts
    TRY3 {in al, 0x80}
    TRY3 {ltr ax}
    TRY3 rdmsr
    TRY3 wbinvd
    TRY3 invd
    TRY3 {invlpg [0]}
    REPORT "exceptions", [exc_count]
    ret
