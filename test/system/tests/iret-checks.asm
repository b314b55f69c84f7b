; IRET checks when returning to ring 3: a null CS, a CS with RPL below the
; CPL, a code segment not present, an SS whose RPL differs, a null SS.
%include "harness.inc"
%macro IRET_TO 2
    CATCH %%back
    push dword %2
    push dword STACK3_TOP
    push dword 0x2
    push dword %1
    push dword %%back
    iretd
%%back:
%endmacro
test_main:
    GDT_DESC 9, 0, 0xfffff, 0xc07b      ; DPL 3 code, not present
    IRET_TO 0, DATA3
    IRET_TO CODE3 & ~3, DATA3
    IRET_TO 9 * 8 + 3, DATA3
    IRET_TO CODE3, DATA3 & ~3
    IRET_TO CODE3, 0
    IRET_TO DATA3, DATA3
    REPORT "exceptions", [exc_count]
    ret
