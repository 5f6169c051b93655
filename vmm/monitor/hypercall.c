/* Every field of the block is guest-controlled: the block is copied out of
 * guest RAM once, checked, and only the copy is used (no double fetch);
 * rooms_gpa[] likewise. A failed call changes nothing in the labyrinth. */
#include <stddef.h>
#include <string.h>

#include "hypercall.h"

/* hc: the block's header, copied out; u: the block's union, in guest RAM
 * (only INFO writes it and only PANIC reads it, so the hot calls never copy it). */
typedef int64_t (*hc_fn)(struct hc_cpu *cpu, struct lab_hc *hc, void *u);

#define HC_HEADER offsetof(struct lab_hc, u)

/* Is [gpa, gpa + len) inside guest RAM, 8-byte aligned, without overflow? */
static bool in_ram(const struct hc_guest *g, uint64_t gpa, uint64_t len)
{
	return (gpa & 7) == 0 && gpa <= g->ram_size && len <= g->ram_size - gpa;
}

static int64_t hc_null(struct hc_cpu *cpu, struct lab_hc *hc, void *u)
{
	(void)cpu, (void)hc, (void)u;
	return LAB_HC_OK;
}

static int64_t hc_info(struct hc_cpu *cpu, struct lab_hc *hc, void *u)
{
	struct hc_guest *g = cpu->guest;
	struct lab_census c;
	(void)hc;

	lab_census(g->lab, &c);
	struct lab_hc_info info = {
		.abi_version = LAB_HC_ABI_VERSION,
		.room_size = LAB_HC_ROOM_SIZE,
		.window_base = g->window->gpa,
		.window_size = g->window->size,
		.rooms_total = c.rooms,
		.rooms_free = c.free,
		.rooms_reserved = c.reserved,
		.guest_id = g->lab->guest,
		.corridors = c.corridors,
	};
	memcpy(u, &info, sizeof(info));
	return LAB_HC_OK;
}

/* Calls fn on each run of consecutive room indices in rooms[0..n). */
static int for_each_run(struct window *w, const uint32_t *rooms, unsigned n,
			int (*fn)(struct window *, uint32_t, uint32_t))
{
	for (unsigned i = 0; i < n;) {
		unsigned j = i + 1;
		while (j < n && rooms[j] == rooms[j - 1] + 1)
			j++;
		if (fn(w, rooms[i], j - i))
			return -1;
		i = j;
	}
	return 0;
}

static unsigned claim_flags(uint32_t flags)
{
	return (flags & LAB_HC_GFP_ATOMIC ? LAB_GFP_ATOMIC : LAB_GFP_NORMAL) |
	       (flags & LAB_HC_THISCORRIDOR ? LAB_THISCORRIDOR : 0);
}

static int64_t hc_claim(struct hc_cpu *cpu, struct lab_hc *hc, void *u)
{
	struct hc_guest *g = cpu->guest;
	uint32_t corridor = (hc->flags >> LAB_HC_CORRIDOR_SHIFT) & 0xff;
	unsigned n;
	(void)u;

	if (hc->flags & ~LAB_HC_FLAGS_VALID || corridor >= g->corridors)
		return LAB_HC_EINVAL;
	if (!in_ram(g, hc->rooms_gpa, (uint64_t)hc->count * sizeof(uint64_t)))
		return LAB_HC_EFAULT;

	n = lab_claim(&cpu->cursor, claim_flags(hc->flags), corridor, hc->count, cpu->rooms);
	if (n && (hc->flags & LAB_HC_EXCLUSIVE) && n < hc->count) {
		lab_release(&cpu->cursor, cpu->rooms, n);	/* all or nothing */
		n = 0;
	}
	if (n && for_each_run(g->window, cpu->rooms, n, window_map)) {
		for_each_run(g->window, cpu->rooms, n, window_unmap);
		lab_release(&cpu->cursor, cpu->rooms, n);
		n = 0;
	}
	if (!n)
		return LAB_HC_ENOMEM;
	for (unsigned i = 0; i < n; i++)
		cpu->gpas[i] = g->window->gpa + ((uint64_t)cpu->rooms[i] << LAB_ROOM_SHIFT);
	memcpy(g->ram + hc->rooms_gpa, cpu->gpas, n * sizeof(uint64_t));
	return n;
}

