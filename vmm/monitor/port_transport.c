/* The port transport: guest RAM is where blocks and room lists live, the
 * room window is where rooms become reachable. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "port_transport.h"

#define HC_HEADER offsetof(struct lab_hc, u)

/* Is [gpa, gpa + len) inside guest RAM, 8-byte aligned, without overflow? */
static bool in_ram(const struct port_guest *g, uint64_t gpa, uint64_t len)
{
	return (gpa & 7) == 0 && gpa <= g->ram_size && len <= g->ram_size - gpa;
}

static uint64_t *port_room_list(void *t, uint64_t gpa, unsigned n)
{
	struct port_guest *g = t;

	if (!in_ram(g, gpa, (uint64_t)n * sizeof(uint64_t)))
		return NULL;
	return (uint64_t *)(g->ram + gpa);
}

static void port_unreach(void *t, const uint32_t *rooms, unsigned n)
{
	struct port_guest *g = t;

	if (doors_turn(g->doors, rooms, n, false))
		doors_broken(g->doors);
}

static int port_reach(void *t, const uint32_t *rooms, unsigned n)
{
	struct port_guest *g = t;

	if (doors_turn(g->doors, rooms, n, true)) {
		port_unreach(t, rooms, n);
		return -1;
	}
	return 0;
}

/* The window covers the whole pool: room i at its base + i * 4 KiB. */
static void port_window(void *t, uint64_t *base, uint64_t *size, uint32_t *first_room)
{
	struct port_guest *g = t;

	*base = g->doors->gpa;
	*size = g->doors->size;
	*first_room = 0;
}

static uint32_t port_space(void *t)
{
	(void)t;
	return UINT32_MAX;	/* the window covers the whole pool */
}

/* Asked by INFO: from then on the guest knows the vector, and may get it. */
static uint32_t port_pressure_vector(void *t)
{
	struct port_guest *g = t;

	if (__atomic_load_n(&g->pressure_line, __ATOMIC_ACQUIRE))
		return 0;
	if (g->pressure_vector)
		__atomic_store_n(&g->pressure_told, true, __ATOMIC_RELEASE);
	return g->pressure_vector;
}

static const struct lab_transport port_transport = {
	.room_list = port_room_list,
	.reach = port_reach,
	.unreach = port_unreach,
	.window = port_window,
	.space = port_space,
	.pressure_vector = port_pressure_vector,
};

int port_guest_init(struct port_guest *g, uint8_t *ram, uint64_t ram_size,
		  struct doors *doors, struct labyrinth *lab)
{
	_Atomic uint64_t *held = calloc(lab_reach_words(lab), sizeof(*held));

	if (!held)
		return -1;
	g->ram = ram;
	g->ram_size = ram_size;
	g->doors = doors;
	lab_guest_init(&g->lab_guest, lab, &port_transport, g, held);
	return 0;
}

void port_guest_fini(struct port_guest *g)
{
	free(g->lab_guest.reach);
	g->lab_guest.reach = NULL;
}

void port_cpu_init(struct port_cpu *cpu, struct port_guest *guest, uint32_t vcpu)
{
	memset(cpu, 0, sizeof(*cpu));
	cpu->guest = guest;
	cpu->vcpu = vcpu;
	lab_caller_init(&cpu->caller, &guest->lab_guest, vcpu);
}

int64_t port_call(struct port_cpu *cpu, uint64_t block)
{
	struct port_guest *g = cpu->guest;
	struct lab_hc hc;
	int64_t rc;

	cpu->last_call = LAB_HC_NR;
	if (!in_ram(g, block, sizeof(hc)))
		return LAB_HC_EFAULT;
	/* The header only: the union is used in place, by INFO and PANIC. */
	memcpy(&hc, g->ram + block, HC_HEADER);
	cpu->last_call = hc.call;
	/* Before the call: INFO then tells no vector (port_pressure_vector). */
	if (hc.call == LAB_HC_INFO && (hc.flags & LAB_HC_INFO_PRESSURE_LINE))
		__atomic_store_n(&g->pressure_line, true, __ATOMIC_RELEASE);
	cpu->last_count = hc.count;
	rc = lab_dispatch(&cpu->caller, &hc, g->ram + block + HC_HEADER);
	memcpy(g->ram + block + offsetof(struct lab_hc, result), &rc, sizeof(rc));
	return rc;
}
