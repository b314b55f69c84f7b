; A Multiboot kernel placed by the header's address fields (flag 16), not by
; ELF: a flat binary that reports the loader magic, its BSS and mem_lower.
bits 32
org 0x200000
header:
    dd 0x1badb002, 0x00010002, -(0x1badb002 + 0x00010002)
    dd header, header, load_end, bss_end, start
start:
    mov esp, 0x90000
    mov edx, eax
    call hex                    ; the boot loader magic
    mov edx, [bss_word]
    call hex                    ; zeroed by the loader
    mov edx, [ebx]
    and edx, 1
    call hex                    ; info flags: memory fields valid
    mov edx, [ebx + 4]
    call hex                    ; mem_lower in KiB
    mov al, 0
    out 0xf4, al
hex:
    mov ecx, 8
.digit:
    rol edx, 4
    mov al, dl
    and al, 15
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 7
.out:
    out 0xe9, al
    loop .digit
    mov al, 10
    out 0xe9, al
    ret
load_end:
bss_word equ load_end + 0x100
bss_end equ load_end + 0x1000
