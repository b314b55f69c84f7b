; Linux's PIT one-shot tick, bare: the 8259A pair initialized as Linux does
; (vectors 0x20/0x28, only IRQ 0 unmasked), counter 0 in mode 4 with a count
; of 1193 written while the CPU runs, then a busy loop with interrupts on.
; The IRQ 0 handler stores the TSC and powers off (CLI; HLT).
; TSC at the count's write: [0x3000]; TSC in the handler: [0x3008].
%include "irq0-setup.inc"
start:
  IRQ0_SETUP irq0
  mov al, 0x38            ; counter 0, LSB then MSB, mode 4 (what pit_set_oneshot writes)
  out 0x43, al
  sti
  rdtsc
  mov [0x3000], eax
  mov [0x3004], edx
  LOAD_COUNT0
spin:
  jmp spin
irq0:
  rdtsc
  mov [0x3008], eax
  mov [0x300c], edx
  cli
  hlt
