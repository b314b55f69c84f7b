; CALLs from one page's compiled region into another's (test/jit/region-calls.test.ts).
; Each test is entered through the table, leaves its result in EAX and halts;
; the callees sit on other pages, so every call leaves the caller's region.
bits 32
org 0x10000

table:
    dd t_calls, t_indirect, t_recurse, t_escape, t_patch, t_fault, t_spread

; 1000 direct calls to a function on the next page: EAX = sum of 1..1000 plus 3 a call.
t_calls:
    mov ecx, 1000
    xor eax, eax
.loop:
    call far_add
    dec ecx
    jnz .loop
    hlt

; Indirect calls, through memory and through a register, alternating between two pages.
t_indirect:
    mov ecx, 600
    xor eax, eax
    mov edx, far_add
.loop:
    call [fn_ptr]
    call edx
    dec ecx
    jnz .loop
    hlt

; Recursion 700 deep, each level a call into the other page (deeper than calls
; nest in wasm): EAX = 700 + 699 + ... + 1.
t_recurse:
    mov ecx, 700
    xor eax, eax
    call rec_a
    hlt

; A callee that does not return to its call site: it drops its return address
; and jumps back into the caller's page elsewhere (as longjmp does).
t_escape:
    mov ecx, 300
    xor eax, eax
.loop:
    call far_escape
    add eax, 1000               ; never runs
.back:
    dec ecx
    jnz .loop
    hlt

; A callee that rewrites the instruction after its call site, in the caller's
; compiled page, on the 50th of 100 calls: the ADD's immediate goes from 1 to 5.
t_patch:
    mov ecx, 100
    xor eax, eax
.loop:
    call far_patch
    add eax, strict dword 1
.imm equ $ - 4
    dec ecx
    jnz .loop
    hlt

; A callee that divides by ECX, which reaches 0 on the 40th call: #DE with no
; IDT is a triple fault, with the state at the faulting DIV.
t_fault:
    mov ecx, 40
    xor ebx, ebx
.loop:
    dec ecx
    call far_divide
    add ebx, eax
    jmp .loop

; 30,000 calls to a function whose code is on two pages (two regions): the
; caller still goes on in its own code when the callee's second half returns.
t_spread:
    mov ecx, 30000
    xor eax, eax
.loop:
    call far_spread
    mov edx, 6                  ; work enough to make this page hot as well
.wait:
    dec edx
    jnz .wait
    dec ecx
    jnz .loop
    hlt

fn_ptr:
    dd far_other

align 4096
far_add:
    add eax, ecx
    add eax, 3
    ret

rec_a:
    test ecx, ecx
    jz .done
    add eax, ecx
    dec ecx
    call rec_b
.done:
    ret

far_escape:
    add esp, 4
    add eax, 2
    jmp t_escape.back

far_patch:
    cmp ecx, 50
    jne .keep
    mov dword [t_patch.imm], 5
.keep:
    ret

far_divide:
    mov eax, 1000
    xor edx, edx
    div ecx
    ret

far_spread:
    mov edx, 4
.add:
    add eax, ecx
    dec edx
    jnz .add
    jmp far_spread_tail

align 4096
far_other:
    add eax, 7
    ret

rec_b:
    test ecx, ecx
    jz .done
    add eax, ecx
    dec ecx
    call rec_a
.done:
    ret

far_spread_tail:
    mov edx, 4
.add:
    add eax, 5
    dec edx
    jnz .add
    ret
