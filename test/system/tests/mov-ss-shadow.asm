; MOV SS and POP SS hold off the single-step trap for one instruction; LSS and
; STI do not (SDM vol. 3, 6.8.3 names only MOV SS and POP SS).
%include "harness.inc"
%macro STEPPING_ON 0
    pushfd
    or dword [esp], 0x100
    popfd
%endmacro
%macro STEPPING_OFF 0
    pushfd
    and dword [esp], ~0x100
    popfd
%endmacro
test_main:
    GATE IDT_SLOT(1), record, CODE0, 0x8e00
    mov ax, ss
    mov [far_stack + 4], ax
    mov [far_stack], esp
    STEPPING_ON
    nop
    mov ss, ax
    nop
    push ss
    pop ss
    nop
    STEPPING_OFF
    call show
    mov dword [count], 0
    STEPPING_ON
    lss esp, [far_stack]
    nop
    sti
    nop
    cli
    STEPPING_OFF
    ; QEMU (TCG) ends its translation block after LSS and STI as after MOV SS
    ; and suppresses the trap there too: traps after lss, nop, sti, nop, cli, pushfd, and, popfd.
    SDM_EXPECT "lss-sti-steps", [count], 8
    ret
show:                           ; the EIPs the traps reported
    xor ebx, ebx
.next:
    cmp ebx, [count]
    jae .done
    REPORT "trap-eip", [eips + ebx * 4]
    inc ebx
    jmp .next
.done:
    REPORT "traps", [count]
    ret
record:                         ; #DB: note the saved EIP, carry on
    push eax
    push ebx
    mov ebx, [count]
    mov eax, [esp + 8]
    mov [eips + ebx * 4], eax
    inc dword [count]
    pop ebx
    pop eax
    iretd
far_stack: dd 0, 0
count: dd 0
eips: times 16 dd 0
