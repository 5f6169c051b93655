/*
 * Default handlers for the 32 CPU exceptions: print what a reader needs to
 * find the fault (vector, error code, RIP, CR2, the CPU) on one line, then
 * end the VM with status EXIT_EXCEPTION_BASE + vector (see exit.h), so the
 * host tells a page fault from a #GP by the exit status alone.
 * A test that wants to survive a fault installs its own handler instead.
 */
#include "exit.h"
#include "gdt.h"
#include "idt.h"
#include "percpu.h"
#include "printf.h"
#include "probe.h"
#include "x86.h"

extern const u8 probe_read_insn[], probe_read_fixup[];

/* Per-CPU would be exact; tests probe from one CPU at a time. */
struct probe_fault probe_last;

static const char *const names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization",
	"#CP control protection", "reserved 22", "reserved 23", "reserved 24",
	"reserved 25", "reserved 26", "reserved 27", "#HV hypervisor injection",
	"#VC VMM communication", "#SX security", "reserved 31",
};

void __noreturn trap_report_fatal(struct trap_frame *f, const char *why, u32 status)
{
	irq_disable();
	printf("EXCEPTION: vector=%lu (%s) error=0x%lx rip=0x%lx cr2=0x%lx cpu=%u\n",
	       f->vector, why, f->error, f->rip, read_cr2(), this_cpu()->cpu);
	printf("  rsp=0x%lx rflags=0x%lx cs=0x%lx rax=0x%lx rbx=0x%lx rcx=0x%lx rdx=0x%lx\n",
	       f->rsp, f->rflags, f->cs, f->rax, f->rbx, f->rcx, f->rdx);
	printf("  exit status %u\n", status);
	guest_exit(status);
}

static bool probe_fixup(struct trap_frame *f)
{
	if (f->rip != (u64)(uintptr_t)probe_read_insn)
		return false;
	probe_last = (struct probe_fault){f->vector, f->error, read_cr2()};
	f->rax = f->vector;
	f->rip = (u64)(uintptr_t)probe_read_fixup;
	return true;
}

static void exception_fatal(struct trap_frame *f)
{
	if (probe_fixup(f))
		return;
	trap_report_fatal(f, names[f->vector], EXIT_EXCEPTION_BASE + (u32)f->vector);
}

void exceptions_init(void)
{
	for (u8 v = 0; v < 32; v++)
		idt_set_handler(v, exception_fatal);
	idt_set_ist(2, IST_FATAL);
	idt_set_ist(8, IST_FATAL);
	idt_set_ist(18, IST_FATAL);
}
