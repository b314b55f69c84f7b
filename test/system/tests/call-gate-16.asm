; A 16-bit call gate from ring 3 with three word parameters: the ring 0 stack
; holds words, and a 16-bit RETF 6 returns. A 16-bit gate carries a 16-bit
; offset, so caller and callee run in code segments based at the image.
%include "harness.inc"
test_main:
    GDT_DESC 10, BASE, 0xfffff, 0xc09b
    GDT_DESC 11, BASE, 0xfffff, 0xc0fb
    GATE GDT_SLOT(9), inner - BASE, 10 * 8, 0xe403
    CATCH .back
    push dword DATA3
    push dword STACK3_TOP
    push dword 0x2
    push dword 11 * 8 + 3
    push dword .user - BASE
    iretd
.user:
    push dword DATA3
    pop ds
    push word 0xaaaa
    push word 0xbbbb
    push word 0xcccc
    call 9 * 8 + 3:0
    mov ebx, esp
    mov ecx, cs
    int USER_EXIT_VECTOR
.back:
    REPORT "esp-after", ebx
    REPORT "cs-after", ecx
    ret
inner:
    mov ebp, esp
    REPORT "inner-cs", cs
    REPORT "inner-esp", ebp
    REPORT "word0-1", [ss:ebp]
    REPORT "word2-3", [ss:ebp + 4]
    REPORT "word4-5", [ss:ebp + 8]
    REPORT "word6-7", [ss:ebp + 12]
    REPORT "word8", [ss:ebp + 16]
    o16 retf 6
