/* SPDX-License-Identifier: MIT */
/*
 * labyrinth_host.h - the labyrinth on a host (vmm/host/, host_dep): named
 * and private labyrinths in shared memory, leases and their reaping, the
 * background scrubber.  The allocator itself is labyrinth.h.
 */
#ifndef LABYRINTH_HOST_H
#define LABYRINTH_HOST_H

#include "labyrinth.h"

/*
 * Shared memory: a metadata file (/dev/shm/labyrinth.NAME, or a memfd)
 * holds the hall, the extent table and a last page (the plaque) saying
 * where they are; the rooms live in extents (labyrinth_extent.h), mapped
 * side by side as one pool (room i at i * 4096).  Every file is fully
 * allocated when made, the mappings MAP_SHARED; a lease's (lab_attach)
 * populated and mlock()ed (shmem THP when the system allows), a reader's
 * (lab_open) only mapped.
 *
 * Trust: a named labyrinth is used only if its file is a regular file
 * owned by the caller or root, not writable by others, and writable by
 * its group only when that group is trusted (lab_trust_group(), or the
 * environment's LABYRINTH_GROUP, a group name or number).  Everything in
 * the file is checked against the file's size before use.
 *
 * Errors of the host side, beside the core's:
 */
#define LAB_EACCES	(-13)	/* file not trusted (owner, mode, type) */
#define LAB_ETAKEN	(-76)	/* an extent's name is taken by a file that is
				   no labyrinth's (lab_extent_squatter) */
#define LAB_NOGROUP	UINT32_MAX

/* NAME as every call takes it: 1-64 of [A-Za-z0-9._-], not starting
 * with '.' (the file is /dev/shm/labyrinth.NAME). */
bool lab_name_valid(const char *name);
/* Made 0600 (umask applies). */
int lab_create(const char *name, const struct lab_geometry *geo);
/* Made 0660 and of group @gid, for operators sharing that group. */
int lab_create_group(const char *name, const struct lab_geometry *geo,
		     uint32_t gid);
/* Trust group-writable labyrinths of group @gid (LAB_NOGROUP: none),
 * instead of what LABYRINTH_GROUP says.  Call before attaching. */
void lab_trust_group(uint32_t gid);
/* Attach with a fresh lease (reaps dead leases first). */
int lab_attach(const char *name, struct labyrinth **out);
/* For a long-running process: if the labyrinth's file is cut short under
 * its mapping, one line on stderr ("WHO: 'NAME': its file shrank ...")
 * and exit @status, instead of dying of SIGBUS. */
void lab_exit_on_shrink(const char *who, const char *name, int status);
/* Attach without a lease: for inspection and reaping (the CLI).  The pool
 * is mapped and backed but neither populated nor pinned: what the caller
 * touches faults in. */
int lab_open(const char *name, struct labyrinth **out);
/* Attach with a fresh lease on what @mapped (lab_open, lab_attach) maps
 * already: no mapping, populating or pinning of its own, so it costs the
 * same whatever the pool's size.  @mapped must outlive it. */
int lab_attach_beside(struct labyrinth *mapped, struct labyrinth **out);
/* Unnamed, memfd-backed, with a lease; vanishes with the process. */
int lab_create_private(const struct lab_geometry *geo,
		       struct labyrinth **out);
/* Free what this process still owns, drop the lease, unmap. */
void lab_detach(struct labyrinth *lab);
/* Unlinks the labyrinth's files, the metrics textfiles recorded for it
 * (lab_textfile_note), and any file left under one of its extents' names
 * (a killed creator's, or a squatter's) that the caller may remove.  0;
 * LAB_ENOENT if no labyrinth had the name (what was in the way is gone
 * all the same); LAB_ETAKEN if a file in the way stays. */
int lab_destroy(const char *name);
/* For LAB_ETAKEN: the first file in the way of @name's extents, its path
 * into @path (@len bytes) and its owner into *@uid; LAB_ENOENT if none. */
int lab_extent_squatter(const char *name, char *path, size_t len, uint32_t *uid);
/* Whether @name still names the labyrinth @lab maps: not once destroyed,
 * nor once another was made under the name (a long-running view would
 * show a still picture, or the old one's, for as long as it ran). */
bool lab_still_named(const struct labyrinth *lab, const char *name);
/* Record that @path (a metrics textfile) holds figures of labyrinth
 * @name, for lab_destroy() to remove it.  0, LAB_EACCES (the record is
 * not trusted), LAB_EINVAL or -errno. */
int lab_textfile_note(const char *name, const char *path);
/* Remove the textfiles recorded for @name that still hold its figures,
 * and the record. */
void lab_textfiles_remove(const char *name);
/* Call @each for every labyrinth's NAME under /dev/shm, in alphabetical
 * order (whatever its file holds: lab_open() says whether it is usable).
 * Returns how many, or -errno. */
int lab_names(void (*each)(const char *name, void *arg), void *arg);
/* One line's worth of words for a LAB_E* (or -errno) value. */
const char *lab_strerror(int err);

/* The fd's open file description holds the lease: keep it open (and do
 * not hand it to a process that outlives this one) while attached. */
int lab_fd(const struct labyrinth *lab);
void *lab_pool(const struct labyrinth *lab);
size_t lab_pool_size(const struct labyrinth *lab);
/* lab_attach: mlock succeeded; lab_open: this process may lock the
 * labyrinth (CAP_IPC_LOCK, or RLIMIT_MEMLOCK as large). */
bool lab_pinned(const struct labyrinth *lab);

/*
 * Leases.  A lease is alive while its holder's open file description of
 * the labyrinth's file holds the slot's lock (an OFD lock: the kernel
 * drops it when the holder dies, whatever PID namespace it lives in).
 *
 * Reap every dead lease: scrub and free its rooms, free the slot.  Each
 * dead lease is reaped by one reaper, and never once its slot is taken
 * again.  Returns rooms recovered (>= 0) or a negative error.
 */
int lab_reap(struct labyrinth *lab);

/*
 * The pid of the process holding lease @guest, as the caller's PID
 * namespace numbers it (found through /proc/PID/fdinfo); -1 if the slot
 * is free or dead, or its holder is not visible from here (another PID
 * namespace, or another user's process to a non-root caller).
 */
int lab_lease_holder(const struct labyrinth *lab, uint32_t guest);

/* Slot @guest's word: 0 when free, else its holder's pid as the holder saw
 * itself (display only); a new lease in the slot has a new word. */
uint64_t lab_lease_word(const struct labyrinth *lab, uint32_t guest);

struct lab_lease_info {
	uint32_t guest;
	int32_t pid;		/* lab_lease_holder(): -1 if unknown or dead */
	bool alive;
	uint32_t rooms;
};
/* Fill up to @max entries for the taken lease slots; returns the count. */
unsigned int lab_leases(const struct labyrinth *lab,
			struct lab_lease_info *out, unsigned int max);

/*
 * The background scrubber (vmm/host/scrubber.c): a thread of this process
 * that zeroes dirty rooms (lab_scrub).  LABYRINTH_SCRUB=release makes
 * releases zero instead (no thread), =off runs none.  Stop it before
 * lab_detach().  Start returns 0, LAB_EBUSY (one per process) or
 * LAB_ENOMEM.
 */
int lab_scrubber_start(struct labyrinth *lab);
void lab_scrubber_stop(struct labyrinth *lab);

#endif /* LABYRINTH_HOST_H */
