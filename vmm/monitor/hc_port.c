#include <stdio.h>
#include <string.h>

#include "acpi.h"
#include "exit_status.h"
#include "hc_port.h"
#include "labyrinth_audit.h"
#include "pio.h"
#include "pressure.h"
#include "vm.h"

static void hc_port_io(struct vcpu *cpu, uint16_t port, bool write, uint8_t *data,
		       unsigned size, void *opaque)
{
	uint32_t block = 0;
	(void)port, (void)opaque;

	if (!write) {
		uint32_t magic = LAB_HC_PORT_MAGIC;
		memcpy(data, &magic, size < 4 ? size : 4);
		return;
	}
	memcpy(&block, data, size < 4 ? size : 4);
	hc_dispatch(&cpu->hc, block);
	if (cpu->hc.caller.panicked) {
		fprintf(stderr, "vmm: guest %u vCPU %u panicked: %s\n", lab_guest_id(cpu->vm->lab),
			cpu->id, cpu->hc.caller.panic_message);
		vm_stop(cpu->vm, VMM_EXIT_GUEST_PANIC);
	}
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
static void describe(const struct window *w)
{
	struct acpi_crs crs = {.len = 0};

	acpi_crs_io(&crs, LAB_HC_PORT, LAB_HC_PORT_SIZE);
	acpi_crs_memory64(&crs, w->gpa, w->size);
	acpi_crs_irq(&crs, PRESSURE_IRQ);
	acpi_add_device("LABY", LAB_HC_ACPI_HID, &crs);
}

int hc_port_attach(struct vm *vm, const char *name, uint32_t rooms,
		   const struct lab_limits *limits)
{
	struct lab_geometry geo = {.rooms = rooms, .corridors = 1, .reserve = rooms / 64};
	int rc;

	/* A named labyrinth's files can be cut short under us by whoever may
	 * write them: one line and our status, not a death by SIGBUS. */
	if (name)
		lab_exit_on_shrink("vmm: labyrinth", name, VMM_EXIT_LABYRINTH);
	rc = name ? lab_attach(name, &vm->lab) : lab_create_private(&geo, &vm->lab);

	if (rc < 0) {
		fprintf(stderr, "vmm: cannot %s labyrinth%s%s: %s\n",
			name ? "attach to" : "create a private", name ? " " : "", name ? name : "",
			attach_error(rc));
		return VMM_EXIT_LABYRINTH;
	}
	if (limits->max != LAB_UNLIMITED || limits->min) {
		rc = lab_limits_set(vm->lab, lab_guest_id(vm->lab), limits->max, limits->min);
		if (rc) {
			char max[16] = "none";	/* not 4294967295 when not given */

			if (limits->max != LAB_UNLIMITED)
				snprintf(max, sizeof(max), "%u", limits->max);
			fprintf(stderr, "vmm: cannot give this guest --max-rooms %s --min-rooms %u "
				"in labyrinth %s: %s\n", max, limits->min,
				name ? name : "(private)", limits_error(rc));
			lab_detach(vm->lab);
			vm->lab = NULL;
			return VMM_EXIT_LABYRINTH;
		}
	}
	if (window_init(&vm->window, HC_WINDOW_GPA, vm->lab))
		return VMM_EXIT_HOST;
	if (hc_guest_init(&vm->hc_guest, vm->ram, vm->ram_size, &vm->window, vm->lab))
		return VMM_EXIT_HOST;
	describe(&vm->window);
	lab_publish_window(vm->lab, vm->window.va, vm->window.size);
	lab_scrubber_start(vm->lab);
	return 0;
}

int hc_port_init(struct vm *vm)
{
	if (window_register(&vm->window, vm->fd, HC_WINDOW_SLOT))
		return -1;
	for (unsigned i = 0; i < vm->ncpus; i++)
		hc_cpu_init(&vm->cpus[i].hc, &vm->hc_guest, i);
	if (pressure_watch_start(vm))
		return -1;
	vm->hc_guest.pressure_vector = PRESSURE_VECTOR;
	return pio_register(LAB_HC_PORT, LAB_HC_PORT_SIZE, hc_port_io, NULL);
}

void hc_port_fini(struct vm *vm)
{
	pressure_watch_stop();
	if (!vm->lab)
		return;
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (vm->cpus[i].hc.guest) {
			lab_cursor_park(&vm->cpus[i].hc.caller.cursor);
			lab_caller_flush(&vm->cpus[i].hc.caller);
		}
	lab_scrubber_stop(vm->lab);
	/* The window goes first: no mapping of ours survives the rooms' release. */
	window_fini(&vm->window);
	hc_guest_fini(&vm->hc_guest);
	lab_detach(vm->lab);
	vm->lab = NULL;
}
