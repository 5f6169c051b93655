/* Linked into an image that is loaded as an ELF by Multiboot loaders: the
 * header's flags without the a.out kludge bit (see guest.ld). */
	.globl __mb_flags
	.set __mb_flags, 0x00000003
