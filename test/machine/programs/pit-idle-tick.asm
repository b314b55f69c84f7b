; An idle guest with a periodic tick: counter 0 in mode 2 at 1 kHz (count
; 1193), IRQ 0 acknowledged with a non-specific EOI, and the CPU halted
; between ticks (STI; HLT in a loop). The handler counts ticks at [0x3000].
bits 32
org 0x1000
COUNT equ 1193
start:
  mov esp, 0x9000
  mov dword [0x3000], 0
  mov eax, irq0
  mov [0x500 + 0x20 * 8], ax
  mov word [0x500 + 0x20 * 8 + 2], 0x10
  mov word [0x500 + 0x20 * 8 + 4], 0x8e00
  shr eax, 16
  mov [0x500 + 0x20 * 8 + 6], ax
  lidt [idtr]
  mov al, 0x11
  out 0x20, al
  out 0xa0, al
  mov al, 0x20
  out 0x21, al
  mov al, 0x28
  out 0xa1, al
  mov al, 4
  out 0x21, al
  mov al, 2
  out 0xa1, al
  mov al, 1
  out 0x21, al
  out 0xa1, al
  mov al, 0xfe
  out 0x21, al
  mov al, 0xff
  out 0xa1, al
  mov al, 0x34            ; counter 0, LSB then MSB, mode 2 (the periodic tick)
  out 0x43, al
  mov al, COUNT & 0xff
  out 0x40, al
  mov al, COUNT >> 8
  out 0x40, al
idle:
  sti
  hlt
  jmp idle
irq0:
  inc dword [0x3000]
  push eax
  mov al, 0x20            ; non-specific EOI
  out 0x20, al
  pop eax
  iret
idtr:
  dw 0x7ff
  dd 0x500
