// SPDX-License-Identifier: MIT
/* pressure_signal.c - the pressure watch (pressure_signal.h). */
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "port_transport.h"
#include "pressure_signal.h"
#include "quiet_thread.h"
#include "vm.h"

static struct {
	struct vm *vm;
	const struct port_guest *guest;
	struct labyrinth *lab;
	pthread_t thread;
	atomic_bool stop;
	bool running;
} watch;

/* Fixed delivery, physical destination: the vCPU's APIC ID is its index. */
static void interrupt_all(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct kvm_msi msi = {
			.address_lo = 0xfee00000u | (i << 12),
			.data = LAB_HC_PRESSURE_VECTOR,
		};
		if (ioctl(vm->fd, KVM_SIGNAL_MSI, &msi) < 0)
			fprintf(stderr, "vmm: pressure interrupt to vCPU %u: %s\n", i,
				strerror(errno));
	}
}

static void pulse_line(struct vm *vm)
{
	struct kvm_irq_level l = {.irq = PRESSURE_IRQ, .level = 1};

	if (ioctl(vm->fd, KVM_IRQ_LINE, &l) < 0)
		fprintf(stderr, "vmm: pressure interrupt on IRQ %d: %s\n", PRESSURE_IRQ,
			strerror(errno));
	l.level = 0;
	ioctl(vm->fd, KVM_IRQ_LINE, &l);
}

static void *watch_loop(void *arg)
{
	struct vm *vm = watch.vm;
	(void)arg;
	struct timespec period = {0, PRESSURE_POLL_MS * 1000000L};
	uint64_t seen = 0;

	while (!atomic_load(&watch.stop)) {
		/* Until the guest knows the vector it must not get it, and an
		 * episode it did not hear of is still news to it afterwards. */
		bool vector = __atomic_load_n(&watch.guest->pressure_told, __ATOMIC_ACQUIRE);
		bool line = __atomic_load_n(&watch.guest->pressure_line, __ATOMIC_ACQUIRE);

		if ((vector || line) && lab_pressure_poll(watch.lab, &seen)) {
			if (vector)
				interrupt_all(vm);
			if (line)
				pulse_line(vm);
		}
		nanosleep(&period, NULL);
	}
	return NULL;
}

/* A quiet thread: the VM's signal thread takes the signals (vm.c). */
int pressure_signal_start(struct vm *vm, const struct port_guest *guest,
			  struct labyrinth *lab)
{
	int err;

	watch.vm = vm;
	watch.guest = guest;
	watch.lab = lab;
	atomic_store(&watch.stop, false);
	err = quiet_thread_start(&watch.thread, watch_loop, NULL);
	if (err) {
		fprintf(stderr, "vmm: cannot start the pressure watch\n");
		return -1;
	}
	watch.running = true;
	return 0;
}

void pressure_signal_stop(void)
{
	if (!watch.running)
		return;
	atomic_store(&watch.stop, true);
	pthread_join(watch.thread, NULL);
	watch.running = false;
}
