; Segment limit, type and null checks on data accessfs: #GP(0) through DS/ES,
; #SS(0) through SS. (FS, because the exception handler reloads DS and ES.) QEMU (TCG) checks none of these on data accesses, so each
; is an SDM_EXPECT of the vector and error code glassbox raised.
%include "harness.inc"
; EXPECT_FAULT name, vector: the last instruction faulted with `vector` and error code 0.
%macro EXPECT_FAULT 2
    mov eax, [last_vector]
    shl eax, 16
    or eax, [last_error]
    SDM_EXPECT %1, eax, (%2) << 16
    mov dword [last_vector], 0xff
%endmacro
test_main:
    mov dword [exc_quiet], 1
    GDT_DESC 9, 0x200000, 0xfff, 0x4093   ; 4 KiB byte-granular data
    GDT_DESC 10, 0x200000, 0x0fff, 0x4097 ; expand-down above 0xfff, B=1
    GDT_DESC 11, 0, 0xfffff, 0xc091       ; read-only data
    mov ax, 9 * 8
    mov fs, ax
    mov dword [fs:0xffc], 0x11223344
    REPORT "last-dword", [fs:0xffc]
    CATCH .a
    mov eax, [fs:0xffd]                   ; runs past the limit
.a: EXPECT_FAULT "dword-past-limit", 13
    CATCH .b
    mov al, [fs:0x1000]
.b: EXPECT_FAULT "byte-past-limit", 13
    mov ax, 10 * 8
    mov fs, ax
    mov dword [fs:0x1000], 0xabcd
    REPORT "expand-down-at-1000", [fs:0x1000]
    CATCH .c
    mov eax, [fs:0xfff]
.c: EXPECT_FAULT "expand-down-below", 13
    mov ax, 11 * 8
    mov fs, ax
    REPORT "read-only-read", [fs:BASE]
    CATCH .d
    mov byte [fs:0x200000], 1
.d: EXPECT_FAULT "read-only-write", 13
    CATCH .e
    mov byte [cs:0x200000], 1
.e: EXPECT_FAULT "code-write", 13
    xor eax, eax
    mov fs, ax
    CATCH .f
    mov eax, [fs:0x200000]
.f: EXPECT_FAULT "null-es", 13
    GDT_DESC 12, 0x200000, 0xfff, 0x40f3  ; 4 KiB ring 3 stack
    CATCH .g
    TO_RING3 .user, 0
.user:                                    ; at ring 3, so #SS is delivered on the TSS stack
    mov ax, 12 * 8 + 3
    mov ss, ax
    mov esp, 0x1002
    push eax
    int USER_EXIT_VECTOR                  ; where the push does not fault (QEMU)
.g: EXPECT_FAULT "stack-past-limit", 12
    mov ax, DATA0
    mov fs, ax
    mov dword [exc_quiet], 0
    ret
