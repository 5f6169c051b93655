#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acpi.h"
#include "call_stats.h"
#include "exit_status.h"
#include "doors.h"
#include "labyrinth_audit.h"
#include "labyrinth_device.h"
#include "port_transport.h"
#include "pressure_signal.h"
#include "vm.h"

/* One per vCPU: the statistics' samples. */
struct labdev_cpu {
	struct call_stats *stats;	/* --hc-stats, else NULL */
	uint64_t nulls;
};

/* One monitor runs one VM: the device is its one labyrinth lease. */
static struct {
	struct labyrinth *lab;
	struct doors doors;		/* claimed rooms appear here */
	struct port_guest guest;	/* the port: the guest's calls */
	struct labdev_cpu cpus[VMM_MAX_CPUS];
} dev;

/* A call was the guest's own panic: it ends this VM. */
static void labdev_panicked(struct vcpu *cpu, const char *message)
{
	fprintf(stderr, "vmm: guest %u vCPU %u panicked: %s\n", lab_guest_id(dev.lab),
		cpu->id, message);
	vm_stop(cpu->vm, VMM_EXIT_GUEST_PANIC);
}

/* A touch of a window address this guest holds no room at: the guest is
 * stopped (it cannot have meant it; the address may be another's room). */
static void labdev_room_fault(struct vcpu *cpu, uint64_t gpa)
{
	volatile const uint8_t *room = (const uint8_t *)lab_pool(dev.lab) +
				       ((gpa - dev.doors.gpa) & ~(uint64_t)0xfff);
	char what[128];

	/* Before blaming the guest, the host reads the room through its own
	 * mapping of the pool: if the room's file was cut short, the read is
	 * the SIGBUS that lab_exit_on_shrink() turns into its one line. */
	(void)*room;
	snprintf(what, sizeof(what), "guest %u touched unclaimed room-window address 0x%llx",
		 lab_guest_id(dev.lab), (unsigned long long)gpa);
	vcpu_fail(cpu, VMM_EXIT_WINDOW_FAULT, what);
}

/* An EFAULT nothing explains may be a room file cut short under us (a
 * page past its end is a SIGBUS, never a userfault): the host reads the
 * last room of every extent through its own mapping of the pool, and if
 * one is gone that read is lab_exit_on_shrink()'s one line. */
static void labdev_check_pool(void)
{
	uint64_t span = (uint64_t)lab_extent_rooms(dev.lab) * LAB_ROOM_SIZE;
	volatile const uint8_t *pool = lab_pool(dev.lab);
	size_t size = lab_pool_size(dev.lab);

	for (uint64_t at = 0; at < size; at += span)
		(void)pool[(at + span < size ? at + span : size) - 1];
}

/* An MMIO exit in the window (a PVM host's kernel-mode touch), an EFAULT
 * KVM placed there, or one whose touch the doors' watcher saw. */
static bool labdev_explain_fault(struct vcpu *cpu, const struct vm_fault *f)
{
	uint64_t gpa = f->gpa;

	if (f->has_gpa && doors_contains(&dev.doors, gpa)) {
		labdev_room_fault(cpu, gpa);
		return true;
	}
	if (!f->efault)
		return false;
	if (doors_fault_gpa(&dev.doors, (uint32_t)gettid(), &gpa)) {
		labdev_room_fault(cpu, gpa);
		return true;
	}
	labdev_check_pool();
	return false;
}

/* Only the exits that were calls are timed: what the doors' primitive took
 * of them is theirs, the rest the monitor's own. */
static void labdev_exit_done(struct vcpu *cpu, uint64_t ns)
{
	struct labdev_cpu *c = &dev.cpus[cpu->id];
	struct port_cpu *p = &dev.guest.cpus[cpu->id];

	if (!p->called)
		return;
	p->called = false;
	call_stats_record(c->stats, p->last_call, p->last_count, ns, doors_ns);
	doors_ns = 0;
	/* Rarely, so the guest's own NULL medians stay unskewed. */
	if (p->last_call == LAB_HC_NULL && ++c->nulls % 16 == 0)
		call_stats_probe_syscalls(c->stats);
}

static const char *attach_error(int rc)
{
	switch (rc) {
	case LAB_ENOENT: return "no labyrinth of that name (make it with `labyrinth create`)";
	case LAB_EBUSY: return "every lease slot is taken";
	case LAB_EPROTO: return "its shared memory is not a labyrinth";
	default: return strerror(-rc);
	}
}

static const char *limits_error(int rc)
{
	switch (rc) {
	case LAB_ENOSPC: return "the guarantees of its guests would pass its rooms less its reserve";
	default: return "min above max";
	}
}

