/*
 * probe_read(addr, &val): a load that may fault. exceptions.c recognises a
 * fault at probe_read_insn and resumes at probe_read_fixup with the vector
 * in %rax, so tests can check that a fault is caught and reported.
 * Returns 0 and stores the value, or returns the exception vector + 1.
 */
	.text
	.globl probe_read, probe_read_insn, probe_read_fixup
probe_read:
	mov %rsi, %rcx
	xor %eax, %eax
probe_read_insn:
	mov (%rdi), %rdx
	mov %rdx, (%rcx)
	ret
probe_read_fixup:
	inc %rax
	ret
