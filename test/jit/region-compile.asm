; Two entries into one page for test/jit/region-compile.test.ts: `outer`
; reaches `inner` by a jump, so a region compiled from `inner` first holds
; blocks a region from `outer` need not compile again.
bits 32
org 0
  dd outer, inner
outer:
  add eax, 3
  jmp inner
inner:
  add ebx, eax
  dec ecx
  jnz inner
  ret
