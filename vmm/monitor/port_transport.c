/* The port transport: guest RAM is where blocks and room lists live, the
 * room window is where rooms become reachable. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "port_transport.h"
#include "vm.h"

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
		    struct doors *doors, struct labyrinth *lab, unsigned ncpus)
{
	_Atomic uint64_t *held = calloc(lab_reach_words(lab), sizeof(*held));

	g->cpus = calloc(ncpus, sizeof(*g->cpus));
	if (!held || !g->cpus) {
		free(held);
		free(g->cpus);
		g->cpus = NULL;
		return -1;
	}
	g->ram = ram;
	g->ram_size = ram_size;
	g->doors = doors;
	g->ncpus = ncpus;
	lab_guest_init(&g->lab_guest, lab, &port_transport, g, held);
	for (unsigned i = 0; i < ncpus; i++)
		lab_caller_init(&g->cpus[i].caller, &g->lab_guest, i);
	return 0;
}

void port_guest_fini(struct port_guest *g)
{
	free(g->lab_guest.reach);
	g->lab_guest.reach = NULL;
	free(g->cpus);
	g->cpus = NULL;
}

void port_io(struct vcpu *cpu, uint16_t port, bool write, uint8_t *data, unsigned size,
	     void *opaque)
{
	struct port_guest *g = opaque;
	struct port_cpu *c = &g->cpus[cpu->id];
	uint32_t block = 0, magic = LAB_HC_PORT_MAGIC;
	struct lab_hc hc;
	(void)port;

	if (!write) {
		memcpy(data, &magic, size < 4 ? size : 4);
		return;
	}
	memcpy(&block, data, size < 4 ? size : 4);
	c->called = true;
	c->last_call = LAB_HC_NR;
	c->last_result = LAB_HC_EFAULT;
	if (!in_ram(g, block, sizeof(hc)))
		return;
	/* The header only: the union is used in place, by INFO and PANIC. */
	memcpy(&hc, g->ram + block, HC_HEADER);
	c->last_call = hc.call;
	c->last_count = hc.count;
	/* Before the call: INFO then tells no vector (port_pressure_vector). */
	if (hc.call == LAB_HC_INFO && (hc.flags & LAB_HC_INFO_PRESSURE_LINE))
		__atomic_store_n(&g->pressure_line, true, __ATOMIC_RELEASE);
	c->last_result = lab_dispatch(&c->caller, &hc, g->ram + block + HC_HEADER);
	memcpy(g->ram + block + offsetof(struct lab_hc, result), &c->last_result,
	       sizeof(c->last_result));
	if (c->caller.panicked && g->panicked)
		g->panicked(cpu, c->caller.panic_message);
}