/* Address checks and ownership for the whole batch, before anything changes. */
static int64_t release_check(struct hc_cpu *cpu, unsigned n)
{
	struct hc_guest *g = cpu->guest;

	for (unsigned i = 0; i < n; i++) {
		uint64_t gpa = cpu->gpas[i];
		if (!window_contains(g->window, gpa))
			return LAB_HC_ERANGE;
		if (gpa & (LAB_HC_ROOM_SIZE - 1))
			return LAB_HC_EINVAL;
		cpu->rooms[i] = (uint32_t)((gpa - g->window->gpa) >> LAB_ROOM_SHIFT);
	}
	for (unsigned i = 0; i < n; i++) {
		uint32_t owner = lab_room_owner(g->lab, cpu->rooms[i]);
		if (owner == 0)
			return LAB_HC_EALREADY;
		if (lab_owner_guest(owner) != g->lab->guest)
			return LAB_HC_EPERM;
		for (unsigned j = 0; j < i; j++)
			if (cpu->rooms[j] == cpu->rooms[i])
				return LAB_HC_EALREADY;
	}
	return LAB_HC_OK;
}

static int64_t hc_release(struct hc_cpu *cpu, struct lab_hc *hc)
{
	struct hc_guest *g = cpu->guest;
	unsigned n = hc->count;
	int64_t rc;

	if (!in_ram(g, hc->rooms_gpa, (uint64_t)n * sizeof(uint64_t)))
		return LAB_HC_EFAULT;
	memcpy(cpu->gpas, g->ram + hc->rooms_gpa, n * sizeof(uint64_t));
	rc = release_check(cpu, n);
	if (rc)
		return rc;
	/* Unmap first: once this returns no vCPU of ours reaches the rooms, so
	 * the labyrinth may scrub them and hand them on. */
	if (for_each_run(g->window, cpu->rooms, n, window_unmap))
		return LAB_HC_EFAULT;	/* some still mapped: none may be released */
	rc = lab_release_guest(&cpu->cursor, cpu->rooms, n);
	return rc < 0 ? LAB_HC_EALREADY : LAB_HC_OK;
}

static int64_t hc_release_locked(struct hc_cpu *cpu, struct lab_hc *hc, void *u)
{
	(void)u;
	pthread_mutex_lock(&cpu->guest->release_lock);
	int64_t rc = hc_release(cpu, hc);
	pthread_mutex_unlock(&cpu->guest->release_lock);
	return rc;
}

static int64_t hc_panic(struct hc_cpu *cpu, struct lab_hc *hc, void *u)
{
	(void)hc;
	memcpy(cpu->panic_message, u, sizeof(cpu->panic_message));
	cpu->panic_message[sizeof(cpu->panic_message) - 1] = 0;
	cpu->panicked = true;
	return LAB_HC_OK;
}

static const hc_fn handlers[LAB_HC_NR] = {
	[LAB_HC_NULL] = hc_null,
	[LAB_HC_INFO] = hc_info,
	[LAB_HC_CLAIM] = hc_claim,
	[LAB_HC_RELEASE] = hc_release_locked,
	[LAB_HC_PANIC] = hc_panic,
};

static int64_t hc_batch_check(const struct lab_hc *hc)
{
	if (hc->call != LAB_HC_CLAIM && hc->call != LAB_HC_RELEASE)
		return LAB_HC_OK;
	if (hc->count == 0)
		return LAB_HC_EINVAL;
	return hc->count > LAB_HC_BATCH_MAX ? LAB_HC_E2BIG : LAB_HC_OK;
}

void hc_cpu_init(struct hc_cpu *cpu, struct hc_guest *guest, uint32_t vcpu)
{
	memset(cpu, 0, sizeof(*cpu));
	cpu->guest = guest;
	cpu->vcpu = vcpu;
	lab_cursor_init(&cpu->cursor, guest->lab, vcpu);
}

int64_t hc_dispatch(struct hc_cpu *cpu, uint64_t block)
{
	struct hc_guest *g = cpu->guest;
	struct lab_hc hc;
	int64_t rc;

	cpu->last_call = LAB_HC_NR;
	if (!in_ram(g, block, sizeof(hc)))
		return LAB_HC_EFAULT;
	memcpy(&hc, g->ram + block, HC_HEADER);
	cpu->last_call = hc.call;
	cpu->last_count = hc.count;
	if (hc.call >= LAB_HC_NR)
		rc = LAB_HC_ENOSYS;
	else if ((rc = hc_batch_check(&hc)) == LAB_HC_OK)
		rc = handlers[hc.call](cpu, &hc, g->ram + block + HC_HEADER);
	/* A held district is invisible to other claimers; a vCPU may not come
	 * back for a long time, so it never keeps one across exits. */
	if (hc.call == LAB_HC_CLAIM || hc.call == LAB_HC_RELEASE)
		lab_cursor_park(&cpu->cursor);
	memcpy(g->ram + block + offsetof(struct lab_hc, result), &rc, sizeof(rc));
	return rc;
}
