#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "exit_status.h"
#include "vm.h"

/* Where KVM keeps the VMX real-mode TSS and identity map: top of the 32-bit
 * space, above the LAPIC, as kvmtool and QEMU place them. */
#define KVM_TSS_ADDR 0xfffbd000ul
#define KVM_STOP_GRACE_MS 1000

int vm_alloc_ram(struct vm *vm, uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "vmm: cannot allocate %llu bytes of guest RAM: %s\n",
			(unsigned long long)size, strerror(errno));
		return -1;
	}
	vm->ram = p;
	vm->ram_size = size;
	return 0;
}

static int kvm_check(int fd, long cap, const char *name)
{
	if (ioctl(fd, KVM_CHECK_EXTENSION, cap) > 0)
		return 0;
	fprintf(stderr, "vmm: KVM lacks %s\n", name);
	return -1;
}

static int vm_open_kvm(struct vm *vm)
{
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		fprintf(stderr, "vmm: cannot open /dev/kvm: %s (without one, ./vmm.sh runs the "
			"monitor in vmm/rig/kvm-rig's QEMU VM)\n", strerror(errno));
		return -1;
	}
	if (ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		fprintf(stderr, "vmm: unexpected KVM API version\n");
		return -1;
	}
	if (kvm_check(vm->kvm_fd, KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP") ||
	    kvm_check(vm->kvm_fd, KVM_CAP_PIT2, "KVM_CAP_PIT2") ||
	    kvm_check(vm->kvm_fd, KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT") ||
	    kvm_check(vm->kvm_fd, KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"))
		return -1;
	int size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0) {
		fprintf(stderr, "vmm: KVM_GET_VCPU_MMAP_SIZE: %s\n", strerror(errno));
		return -1;
	}
	vm->run_size = (size_t)size;
	return 0;
}

static int vm_ioctl(struct vm *vm, unsigned long req, void *arg, const char *name)
{
	if (ioctl(vm->fd, req, arg) >= 0)
		return 0;
	fprintf(stderr, "vmm: %s: %s\n", name, strerror(errno));
	return -1;
}

int vm_create(struct vm *vm, unsigned ncpus)
{
	struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
	struct kvm_userspace_memory_region ram = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = vm->ram_size,
		.userspace_addr = (uintptr_t)vm->ram,
	};

	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->stopped_cond, NULL);
	if (vm_open_kvm(vm))
		return -1;
	vm->fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		fprintf(stderr, "vmm: KVM_CREATE_VM: %s\n", strerror(errno));
		return -1;
	}
	if (vm_ioctl(vm, KVM_SET_TSS_ADDR, (void *)KVM_TSS_ADDR, "KVM_SET_TSS_ADDR") ||
	    vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL, "KVM_CREATE_IRQCHIP") ||
	    vm_ioctl(vm, KVM_CREATE_PIT2, &pit, "KVM_CREATE_PIT2") ||
	    vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &ram, "KVM_SET_USER_MEMORY_REGION"))
		return -1;

	vm->ncpus = ncpus;
	for (unsigned i = 0; i < ncpus; i++) {
		vm->cpus[i].vm = vm;
		vm->cpus[i].id = i;
		if (vcpu_init(&vm->cpus[i]))
			return -1;
	}
	return 0;
}

void vm_stop(struct vm *vm, int status)
{
	pthread_mutex_lock(&vm->lock);
	if (!vm->stopped) {
		vm->status = status;
		__atomic_store_n(&vm->stopped, true, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&vm->stopped_cond);
	}
	pthread_mutex_unlock(&vm->lock);
}

static void deadline_after(struct timespec *ts, double seconds)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	time_t whole = (time_t)seconds;
	long nsec = (long)((seconds - (double)whole) * 1e9);
	ts->tv_sec += whole;
	ts->tv_nsec += nsec;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Waits for a vCPU to stop the VM, or for the timeout; 0 means none. */
static void vm_wait(struct vm *vm, double timeout_s)
{
	struct timespec deadline;
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_destroy(&vm->stopped_cond);
	pthread_cond_init(&vm->stopped_cond, &attr);
	if (timeout_s > 0)
		deadline_after(&deadline, timeout_s);

	pthread_mutex_lock(&vm->lock);
	while (!vm->stopped) {
		if (timeout_s <= 0) {
			pthread_cond_wait(&vm->stopped_cond, &vm->lock);
		} else if (pthread_cond_timedwait(&vm->stopped_cond, &vm->lock,
						  &deadline) == ETIMEDOUT) {
			vm->status = VMM_EXIT_TIMEOUT;
			__atomic_store_n(&vm->stopped, true, __ATOMIC_RELEASE);
			fprintf(stderr, "vmm: timeout: guest still running after %g s\n",
				timeout_s);
		}
	}
	pthread_mutex_unlock(&vm->lock);
}

static void sigusr1_nop(int sig)
{
	(void)sig;	/* only there to make KVM_RUN return EINTR */
}

/* SIGINT, SIGTERM and SIGHUP stop the VM like any other end, so its rooms
 * are unmapped, scrubbed and returned before the process goes. They are
 * blocked in every thread and taken here, where vm_stop() may be called. */
static void *vm_signal_thread(void *arg)
{
	struct vm *vm = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigwait(&set, &sig) == 0) {
		fprintf(stderr, "vmm: stopped by signal %d\n", sig);
		vm_stop(vm, 128 + sig);
	}
	return NULL;
}

static void vm_take_signals(struct vm *vm)
{
	struct sigaction sa = {.sa_handler = sigusr1_nop};
	pthread_t thread;
	sigset_t set;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART: KVM_RUN must return */
	signal(SIGPIPE, SIG_IGN);	/* a closed stdout must not kill us mid-release */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&thread, NULL, vm_signal_thread, vm) == 0)
		pthread_detach(thread);
}

int vm_run(struct vm *vm, double timeout_s)
{
	struct timespec grace;

	vm_take_signals(vm);

	/* Threads are created before the first KVM_RUN; the lock keeps the
	 * "started" flags coherent with a stop decided meanwhile. */
	pthread_mutex_lock(&vm->lock);
	for (unsigned i = 0; i < vm->ncpus; i++) {
		if (pthread_create(&vm->cpus[i].thread, NULL, vcpu_thread, &vm->cpus[i])) {
			fprintf(stderr, "vmm: cannot start vCPU thread %u\n", i);
			vm->status = VMM_EXIT_HOST;
			__atomic_store_n(&vm->stopped, true, __ATOMIC_RELEASE);
			break;
		}
		vm->cpus[i].started = true;
	}
	pthread_mutex_unlock(&vm->lock);

	vm_wait(vm, timeout_s);
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (vm->cpus[i].started)
			vcpu_kick(&vm->cpus[i]);

	/* A vCPU stuck in the kernel must not make us hang: bounded joins. */
	clock_gettime(CLOCK_REALTIME, &grace);
	grace.tv_sec += KVM_STOP_GRACE_MS / 1000;
	vm->all_joined = true;
	for (unsigned i = 0; i < vm->ncpus; i++) {
		if (vm->cpus[i].started && pthread_timedjoin_np(vm->cpus[i].thread, NULL, &grace)) {
			fprintf(stderr, "vmm: vCPU %u did not stop in time\n", i);
			vm->all_joined = false;
		}
	}
	return vm->status;
}

