/* The virtual machine: one KVM VM, its RAM, its vCPU threads, and the
 * single place where it is decided how and with what status it ends. */
#ifndef VMM_VM_H
#define VMM_VM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "elf_load.h"
#include "hypercall.h"
#include "window.h"

#define VMM_MAX_CPUS 64

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	struct hc_cpu hc;		/* this vCPU's hypercall state */
	struct hc_stats *stats;		/* --hc-stats: handling times, else NULL */
};

struct vm {
	int kvm_fd, fd;
	uint8_t *ram;
	uint64_t ram_size;
	unsigned ncpus;
	struct vcpu cpus[VMM_MAX_CPUS];
	struct boot_image image;
	size_t run_size;

	struct labyrinth *lab;
	struct window window;		/* claimed rooms appear here */
	struct hc_guest hc_guest;

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
void *vcpu_thread(void *arg);
void vcpu_kick(struct vcpu *cpu);

#endif
