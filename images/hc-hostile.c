/*
 * A hostile guest: it attacks the labyrinth's exclusivity with its own
 * vCPUs, for secs=S seconds (default 2). The host judges the outcome from
 * outside (`labyrinth check` during and after, an honest guest beside it);
 * this image only reports what it did. mode= one of
 *   race       CPU 0 claims batches of up to 512 rooms and releases them;
 *              every other CPU keeps releasing the window's rooms in
 *              batches, blind, hoping to hit a room whose claim is still
 *              being made reachable (a release that wins frees a room CPU 0
 *              was about to be given).
 *   alternate  claims everything it can, releases every other room, then
 *              keeps claiming and releasing: the pattern that would split a
 *              window mapping per hole.
 *   write      CPU 0 keeps writing into the rooms it holds while CPU 1
 *              releases them under it: CPU 0's next touch of a released room
 *              must stop the VM (status 74), never reach a free room.
 * Prints "hc-hostile: mode=M claims=N releases=N won=N refused=N" and
 * exits 0 (the write mode usually ends earlier, stopped by the monitor).
 */
#include "bootinfo.h"
#include "tsc.h"
#include "hypercall.h"
#include "ipi.h"
#include "kernel.h"
#include "percpu.h"
#include "printf.h"
#include "smp.h"
#include "x86.h"

#define BATCH LAB_HC_BATCH_MAX
#define HOLD_MAX (1u << 17)

struct tally {
	u64 claims, releases, won, refused;
	u64 list[BATCH];
} __aligned(64);

static struct tally tallies[MAX_CPUS];
static u64 held[HOLD_MAX];		/* alternate and write: the rooms held */
static u32 nheld;
static u64 deadline;
static char mode[16];

static bool running(void)
{
	return rdtsc() < READ_ONCE(deadline);
}

static bool is_mode(const char *m)
{
	u32 i = 0;

	for (; m[i] && mode[i] == m[i]; i++)
		;
	return !m[i] && !mode[i];
}

static u64 room_gpa(u64 i)
{
	return lab_info.window_base + (i % (lab_info.window_size / LAB_ROOM_SIZE)) *
				      LAB_ROOM_SIZE;
}

/* CPU 0 of race: claim, then give back at once what was granted. */
static void race_claimer(struct tally *t)
{
	while (running()) {
		int64_t n = hc_claim(LAB_HC_GFP_NORMAL, BATCH, t->list);

		t->claims++;
		if (n <= 0)
			continue;
		/* Some of these may have been taken by a sibling meanwhile. */
		for (int64_t i = 0; i < n; i++)
			if (hc_release(1, &t->list[i]) == 0)
				t->releases++;
			else
				t->refused++;
	}
}

/* The other CPUs of race: blind batches of consecutive window rooms. */
static void race_releaser(struct tally *t, u32 cpu)
{
	u64 next = cpu * 7919;

	while (running()) {
		u32 n = 1 + (u32)(rdtsc() % 8);

		for (u32 i = 0; i < n; i++)
			t->list[i] = room_gpa(next + i);
		next += n;
		if (hc_release(n, t->list) == 0)
			t->won++;
		else
			t->refused++;
	}
}

static void claim_all(struct tally *t)
{
	while (nheld + BATCH <= HOLD_MAX) {
		int64_t n = hc_claim(LAB_HC_GFP_NORMAL, BATCH, &held[nheld]);

		t->claims++;
		if (n <= 0)
			break;
		nheld += (u32)n;
	}
}

/* Keep every other room: the holes the window would split at. */
static void alternate(struct tally *t)
{
	u32 kept = 0;

	claim_all(t);
	for (u32 i = 0; i < nheld; i += 2 * BATCH) {
		u32 n = 0;

		for (u32 k = i; k < nheld && k < i + 2 * BATCH; k++) {
			if (k % 2)
				t->list[n++] = held[k];
			else
				held[kept++] = held[k];
		}
		if (n && hc_release(n, t->list) == 0)
			t->releases += n;
		else if (n)
			t->refused++;
	}
	nheld = kept;
	while (running()) {
		int64_t n = hc_claim(LAB_HC_GFP_NORMAL, BATCH, t->list);

		t->claims++;
		if (n > 0 && hc_release((u32)n, t->list) == 0)
			t->releases += (u64)n;
		else if (n > 0)
			t->refused++;
	}
}

static void write_loop(struct tally *t)
{
	while (running()) {
		u32 n = READ_ONCE(nheld);

		for (u32 i = 0; i < n; i++)
			*(volatile u64 *)(uintptr_t)held[i] = rdtsc();
		t->claims++;
	}
}

/* CPU 1 of write: claim a batch for CPU 0, then release it under it. */
static void write_releaser(struct tally *t)
{
	while (running()) {
		int64_t n = hc_claim(LAB_HC_GFP_NORMAL, 64, held);

		if (n <= 0)
			continue;
		WRITE_ONCE(nheld, (u32)n);
		for (u32 spin = 0; spin < 1000; spin++)
			cpu_relax();
		if (hc_release((u32)n, held) == 0)
			t->releases += (u64)n;
		else
			t->refused++;
		WRITE_ONCE(nheld, 0);
	}
}

static void attack(void *arg)
{
	u32 cpu = this_cpu()->cpu;
	struct tally *t = &tallies[cpu];

	(void)arg;
	if (is_mode("race"))
		cpu == 0 ? race_claimer(t) : race_releaser(t, cpu);
	else if (is_mode("alternate") && cpu == 0)
		alternate(t);
	else if (is_mode("write"))
		cpu == 0 ? write_loop(t) : cpu == 1 ? write_releaser(t) : (void)0;
}

int main(void)
{
	u64 secs = cmdline_get_u64("secs", 2), claims = 0, releases = 0, won = 0, refused = 0;
	u32 n;

	if (!cmdline_get("mode", mode, sizeof(mode)))
		mode[0] = 0;
	if (!is_mode("race") && !is_mode("alternate") && !is_mode("write")) {
		printf("hc-hostile: mode=race|alternate|write\n");
		return 2;
	}
	if (lab_connect()) {
		printf("hc-hostile: no labyrinth\n");
		return 1;
	}
	n = smp_init();
	WRITE_ONCE(deadline, rdtsc() + tsc_from_us(secs * 1000000));
	smp_run_on_all(n, attack, NULL, 20000000);
	for (u32 cpu = 0; cpu < n; cpu++) {
		claims += tallies[cpu].claims;
		releases += tallies[cpu].releases;
		won += tallies[cpu].won;
		refused += tallies[cpu].refused;
	}
	/* Whatever is still held goes back with the VM (the monitor returns it). */
	printf("hc-hostile: mode=%s cpus=%u claims=%lu releases=%lu won=%lu refused=%lu\n",
	       mode, n, claims, releases, won, refused);
	return 0;
}
