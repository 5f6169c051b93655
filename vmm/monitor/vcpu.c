/* vCPUs: creation, CPUID, the boot processor's entry state, the run loop
 * (Solo5-style: one KVM_RUN loop, every exit either handled or turned into
 * one clear line and a documented status), and the port bus its I/O exits
 * go to: devices register the ports they own, and an exit on a port is
 * that device's call, one step from the loop. Application processors start
 * in KVM's wait-for-SIPI state and are brought up by the guest itself. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "boot_protocols.h"
#include "exit_status.h"
#include "boot_layout.h"
#include "mmio.h"
#include "vm.h"

#define CPUID_MAX_ENTRIES 256
#define CR0_PE 0x1ull
#define CR0_MP 0x2ull
#define CR0_ET 0x10ull
#define CR0_NE 0x20ull
#define CR0_WP 0x10000ull
#define CR0_PG 0x80000000ull
#define CR4_PAE 0x20ull
#define EFER_LME 0x100ull
#define EFER_LMA 0x400ull

static int vcpu_ioctl(struct vcpu *cpu, unsigned long req, void *arg, const char *name)
{
	if (ioctl(cpu->fd, req, arg) >= 0)
		return 0;
	fprintf(stderr, "vmm: vCPU %u: %s: %s\n", cpu->id, name, strerror(errno));
	return -1;
}

#define CPUID_1_ECX_HYPERVISOR (1u << 31)	/* "look at 0x40000000": KVM's leaves */
#define CPUID_1_ECX_CX16 (1u << 13)
#define CPUID_KVM_FEATURES 0x40000001u
#define KVM_PV_UNHALT (1u << 7)
#define KVM_PV_SEND_IPI (1u << 11)
#define KVM_PV_SCHED_YIELD (1u << 13)
#define KVM_HC_MAP_GPA_RANGE (1u << 16)
#define KVM_MIGRATION_CONTROL (1u << 17)

/*
 * What a guest that never negotiated anything is told. We start from
 * KVM_GET_SUPPORTED_CPUID, i.e. QEMU's "-cpu host" rather than its default
 * "qemu64": qemu64 is a lowest common denominator for migration, which a
 * single-host monitor does not need, and every bit KVM reports is one it
 * backs for user-mode code. Against qemu64 (as QEMU 7.2 shows it on this
 * machine) the guest therefore also sees TSC-deadline, KVM's poll control,
 * the host's family/model and its extended leaf 0x80000001 (qemu64 keeps
 * only LAHF there); both lack SSE3 here (KVM withholds it). We then take away what a guest would trip on:
 *  - CMPXCHG16B, which qemu64 has: this machine's KVM emulates guest kernel
 *    code and its emulator lacks `lock cmpxchg16b`, so a kernel using it
 *    ends in an emulation failure (under QEMU the VM then hangs, paused);
 *  - the paravirtual features that are hypercalls (PV unhalt, PV IPIs, PV
 *    sched-yield): `vmcall` never returns here. qemu64 has none of them;
 *  - the ones that need the monitor's own set-up, which it does not do:
 *    KVM_HC_MAP_GPA_RANGE (an exit to us) and MIGRATION_CONTROL (an MSR
 *    for userspace). qemu64 has neither.
 * kvmclock, steal time, PV EOI and async PF stay, as in qemu64: KVM handles
 * them alone. Each vCPU sees its own APIC ID and the CPU count.
 * Not ours to hide: this host's KVM shows the guest the host's user-mode ISA
 * bits (leaf 7 entirely; SSE3..AVX, XSAVE, RDRAND in leaf 1) whatever we
 * set, CLWB and XSAVE among them, which its emulator lacks in kernel mode.
 */
static void vcpu_adjust_cpuid(struct vcpu *cpu, struct kvm_cpuid_entry2 *e)
{
	if (e->function == 1) {
		e->ebx = (e->ebx & 0x00ffffffu) | (cpu->id << 24);
		e->ebx = (e->ebx & 0xff00ffffu) | (cpu->vm->ncpus << 16);
		e->ecx &= ~CPUID_1_ECX_CX16;
		e->ecx |= CPUID_1_ECX_HYPERVISOR;
	}
	if (e->function == 0xb || e->function == 0x1f)
		e->edx = cpu->id;
	if (e->function == CPUID_KVM_FEATURES)
		e->eax &= ~(KVM_PV_UNHALT | KVM_PV_SEND_IPI | KVM_PV_SCHED_YIELD |
			    KVM_HC_MAP_GPA_RANGE | KVM_MIGRATION_CONTROL);
}

