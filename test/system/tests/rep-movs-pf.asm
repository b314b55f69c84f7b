; REP MOVSB faulting in the middle: ECX, ESI and EDI show the progress, and after
; the handler maps the page the instruction restarts and completes.
%include "harness.inc"
test_main:
    call identity_map
    and dword [PAGE_TABLE1 + 0x11 * 4], ~1  ; 0x411000 missing
    mov dword [exc_hook], map_it
    call paging_on
    mov esi, 0x200000
    mov edi, 0x410ff0
    mov ecx, 0x40
    cld
    rep movsb
    REPORT "ecx", ecx
    REPORT "esi", esi
    REPORT "edi", edi
    mov esi, 0x200000
    mov edi, 0x411ff0
    mov ecx, 0x10
    and dword [PAGE_TABLE1 + 0x12 * 4], ~1
    mov eax, 0x55
    rep stosd
    REPORT "stos-ecx", ecx
    REPORT "stos-edi", edi
    mov dword [exc_hook], 0
    call paging_off
    ret
map_it:                         ; ebp: the saved registers, then the frame
    mov eax, [ebp + 24]         ; saved ECX
    REPORT "ecx-at-fault", eax
    mov eax, [ebp + 0]          ; saved EDI
    REPORT "edi-at-fault", eax
    mov eax, cr2
    shr eax, 12
    and eax, 0x3ff
    or dword [PAGE_TABLE1 + eax * 4], 1
    invlpg [0]
    mov eax, cr3
    mov cr3, eax
    mov eax, 1
    ret
