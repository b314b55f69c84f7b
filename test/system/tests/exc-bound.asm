; BOUND out of range raises #BR (a fault), in range does nothing.
%include "harness.inc"
test_main:
    mov eax, 5
    bound eax, [bounds]
    REPORT "in-range", eax
    CATCH .a
    mov eax, 20
    bound eax, [bounds]
.a: CATCH .b
    mov eax, -1
    bound eax, [bounds]
.b: REPORT "exceptions", [exc_count]
    ret
bounds: dd 0, 10
