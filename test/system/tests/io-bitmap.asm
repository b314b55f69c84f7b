; The TSS I/O bitmap at CPL 3 with IOPL 0: a set bit faults, a multi-byte
; access checks every port it covers.
%include "harness.inc"
test_main:
    or byte [iomap + (0x80 >> 3)], 1 << (0x80 & 7)
    or byte [iomap + (0x71 >> 3)], 1 << (0x71 & 7)
    CATCH .a
    TO_RING3 .u1, 0
.u1:
    in al, 0x81                 ; allowed
    in al, 0x80
.a: CATCH .b
    TO_RING3 .u2, 0
.u2:
    in al, 0x70                 ; allowed
    in ax, 0x70                 ; covers 0x71
.b: CATCH .c
    TO_RING3 .u3, 0
.u3:
    mov dx, 0x3fe
    in al, dx                   ; allowed
    mov dx, 0x400               ; beyond the bitmap
    in al, dx
.c: REPORT "exceptions", [exc_count]
    ret
