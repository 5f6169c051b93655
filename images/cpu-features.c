/* Every CPUID feature in the table below that the VMM advertises is used
 * once, from kernel mode: an advertised feature that does not work ends the
 * image with an exception (status 32 + vector) or a KVM emulation failure.
 * Features not advertised are skipped. The raw leaves are printed first. */
#include "kernel.h"
#include "printf.h"
#include "report.h"
#include "x86.h"

enum reg { EAX, EBX, ECX, EDX };

struct feature {
	u32 leaf;
	enum reg reg;
	u32 bit;
	const char *name;
	bool (*use)(void);
};

#define CR4_PGE (1ull << 7)
#define CR4_UMIP (1ull << 11)
#define CR4_FSGSBASE (1ull << 16)
#define CR4_PCIDE (1ull << 17)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define EFER_SCE (1ull << 0)
#define EFER_NXE (1ull << 11)
#define MSR_SYSENTER_CS 0x174
#define MSR_MTRRCAP 0xfe
#define MSR_PAT 0x277
#define MSR_TSC_ADJUST 0x3b
#define MSR_STAR 0xc0000081
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define MSR_KVM_POLL_CONTROL 0x4b564d05
#define KVM_LEAF 0x40000001

static u64 read_cr4(void)
{
	u64 v;
	__asm__ __volatile__("mov %%cr4, %0" : "=r"(v));
	return v;
}

static void write_cr4(u64 v)
{
	__asm__ __volatile__("mov %0, %%cr4" : : "r"(v) : "memory");
}

/* Sets a CR4 bit and clears it again: the feature's enable must not #GP. */
static bool toggle_cr4(u64 bit)
{
	u64 cr4 = read_cr4();
	write_cr4(cr4 | bit);
	bool set = read_cr4() & bit;
	write_cr4(cr4);
	return set;
}

static bool use_tsc(void) { u64 a = rdtsc(); return rdtsc() >= a; }
static bool use_msr(void) { return rdmsr(0x10) != 0; }
static bool use_pge(void) { return toggle_cr4(CR4_PGE); }
static bool use_sep(void) { (void)rdmsr(MSR_SYSENTER_CS); return true; }
static bool use_mtrr(void) { (void)rdmsr(MSR_MTRRCAP); return true; }
static bool use_pat(void) { return rdmsr(MSR_PAT) != 0; }
static bool use_tsc_adjust(void) { (void)rdmsr(MSR_TSC_ADJUST); return true; }
static bool use_umip(void) { return toggle_cr4(CR4_UMIP); }
static bool use_pcid(void) { return toggle_cr4(CR4_PCIDE); }
static bool use_smep(void) { return toggle_cr4(CR4_SMEP); }
static bool use_smap(void) { return toggle_cr4(CR4_SMAP); }
static bool use_tsc_deadline(void) { wrmsr(MSR_TSC_DEADLINE, 0); return true; }

static bool use_cx8(void)
{
	static volatile u64 v = 1;
	u32 lo = 1, hi = 0;
	__asm__ __volatile__("lock cmpxchg8b %0" : "+m"(v), "+a"(lo), "+d"(hi)
			     : "b"(2), "c"(0) : "memory", "cc");
	return v == 2;
}

static bool use_cx16(void)
{
	static volatile u64 v[2] __aligned(16) = {1, 0};
	u64 lo = 1, hi = 0;
	__asm__ __volatile__("lock cmpxchg16b %0" : "+m"(*v), "+a"(lo), "+d"(hi)
			     : "b"(2ull), "c"(0ull) : "memory", "cc");
	return v[0] == 2;
}

static bool use_cmov(void)
{
	u64 r = 1;
	__asm__ __volatile__("cmp %1, %1; cmove %2, %0" : "+r"(r) : "r"(0ull), "r"(7ull) : "cc");
	return r == 7;
}

static bool use_clflush(void)
{
	static volatile u64 line;
	__asm__ __volatile__("clflush %0" : "+m"(line));
	return true;
}

static bool use_clflushopt(void)
{
	static volatile u64 line;
	__asm__ __volatile__("clflushopt %0" : "+m"(line));
	return true;
}

static bool use_fxsr(void)
{
	static u8 area[512] __aligned(16);
	__asm__ __volatile__("fxsave64 %0; fxrstor64 %0" : "+m"(area));
	return true;
}

static bool use_rdtscp(void)
{
	u32 lo, hi, aux;
	__asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	return true;
}

static bool use_efer_bit(u64 bit)
{
	u64 efer = rdmsr(MSR_EFER);
	wrmsr(MSR_EFER, efer | bit);
	return rdmsr(MSR_EFER) & bit;
}

static bool use_nx(void) { return use_efer_bit(EFER_NXE); }
static bool use_syscall(void) { (void)rdmsr(MSR_STAR); return use_efer_bit(EFER_SCE); }

static bool use_fsgsbase(void)
{
	u64 cr4 = read_cr4(), v = 0x1000, got;
	write_cr4(cr4 | CR4_FSGSBASE);
	__asm__ __volatile__("rdfsbase %0; wrfsbase %1; rdfsbase %1; wrfsbase %0"
			     : "=&r"(got), "+r"(v) : : "memory");
	write_cr4(cr4);
	return v == 0x1000;
}

