/*
 * Two guests on one labyrinth, every vCPU claiming and releasing at once.
 * Each CPU, for secs=S seconds (default 2): claims a
 * batch of 1..16 rooms, writes (guest_id, room gpa, cpu) into the first 24
 * bytes of each, keeps up to 64, checks the markers of all it holds, then
 * releases a random few. A bitmap indexed by room, shared by the CPUs,
 * catches a room handed to two CPUs of this guest; a room handed to the
 * other guest too would show as an overwritten marker. At the end every
 * CPU checks and releases all it holds.
 * Prints "hc-share: guest=G cpus=C claimed=N released=N violations=V";
 * exits 0 only if V == 0 and claimed == released.
 */
#include "bootinfo.h"
#include "tsc.h"
#include "hypercall.h"
#include "ipi.h"
#include "kernel.h"
#include "layout.h"
#include "percpu.h"
#include "printf.h"
#include "smp.h"
#include "window.h"
#include "x86.h"

#define HOLD_MAX 64
#define BATCH_MAX 16
#define BITMAP_ROOMS (1u << 20)
#define REPORT_MAX 8

struct marker {
	u64 guest, gpa, cpu;
};

struct worker {
	u64 held[HOLD_MAX];
	u64 batch[BATCH_MAX > HOLD_MAX ? BATCH_MAX : HOLD_MAX];
	u32 nheld;
	u64 claimed, released, violations, enomem, rounds;
	u64 rng;
} __aligned(64);

static struct worker workers[MAX_CPUS];
static u64 in_use[BITMAP_ROOMS / 64];	/* bit i: room i held by one of our CPUs */
static u64 deadline;
static u32 reported;

static void violation(struct worker *w, const char *fmt, u64 a, u64 b)
{
	w->violations++;
	if (__atomic_fetch_add(&reported, 1, __ATOMIC_RELAXED) < REPORT_MAX) {
		printf("hc-share: violation on cpu %u: ", this_cpu()->cpu);
		printf(fmt, a, b);
		printf("\n");
	}
}

static u64 next_random(struct worker *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng;
}

static u64 room_index(u64 gpa)
{
	return (gpa - lab_info.window_base) / LAB_ROOM_SIZE;
}

/* Marks the room ours; false if a CPU of ours already held it. */
static bool take(u64 gpa)
{
	u64 i = room_index(gpa);

	if (i >= BITMAP_ROOMS)
		return true;
	return !(__atomic_fetch_or(&in_use[i / 64], 1ull << (i % 64), __ATOMIC_ACQ_REL) &
		 (1ull << (i % 64)));
}

static bool give_back(u64 gpa)
{
	u64 i = room_index(gpa);

	if (i >= BITMAP_ROOMS)
		return true;
	return __atomic_fetch_and(&in_use[i / 64], ~(1ull << (i % 64)), __ATOMIC_ACQ_REL) &
	       (1ull << (i % 64));
}

static void check_marker(struct worker *w, u64 gpa)
{
	const volatile struct marker *m = (const volatile struct marker *)(uintptr_t)gpa;

	if (m->guest != lab_info.guest_id || m->gpa != gpa || m->cpu != this_cpu()->cpu)
		violation(w, "room 0x%lx marker names gpa 0x%lx (or another guest or cpu)", gpa,
			  m->gpa);
}

static void claim_some(struct worker *w)
{
	u32 want = 1 + (u32)(next_random(w) % BATCH_MAX);
	int64_t rc;

	if (want > HOLD_MAX - w->nheld)
		want = HOLD_MAX - w->nheld;
	if (!want)
		return;
	rc = hc_claim(LAB_HC_GFP_NORMAL, want, w->batch);
	if (rc == LAB_HC_ENOMEM) {
		w->enomem++;
		return;
	}
	if (rc <= 0 || rc > want) {
		violation(w, "CLAIM %lu returned %ld", want, (u64)rc);
		return;
	}
	for (u32 i = 0; i < (u32)rc; i++) {
		u64 gpa = w->batch[i];
		volatile struct marker *m = (volatile struct marker *)(uintptr_t)gpa;
		if (!window_spans_room(gpa)) {
			violation(w, "CLAIM gave 0x%lx, not a window room (%lu)", gpa, 0);
			continue;
		}
		if (!take(gpa))
			violation(w, "room 0x%lx handed out twice (index %lu)", gpa, room_index(gpa));
		m->guest = lab_info.guest_id;
		m->gpa = gpa;
		m->cpu = this_cpu()->cpu;
		w->held[w->nheld++] = gpa;
	}
	w->claimed += (u64)rc;
}

/* Releases @n held rooms chosen at random (all of them if n == nheld). */
static void release_some(struct worker *w, u32 n)
{
	int64_t rc;

	for (u32 i = 0; i < n; i++) {
		u32 pick = (u32)(next_random(w) % w->nheld);
		u64 gpa = w->held[pick];
		w->held[pick] = w->held[--w->nheld];
		/* Cleared before the release: afterwards another CPU may get it. */
		if (!give_back(gpa))
			violation(w, "room 0x%lx was not marked held (index %lu)", gpa,
				  room_index(gpa));
		w->batch[i] = gpa;
	}
	if (!n)
		return;
	rc = hc_release(n, w->batch);
	if (rc != LAB_HC_OK)
		violation(w, "RELEASE of %lu rooms: %ld", n, (u64)rc);
	else
		w->released += n;
}

static void work(void *arg)
{
	struct worker *w = &workers[this_cpu()->cpu];

	(void)arg;
	w->rng = rdtsc() ^ ((u64)this_cpu()->cpu << 32) ^ 0x9e3779b97f4a7c15ull;
	while (rdtsc() < READ_ONCE(deadline)) {
		if (w->nheld < HOLD_MAX)
			claim_some(w);
		for (u32 i = 0; i < w->nheld; i++)
			check_marker(w, w->held[i]);
		if (w->nheld)
			release_some(w, (u32)(next_random(w) % (w->nheld + 1)) / 2);
		w->rounds++;
	}
	for (u32 i = 0; i < w->nheld; i++)
		check_marker(w, w->held[i]);
	release_some(w, w->nheld);
}

int main(void)
{
	u64 secs = cmdline_get_u64("secs", 2);
	u64 claimed = 0, released = 0, violations = 0, enomem = 0, rounds = 0;
	int rc = lab_connect();
	u32 n, late;

	if (rc) {
		printf("hc-share: no labyrinth (rc %d)\n", rc);
		return 1;
	}
	n = smp_init();
	WRITE_ONCE(deadline, rdtsc() + tsc_from_us(secs * 1000000));
	late = smp_run_on_all(n, work, NULL, 10000000);
	if (late) {
		printf("hc-share: %u cpus did not finish in time\n", late);
		violations += late;
	}
	for (u32 cpu = 0; cpu < n; cpu++) {
		struct worker *w = &workers[cpu];
		claimed += w->claimed;
		released += w->released;
		violations += w->violations;
		enomem += w->enomem;
		rounds += w->rounds;
	}
	printf("hc-share: rounds=%lu enomem=%lu\n", rounds, enomem);
	printf("hc-share: guest=%u cpus=%u claimed=%lu released=%lu violations=%lu\n",
	       lab_info.guest_id, n, claimed, released, violations);
	return !violations && claimed == released ? 0 : 1;
}
