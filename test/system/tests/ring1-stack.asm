; Ring 1: IRET to CPL 1, then loading a DPL 0 data segment faults; the
; handler's frame shows the ring 1 CS, SS and ESP.
%include "harness.inc"
test_main:
    CATCH .back
    push dword DATA1
    push dword STACK1_TOP - 8
    push dword 0x2
    push dword CODE1
    push dword .ring1
    iretd
.ring1:
    mov ebx, cs
    mov ecx, ss
    mov ax, DATA0
    mov ds, ax
.back:
    REPORT "ring1-cs", ebx
    REPORT "ring1-ss", ecx
    ret
