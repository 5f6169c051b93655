/* The virtual machine: one KVM VM, its RAM, its vCPU threads, and the
 * single place where it is decided how and with what status it ends. */
#ifndef VMM_VM_H
#define VMM_VM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "elf_load.h"

#define VMM_MAX_CPUS 64

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
};

/* KVM_RUN's EFAULT (a touch of guest-physical memory with no host page;
 * KVM may say where) or an MMIO exit (always at an address). */
struct vm_fault {
	bool efault;
	bool has_gpa;
	uint64_t gpa;
};

/*
 * What a device may hook into the vCPU loop, which knows no device:
 *  - explain_fault: the device's word on a fault; true when the memory was
 *    its own and it has stopped the VM (vcpu_fail), false to go on as if
 *    it were not there;
 *  - exit_done: before the KVM_RUN that follows an exit, the time since
 *    KVM_RUN returned with it (the monitor's share of that exit).
 */
struct vm_hooks {
	bool (*explain_fault)(struct vcpu *cpu, const struct vm_fault *f);
	void (*exit_done)(struct vcpu *cpu, uint64_t ns);
};

struct vm {
	int kvm_fd, fd;
	uint8_t *ram;
	uint64_t ram_size;
	unsigned ncpus;
	struct vcpu cpus[VMM_MAX_CPUS];
	struct boot_image image;
	size_t run_size;

	struct vm_hooks hooks;

	pthread_mutex_t lock;
	pthread_cond_t stopped_cond;
	bool stopped;
	int status;
	bool all_joined;		/* every vCPU thread ended after the stop */
};

/* Guest RAM is allocated (and an image can be loaded) before KVM is opened,
 * so that a bad image is reported the same on a host without /dev/kvm. */
int vm_alloc_ram(struct vm *vm, uint64_t size);
int vm_create(struct vm *vm, unsigned ncpus);
int vm_run(struct vm *vm, double timeout_s);

/* The first caller decides the exit status; later callers change nothing. */
void vm_stop(struct vm *vm, int status);

int vcpu_init(struct vcpu *cpu);
/* One line with who, what and where (the guest's rip), then the VM stops
 * with `status`. */
void vcpu_fail(struct vcpu *cpu, int status, const char *what);
void *vcpu_thread(void *arg);
void vcpu_kick(struct vcpu *cpu);

/* The port bus (vcpu.c): devices register the ports they own before the
 * vCPUs start; the loop routes each I/O exit to its port's device. Ports
 * nobody owns read as all-ones and ignore writes, as on a PC, and every
 * such access is counted so a user can see what a kernel looked for
 * (--trace-ports). */
typedef void (*pio_fn)(struct vcpu *cpu, uint16_t port, bool write, uint8_t *data,
		       unsigned size, void *opaque);

/* 0, or -1 when the table is full. */
int pio_register(uint16_t base, uint16_t count, pio_fn fn, void *opaque);
/* One access of @size bytes at @port (the loop's, and tests'). */
void pio_route(struct vcpu *cpu, uint16_t port, bool write, uint8_t *data,
	       unsigned size);
/* One line per unhandled port on `fd` (reads, writes), then a total; returns the total. */
uint64_t pio_report_unhandled(int fd);

#endif
