; A page fault while delivering a page fault (the IDT is on a missing page) is a double fault,
; its gate on a present page.
%include "harness.inc"
test_main:
    call identity_map
    ; a second IDT: entries 0-13 on a page that goes missing, 14 onwards on the next
    mov esi, idt
    mov edi, 0x420000 - 14 * 8
    mov ecx, 256 * 2
    rep movsd
    mov eax, idt2_ptr
    lidt [eax]
    and dword [PAGE_TABLE1 + 0x20 * 4], ~1  ; 0x420000: gate 14 onwards missing
    and dword [PAGE_TABLE1 + 0x30 * 4], ~1  ; 0x430000 missing
    call paging_on
    CATCH .b
    mov eax, [0x430000]                     ; #PF -> #PF reading gate 14 -> #DF through gate 8
.b: call paging_off
    lidt [idt_ptr]
    REPORT "exceptions", [exc_count]
    ret
idt2_ptr: dw 256 * 8 - 1
    dd 0x420000 - 14 * 8
