/*
 * boot_main runs on the boot CPU once boot.S reached long mode. It does only
 * what every image needs, because kernel-mode code runs emulated here at a
 * few million instructions per second: the boot of hello.elf stays short.
 * The LAPIC, the timers and the other CPUs are each image's choice (smp.h).
 */
#include "bootinfo.h"
#include "exit.h"
#include "gdt.h"
#include "idt.h"
#include "kernel.h"
#include "percpu.h"
#include "printf.h"
#include "x86.h"

/* The legacy 8259s would deliver the firmware's PIT tick on vector 8 (#DF). */
static void pic_mask_all(void)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

void __noreturn boot_main(u32 protocol, u32 info);

void __noreturn boot_main(u32 protocol, u32 info)
{
	percpu_init(0);
	if (bootinfo_parse(protocol, info)) {
		printf("boot: no usable boot information (protocol %u, info 0x%x)\n",
		       protocol, info);
		guest_exit(EXIT_BOOT);
	}
	gdt_init_cpu(this_cpu());
	idt_init();
	pic_mask_all();
	guest_exit((u32)main());
}