/* kvmclock: KVM fills the structure on the next entry; its version is even when stable. */
static bool use_kvmclock(void)
{
	static volatile struct {
		u32 version, pad0;
		u64 tsc_timestamp, system_time;
		u32 tsc_to_system_mul;
		int8_t tsc_shift;
		u8 flags, pad[2];
	} __aligned(64) pvclock;
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (u64)(uintptr_t)&pvclock | 1);
	outb(0x80, 0);		/* an exit, so KVM updates the clock before we look */
	bool ok = pvclock.version && !(pvclock.version & 1) && pvclock.tsc_to_system_mul;
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, 0);
	return ok;
}

static bool use_poll_control(void) { wrmsr(MSR_KVM_POLL_CONTROL, 1); return true; }

static const struct feature features[] = {
	{1, EDX, 4, "tsc", use_tsc},
	{1, EDX, 5, "msr", use_msr},
	{1, EDX, 8, "cx8", use_cx8},
	{1, EDX, 11, "sep", use_sep},
	{1, EDX, 12, "mtrr", use_mtrr},
	{1, EDX, 13, "pge", use_pge},
	{1, EDX, 15, "cmov", use_cmov},
	{1, EDX, 16, "pat", use_pat},
	{1, EDX, 19, "clflush", use_clflush},
	{1, EDX, 24, "fxsr", use_fxsr},
	{1, ECX, 13, "cx16", use_cx16},
	{1, ECX, 17, "pcid", use_pcid},
	{1, ECX, 24, "tsc-deadline", use_tsc_deadline},
	{7, EBX, 0, "fsgsbase", use_fsgsbase},
	{7, EBX, 1, "tsc-adjust", use_tsc_adjust},
	{7, EBX, 7, "smep", use_smep},
	{7, EBX, 20, "smap", use_smap},
	{7, EBX, 23, "clflushopt", use_clflushopt},
	{7, ECX, 2, "umip", use_umip},
	{0x80000001, EDX, 11, "syscall", use_syscall},
	{0x80000001, EDX, 20, "nx", use_nx},
	{0x80000001, EDX, 27, "rdtscp", use_rdtscp},
	{KVM_LEAF, EAX, 3, "kvmclock", use_kvmclock},
	{KVM_LEAF, EAX, 12, "kvm-poll-control", use_poll_control},
};

/* The hypercall-based PV features: `vmcall` never returns on this host. */
static const struct feature hypercalls[] = {
	{KVM_LEAF, EAX, 7, "kvm-pv-unhalt", NULL},
	{KVM_LEAF, EAX, 11, "kvm-pv-ipi", NULL},
	{KVM_LEAF, EAX, 13, "kvm-pv-sched-yield", NULL},
};

static u32 max_leaf(u32 base)
{
	u32 a, b, c, d;
	cpuid(base, 0, &a, &b, &c, &d);
	return a;
}

static bool has_leaf(u32 leaf)
{
	u32 base = leaf & 0xffff0000u;
	if (base == 0x40000000u) {	/* KVM's signature must be there first */
		u32 a, b, c, d;
		cpuid(base, 0, &a, &b, &c, &d);
		return b == 0x4b4d564b && a >= leaf;
	}
	return max_leaf(base) >= leaf;
}

static bool advertised(const struct feature *f)
{
	u32 r[4];
	if (!has_leaf(f->leaf))
		return false;
	cpuid(f->leaf, 0, &r[EAX], &r[EBX], &r[ECX], &r[EDX]);
	return r[f->reg] & (1u << f->bit);
}

static void print_leaf(u32 leaf)
{
	u32 a = 0, b = 0, c = 0, d = 0;
	if (has_leaf(leaf))
		cpuid(leaf, 0, &a, &b, &c, &d);
	printf("cpuid 0x%08x: eax=%08x ebx=%08x ecx=%08x edx=%08x\n", leaf, a, b, c, d);
}

int main(void)
{
	print_leaf(1);
	print_leaf(7);
	print_leaf(0x80000001);
	print_leaf(KVM_LEAF);
	for (u32 i = 0; i < ARRAY_SIZE(features); i++) {
		if (!advertised(&features[i])) {
			report_skip("%s: not advertised", features[i].name);
			continue;
		}
		printf("using %s\n", features[i].name);
		report(features[i].use(), "%s: advertised and works", features[i].name);
	}
	/* This host's KVM shows leaf 7 as the host has it, whatever a VMM sets,
	 * and its emulator lacks CLWB (and XSAVE) in kernel mode: using them
	 * would end the run on a limit no VMM here can lift. */
	report_skip("clwb, xsave: advertised by this host's KVM itself, not emulated in kernel mode");
	for (u32 i = 0; i < ARRAY_SIZE(hypercalls); i++)
		report(!advertised(&hypercalls[i]),
		       "%s: not advertised (a hypercall, and vmcall never returns here)",
		       hypercalls[i].name);
	return report_summary();
}
