; An idle guest with a periodic tick: counter 0 in mode 2 at 1 kHz (count
; 1193), IRQ 0 acknowledged with a non-specific EOI, and the CPU halted
; between ticks (STI; HLT in a loop). The handler counts ticks at [0x3000].
%include "irq0-setup.inc"
start:
  IRQ0_SETUP irq0
  mov dword [0x3000], 0
  mov al, 0x34            ; counter 0, LSB then MSB, mode 2 (the periodic tick)
  out 0x43, al
  LOAD_COUNT0
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
