; Linux's PIT one-shot tick, bare: the 8259A pair initialized as Linux does
; (vectors 0x20/0x28, only IRQ 0 unmasked), counter 0 in mode 4 with a count
; of 1193 written while the CPU runs, then a busy loop with interrupts on.
; The IRQ 0 handler stores the TSC and powers off (CLI; HLT).
; TSC at the count's write: [0x3000]; TSC in the handler: [0x3008].
bits 32
org 0x1000
COUNT equ 1193
start:
  mov esp, 0x9000
  mov eax, irq0
  mov [0x500 + 0x20 * 8], ax
  mov word [0x500 + 0x20 * 8 + 2], 0x10   ; the loader's flat code selector
  mov word [0x500 + 0x20 * 8 + 4], 0x8e00 ; 32-bit interrupt gate, DPL 0
  shr eax, 16
  mov [0x500 + 0x20 * 8 + 6], ax
  lidt [idtr]
  mov al, 0x11            ; ICW1: edge, cascade, ICW4 follows
  out 0x20, al
  out 0xa0, al
  mov al, 0x20            ; ICW2: vector bases
  out 0x21, al
  mov al, 0x28
  out 0xa1, al
  mov al, 4               ; ICW3: slave on IRQ 2
  out 0x21, al
  mov al, 2
  out 0xa1, al
  mov al, 1               ; ICW4: 8086 mode
  out 0x21, al
  out 0xa1, al
  mov al, 0xfe            ; OCW1: only IRQ 0
  out 0x21, al
  mov al, 0xff
  out 0xa1, al
  mov al, 0x38            ; counter 0, LSB then MSB, mode 4 (what pit_set_oneshot writes)
  out 0x43, al
  sti
  rdtsc
  mov [0x3000], eax
  mov [0x3004], edx
  mov al, COUNT & 0xff
  out 0x40, al
  mov al, COUNT >> 8
  out 0x40, al
spin:
  jmp spin
irq0:
  rdtsc
  mov [0x3008], eax
  mov [0x300c], edx
  cli
  hlt
idtr:
  dw 0x7ff
  dd 0x500
