; #DE from DIV by zero and from a quotient overflow: a fault, EIP at the DIV.
%include "harness.inc"
test_main:
    CATCH .a
    xor ecx, ecx
    mov eax, 5
    div ecx
.a: CATCH .b
    mov edx, 2
    mov eax, 0
    mov ecx, 1
    div ecx
.b: CATCH .c
    mov ax, 0x8000
    cwd
    mov cx, -1
    idiv cx
.c: REPORT "exceptions", [exc_count]
    ret