static int vcpu_set_cpuid(struct vcpu *cpu)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + CPUID_MAX_ENTRIES * sizeof(c->entries[0]));
	int rc = -1;

	if (!c)
		return -1;
	c->nent = CPUID_MAX_ENTRIES;
	if (ioctl(cpu->vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		fprintf(stderr, "vmm: KVM_GET_SUPPORTED_CPUID: %s\n", strerror(errno));
		goto out;
	}
	for (unsigned i = 0; i < c->nent; i++)
		vcpu_adjust_cpuid(cpu, &c->entries[i]);
	rc = vcpu_ioctl(cpu, KVM_SET_CPUID2, c, "KVM_SET_CPUID2");
out:
	free(c);
	return rc;
}

static struct kvm_segment flat_segment(uint16_t selector, uint8_t type, bool code64)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = selector, .type = type,
		.present = 1, .dpl = 0, .db = code64 ? 0 : 1, .s = 1, .l = code64, .g = 1,
	};
}

/* PVH and Multiboot both enter in flat 32-bit protected mode, paging off,
 * with the boot information's address in %ebx; long64 and Linux's 64-bit
 * entry with paging on (Linux: the zero page in %rsi, interrupts off). */
static int vcpu_set_boot_state(struct vcpu *cpu)
{
	struct boot_image *img = &cpu->vm->image;
	bool long64 = img->protocol == BOOT_LONG64 || img->protocol == BOOT_LINUX;
	struct kvm_sregs sregs;
	struct kvm_regs regs = {.rflags = 0x2, .rip = img->entry};

	if (vcpu_ioctl(cpu, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS"))
		return -1;
	sregs.cs = flat_segment(long64 ? 0x18 : 0x08, 0xb, long64);
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = flat_segment(0x10, 0x3, false);
	sregs.tr = (struct kvm_segment){.limit = 0x67, .type = 0xb, .present = 1};
	sregs.gdt.base = LAYOUT_GDT;
	sregs.gdt.limit = 4 * 8 - 1;
	sregs.cr0 = CR0_PE | CR0_ET;
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (long64) {
		sregs.cr0 |= CR0_PG | CR0_MP | CR0_NE | CR0_WP;
		sregs.cr3 = LAYOUT_PML4;
		sregs.cr4 = CR4_PAE;
		sregs.efer = EFER_LME | EFER_LMA;
		regs.rdi = LAYOUT_START_INFO;	/* direct entry gets the PVH info in %rdi */
		regs.rsi = LAYOUT_LINUX_PARAMS;
		regs.rsp = LAYOUT_LOW_END;
	}
	if (img->protocol == BOOT_MULTIBOOT) {
		regs.rax = MULTIBOOT_BOOT_MAGIC;
		regs.rbx = LAYOUT_MB_INFO;
	} else {
		regs.rbx = LAYOUT_START_INFO;
	}
	if (vcpu_ioctl(cpu, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS"))
		return -1;
	return vcpu_ioctl(cpu, KVM_SET_REGS, &regs, "KVM_SET_REGS");
}

int vcpu_init(struct vcpu *cpu)
{
	struct vm *vm = cpu->vm;

	cpu->fd = ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)cpu->id);
	if (cpu->fd < 0) {
		fprintf(stderr, "vmm: KVM_CREATE_VCPU %u: %s\n", cpu->id, strerror(errno));
		return -1;
	}
	cpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, cpu->fd, 0);
	if (cpu->run == MAP_FAILED) {
		cpu->run = NULL;
		fprintf(stderr, "vmm: mmap of vCPU %u: %s\n", cpu->id, strerror(errno));
		return -1;
	}
	if (vcpu_set_cpuid(cpu))
		return -1;
	return cpu->id == 0 ? vcpu_set_boot_state(cpu) : 0;
}

void vcpu_kick(struct vcpu *cpu)
{
	__atomic_store_n(&cpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(cpu->thread, SIGUSR1);
}

static uint64_t vcpu_rip(struct vcpu *cpu)
{
	struct kvm_regs regs;
	return ioctl(cpu->fd, KVM_GET_REGS, &regs) < 0 ? 0 : regs.rip;
}

void vcpu_fail(struct vcpu *cpu, int status, const char *what)
{
	fprintf(stderr, "vmm: vCPU %u: %s at rip 0x%llx\n", cpu->id, what,
		(unsigned long long)vcpu_rip(cpu));
	vm_stop(cpu->vm, status);
}

static void vcpu_internal_error(struct vcpu *cpu)
{
	char what[128];
	unsigned sub = cpu->run->internal.suberror;

	snprintf(what, sizeof(what), "KVM internal error (suberror %u%s)", sub,
		 sub == KVM_INTERNAL_ERROR_EMULATION ? ": emulation failure" : "");
	vcpu_fail(cpu, VMM_EXIT_KVM_ERROR, what);
}

#define PIO_MAX_DEVICES 16
#define PIO_PORTS 65536

struct pio_range {
	uint16_t base, count;
	pio_fn fn;
	void *opaque;
};

/* Registered once before the vCPUs start and read-only afterwards: no lock. */
static struct pio_range ranges[PIO_MAX_DEVICES];
static unsigned nranges;

/* Per port, reads and writes nobody handled. 512 KiB of zero pages until a
 * kernel probes; relaxed atomics, since only the totals at exit matter. */
static uint32_t unhandled[PIO_PORTS][2];

int pio_register(uint16_t base, uint16_t count, pio_fn fn, void *opaque)
{
	if (nranges == PIO_MAX_DEVICES)
		return -1;
	ranges[nranges++] = (struct pio_range){base, count, fn, opaque};
	return 0;
}

/* Unclaimed ports read as all-ones and ignore writes, as on a PC. */
void pio_route(struct vcpu *cpu, uint16_t port, bool write, uint8_t *data,
	       unsigned size)
{
	for (unsigned i = 0; i < nranges; i++) {
		if (port >= ranges[i].base && port - ranges[i].base < ranges[i].count) {
			ranges[i].fn(cpu, port, write, data, size, ranges[i].opaque);
			return;
		}
	}
	__atomic_fetch_add(&unhandled[port][write], 1, __ATOMIC_RELAXED);
	if (!write)
		memset(data, 0xff, size);
}

uint64_t pio_report_unhandled(int fd)
{
	uint64_t total = 0;
	unsigned ports = 0;

	for (unsigned p = 0; p < PIO_PORTS; p++) {
		uint32_t r = __atomic_load_n(&unhandled[p][0], __ATOMIC_RELAXED);
		uint32_t w = __atomic_load_n(&unhandled[p][1], __ATOMIC_RELAXED);
		if (!r && !w)
			continue;
		dprintf(fd, "vmm: unhandled port 0x%04x: %u reads, %u writes\n", p, r, w);
		total += r + w;
		ports++;
	}
	dprintf(fd, "vmm: %llu unhandled port accesses to %u ports\n",
		(unsigned long long)total, ports);
	return total;
}

/* Newer kernels (KVM_CAP_MEMORY_FAULT_INFO) say where KVM_RUN's EFAULT was;
 * 6.1 headers lack the layout, so it is spelled out here. */
#define KVM_EXIT_MEMORY_FAULT_COMPAT 39
struct kvm_memory_fault_compat {
	uint64_t flags, gpa, size;
};

/* A device may know the memory (vm_hooks); otherwise it is the guest's. */
static void vcpu_efault(struct vcpu *cpu)
{
	struct kvm_run *run = cpu->run;
	struct vm_fault f = {.efault = true};

	if (run->exit_reason == KVM_EXIT_MEMORY_FAULT_COMPAT) {
		const struct kvm_memory_fault_compat *mf = (const void *)&run->mmio;
		f.has_gpa = true;
		f.gpa = mf->gpa;
	}
	if (cpu->vm->hooks.explain_fault && cpu->vm->hooks.explain_fault(cpu, &f))
		return;
	vcpu_fail(cpu, VMM_EXIT_WINDOW_FAULT,
		  "guest touched guest-physical memory with no host page (EFAULT)");
}

/* An MMIO exit no device explains is the unclaimed bus (mmio.h). */
static bool vcpu_mmio(struct vcpu *cpu)
{
	struct kvm_run *run = cpu->run;
	struct vm_fault f = {.has_gpa = true, .gpa = run->mmio.phys_addr};

	if (cpu->vm->hooks.explain_fault && cpu->vm->hooks.explain_fault(cpu, &f))
		return false;
	mmio_unhandled(run->mmio.phys_addr, run->mmio.is_write, run->mmio.data,
		       run->mmio.len <= sizeof(run->mmio.data) ? run->mmio.len
							  : sizeof(run->mmio.data));
	return true;
}

/* Returns false when the loop should end. */
static bool vcpu_handle_exit(struct vcpu *cpu)
{
	struct kvm_run *run = cpu->run;
	uint8_t *data;
	char what[96];

	switch (run->exit_reason) {
	case KVM_EXIT_IO:	/* `rep outs`/`ins` are count accesses in a row */
		data = (uint8_t *)run + run->io.data_offset;
		for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size)
			pio_route(cpu, run->io.port, run->io.direction == KVM_EXIT_IO_OUT,
				  data, run->io.size);
		return true;
	case KVM_EXIT_MMIO:
		return vcpu_mmio(cpu);
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_SHUTDOWN:
		vcpu_fail(cpu, VMM_EXIT_SHUTDOWN, "guest shutdown (triple fault)");
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		vcpu_fail(cpu, VMM_EXIT_SHUTDOWN, "guest requested shutdown or reset");
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		vcpu_internal_error(cpu);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(what, sizeof(what), "KVM entry failed (reason 0x%llx)",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		vcpu_fail(cpu, VMM_EXIT_KVM_ERROR, what);
		return false;
	default:
		snprintf(what, sizeof(what), "unexpected KVM exit %u", run->exit_reason);
		vcpu_fail(cpu, VMM_EXIT_KVM_ERROR, what);
		return false;
	}
}

static bool vm_is_stopped(struct vm *vm)
{
	return __atomic_load_n(&vm->stopped, __ATOMIC_ACQUIRE);
}

/* A guest that did not end in time: where each vCPU was, what a stall is
 * looked into with (a halt with interrupts off, a loop in real mode). */
static void vcpu_report_stall(struct vcpu *cpu)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_mp_state mp;

	if (ioctl(cpu->fd, KVM_GET_REGS, &regs) || ioctl(cpu->fd, KVM_GET_SREGS, &sregs) ||
	    ioctl(cpu->fd, KVM_GET_MP_STATE, &mp))
		return;
	fprintf(stderr, "vmm: vCPU %u was at rip 0x%llx (cs 0x%x, %s), interrupts %s, %s\n",
		cpu->id, (unsigned long long)regs.rip, sregs.cs.selector,
		sregs.cs.l ? "64-bit" : !(sregs.cr0 & 1) ? "real mode" : "protected mode",
		regs.rflags & (1u << 9) ? "on" : "off",
		mp.mp_state == KVM_MP_STATE_HALTED ? "halted" : "running");
}

void *vcpu_thread(void *arg)
{
	struct vcpu *cpu = arg;
	void (*exit_done)(struct vcpu *, uint64_t) = cpu->vm->hooks.exit_done;
	uint64_t t0 = 0;
	bool timed = false;

	while (!vm_is_stopped(cpu->vm)) {
		if (timed)	/* from KVM_RUN's return to the next KVM_RUN */
			exit_done(cpu, clock_ns() - t0);
		int rc = ioctl(cpu->fd, KVM_RUN, 0);
		if (exit_done)
			t0 = clock_ns();
		timed = false;
		if (rc < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == EFAULT) {
				vcpu_efault(cpu);
				break;
			}
			char what[96];
			snprintf(what, sizeof(what), "KVM_RUN failed: %s", strerror(errno));
			vcpu_fail(cpu, VMM_EXIT_KVM_ERROR, what);
			break;
		}
		if (!vcpu_handle_exit(cpu))
			break;
		timed = exit_done != NULL;
	}
	if (cpu->vm->status == VMM_EXIT_TIMEOUT)
		vcpu_report_stall(cpu);
	return NULL;
}
