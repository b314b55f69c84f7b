; Self-modifying code for the translator's invalidation (test/jit/smc.test.ts).
; Each test is entered through the table, leaves its result in EAX and halts.
; Paging maps the code twice: identity, and again ALIAS bytes higher.
bits 32
org 0x10000

ALIAS equ 0x400000 - 0x10000

table:
    dd t_self, t_other, t_cross, t_rep, t_alias, t_dma
    dd dma_fn.imm               ; where the host writes in t_dma

; A store into the block that is running: the ADD's immediate goes from 1 to 2.
t_self:
    mov ecx, 100
    xor eax, eax
.loop:
    add eax, 1
.imm equ $ - 1
    mov byte [.imm], 2
    dec ecx
    jnz .loop
    hlt

; A store into another page of compiled code, halfway through.
t_other:
    mov edx, 100
    xor ebx, ebx
.loop:
    call other_fn
    add ebx, eax
    cmp edx, 50
    jne .skip
    mov dword [other_fn.imm], 5
.skip:
    dec edx
    jnz .loop
    mov eax, ebx
    hlt

; An instruction across a page boundary: its immediate's upper bytes, on the
; second page, change halfway through.
t_cross:
    mov edx, 100
    xor ebx, ebx
.loop:
    call cross_fn
    add ebx, eax
    cmp edx, 50
    jne .skip
    mov byte [cross_fn.imm + 2], 1
.skip:
    dec edx
    jnz .loop
    mov eax, ebx
    hlt

; REP MOVSB copies new code over a compiled function, then REP STOSD patches it.
t_rep:
    mov edx, 100
    xor ebx, ebx
.loop:
    call rep_fn
    add ebx, eax
    cmp edx, 50
    jne .not_movs
    mov esi, rep_template
    mov edi, rep_fn
    mov ecx, rep_template_end - rep_template
    cld
    rep movsb
.not_movs:
    cmp edx, 25
    jne .next
    mov edi, rep_fn + 1
    mov eax, 7
    mov ecx, 1
    rep stosd
.next:
    dec edx
    jnz .loop
    mov eax, ebx
    hlt
rep_template:
    mov eax, 3
    ret
rep_template_end:

; A store through a second linear mapping of the code's physical page.
t_alias:
    mov edx, 100
    xor ebx, ebx
.loop:
    call alias_fn
    add ebx, eax
    cmp edx, 50
    jne .skip
    mov dword [alias_fn.imm + ALIAS], 9
.skip:
    dec edx
    jnz .loop
    mov eax, ebx
    hlt

; Halfway through, HLT hands over to the host, which writes the function's
; immediate into RAM itself (as a DMA would) and resumes.
t_dma:
    mov edx, 100
    xor ebx, ebx
.loop:
    call dma_fn
    add ebx, eax
    cmp edx, 50
    jne .skip
    hlt
.skip:
    dec edx
    jnz .loop
    mov eax, ebx
    hlt

align 4096
other_fn:
    mov eax, 1
.imm equ $ - 4
    ret

align 4096
    times 4094 db 0xcc
cross_fn:                      ; starts 2 bytes before the page boundary
    mov eax, 1
.imm equ $ - 4
    ret

align 4096
rep_fn:
    mov eax, 1
    ret

align 4096
alias_fn:
    mov eax, 1
.imm equ $ - 4
    ret

align 4096
dma_fn:
    mov eax, 1
.imm equ $ - 4
    ret