/* What a guest must find before it touches the port (labyrinth_abi.h):
 * the port, the window, the pressure line, as an ACPI device. */
static void describe(const struct doors *g)
{
	struct acpi_crs crs = {.len = 0};

	acpi_crs_io(&crs, LAB_HC_PORT, LAB_HC_PORT_SIZE);
	acpi_crs_memory64(&crs, g->gpa, g->size);
	acpi_crs_irq(&crs, PRESSURE_IRQ);
	acpi_add_device("LABY", LAB_HC_ACPI_HID, &crs);
}

static int labdev_limit(const char *name, const struct lab_limits *limits)
{
	char max[16] = "none";	/* not 4294967295 when not given */
	int rc;

	if (limits->max == LAB_UNLIMITED && !limits->min)
		return 0;
	rc = lab_limits_set(dev.lab, lab_guest_id(dev.lab), limits->max, limits->min);
	if (!rc)
		return 0;
	if (limits->max != LAB_UNLIMITED)
		snprintf(max, sizeof(max), "%u", limits->max);
	fprintf(stderr, "vmm: cannot give this guest --max-rooms %s --min-rooms %u "
		"in labyrinth %s: %s\n", max, limits->min, name ? name : "(private)",
		limits_error(rc));
	return -1;
}

int labdev_attach(struct vm *vm, const char *name, uint32_t rooms,
		  const struct lab_limits *limits)
{
	struct lab_geometry geo = {.rooms = rooms, .corridors = 1, .reserve = rooms / 64};
	int rc;

	/* A named labyrinth's files can be cut short under us by whoever may
	 * write them: one line and our status, not a death by SIGBUS. */
	if (name)
		lab_exit_on_shrink("vmm: labyrinth", name, VMM_EXIT_LABYRINTH);
	rc = name ? lab_attach(name, &dev.lab) : lab_create_private(&geo, &dev.lab);
	if (rc < 0) {
		fprintf(stderr, "vmm: cannot %s labyrinth%s%s: %s\n",
			name ? "attach to" : "create a private", name ? " " : "", name ? name : "",
			attach_error(rc));
		return VMM_EXIT_LABYRINTH;
	}
	if (labdev_limit(name, limits)) {
		lab_detach(dev.lab);
		dev.lab = NULL;
		return VMM_EXIT_LABYRINTH;
	}
	if (doors_init(&dev.doors, LABDEV_WINDOW_GPA, dev.lab))
		return VMM_EXIT_HOST;
	if (port_guest_init(&dev.guest, vm->ram, vm->ram_size, &dev.doors, dev.lab,
			    VMM_MAX_CPUS))
		return VMM_EXIT_HOST;
	dev.guest.panicked = labdev_panicked;
	describe(&dev.doors);
	lab_publish_window(dev.lab, dev.doors.va, dev.doors.size);
	lab_scrubber_start(dev.lab);
	return 0;
}

static int labdev_stats_start(struct vm *vm)
{
	doors_timing = true;
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (!(dev.cpus[i].stats = calloc(1, sizeof(struct call_stats))))
			return -1;
	vm->hooks.exit_done = labdev_exit_done;
	return 0;
}

int labdev_init(struct vm *vm, bool stats)
{
	if (doors_register(&dev.doors, vm->fd, LABDEV_WINDOW_SLOT))
		return -1;
	vm->hooks.explain_fault = labdev_explain_fault;
	if (stats && labdev_stats_start(vm))
		return -1;
	if (pressure_signal_start(vm, &dev.guest, dev.lab))
		return -1;
	dev.guest.pressure_vector = LAB_HC_PRESSURE_VECTOR;
	return pio_register(LAB_HC_PORT, LAB_HC_PORT_SIZE, port_io, &dev.guest);
}

void labdev_print_stats(const struct vm *vm)
{
	struct call_stats *per_cpu[VMM_MAX_CPUS];

	if (!dev.cpus[0].stats)
		return;
	for (unsigned i = 0; i < vm->ncpus; i++)
		per_cpu[i] = dev.cpus[i].stats;
	call_stats_print(per_cpu, vm->ncpus, STDERR_FILENO);
}

void labdev_fini(struct vm *vm)
{
	pressure_signal_stop();
	if (!dev.lab)
		return;
	for (unsigned i = 0; dev.guest.cpus && i < vm->ncpus; i++) {
		lab_cursor_park(&dev.guest.cpus[i].caller.cursor);
		lab_caller_flush(&dev.guest.cpus[i].caller);
	}
	lab_scrubber_stop(dev.lab);
	/* The doors go first: no mapping of ours survives the rooms' release. */
	doors_fini(&dev.doors);
	port_guest_fini(&dev.guest);
	lab_detach(dev.lab);
	dev.lab = NULL;
}
