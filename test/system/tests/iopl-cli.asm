; IOPL decides CLI/STI and port access at CPL 3; POPF silently keeps IF and IOPL.
%include "harness.inc"
test_main:
    CATCH .a
    TO_RING3 .u1, 0x3000        ; IOPL 3
.u1:
    cli
    sti
    in al, 0x80
    pushfd
    pop eax
    or eax, 0x3000
    push eax
    popfd
    int USER_EXIT_VECTOR
.a: CATCH .b
    TO_RING3 .u2, 0x0200        ; IOPL 0, IF 1
.u2:
    pushfd
    pop ebx
    and ebx, ~0x200
    or ebx, 0x3000
    push ebx
    popfd                       ; IF and IOPL stay as they were
    pushfd
    pop ecx
    int USER_EXIT_VECTOR
.b: and ecx, 0x3200
    REPORT "flags-after-popf", ecx
    REPORT "exceptions", [exc_count]
    ret
