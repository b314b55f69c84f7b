; Benchmark kernels, run unchanged natively and in glassbox.
; Each is a cdecl function: kernel(iterations, buffer). The table at offset 0
; gives each kernel's entry offset, so both runners find them the same way.
bits 32
org 0

table:
    dd alu_loop
    dd memory_loop
    dd rep_movs
    dd rep_stos
    dd call_far

; Register ALU loop: 6 instructions per iteration.
alu_loop:
    push ebx
    mov ecx, [esp + 8]
    mov eax, 1
    mov ebx, 3
    xor edx, edx
.loop:
    add eax, ebx
    xor edx, eax
    sub ebx, edx
    shl eax, 1
    dec ecx
    jnz .loop
    pop ebx
    ret

; Memory-heavy loop over a 64 KiB buffer: 8 instructions per iteration.
memory_loop:
    push esi
    push edi
    mov ecx, [esp + 12]
    mov esi, [esp + 16]
    xor edi, edi
.loop:
    mov eax, [esi + edi]
    add [esi + edi + 4], eax
    xor eax, [esi + edi + 8]
    mov [esi + edi + 12], eax
    add edi, 16
    and edi, 0xfff0
    dec ecx
    jnz .loop
    pop edi
    pop esi
    ret

; REP MOVSD of 32 KiB within the buffer, `iterations` times.
rep_movs:
    push esi
    push edi
    mov edx, [esp + 12]
.loop:
    mov esi, [esp + 16]
    lea edi, [esi + 0x8000]
    mov ecx, 0x2000
    rep movsd
    dec edx
    jnz .loop
    pop edi
    pop esi
    ret

; REP STOSD of 64 KiB, `iterations` times.
rep_stos:
    push edi
    mov edx, [esp + 8]
.loop:
    mov edi, [esp + 12]
    mov ecx, 0x4000
    mov eax, edx
    rep stosd
    dec edx
    jnz .loop
    pop edi
    ret

; Calls into another page: 6 instructions per iteration (CALL, DEC, JNZ here,
; ADD, XOR, RET in the callee). Every call and return goes from code in one
; page to code in another: for a translator, from one compiled region to the next.
call_far:
    mov ecx, [esp + 4]
    xor eax, eax
.loop:
    call far_leaf
    dec ecx
    jnz .loop
    ret

align 4096
far_leaf:
    add eax, ecx
    xor eax, 0x5a5a
    ret
