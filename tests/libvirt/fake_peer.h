/*
 * fake_peer.h - a QEMU ivshmem-doorbell device in a few lines of C, for
 * testing `labyrinth serve` without QEMU: it reads the handshake, maps the
 * memory, and rings the server's eventfd exactly as KVM's ioeventfd would.
 */
#ifndef FAKE_PEER_H
#define FAKE_PEER_H

#include <stdbool.h>
#include <stdint.h>

#include "labyrinth_ivshmem.h"

struct fake_peer {
	int sock, mem, bell, vec;	/* bell: the server's eventfd for us */
	int vec1;			/* our second vector (pressure), -1 if none */
	int64_t version, id;
	uint64_t size;
	struct lab_ivshmem_header *hdr;
	uint32_t seq[LAB_IVSHMEM_SLOTS];
};

/* 0, or -1 with a message on stderr; waits at most @ms for each message. */
int fp_connect(struct fake_peer *fp, const char *path, int ms);
/* The same for a server that gives each peer @vectors (1 or 2) vectors. */
int fp_connect_vectors(struct fake_peer *fp, const char *path, int ms, int vectors);
void fp_close(struct fake_peer *fp);
struct lab_ivshmem_slot *fp_slot(struct fake_peer *fp, unsigned int i);
/* Posts slot @i's request and rings; no wait. */
void fp_ring(struct fake_peer *fp, unsigned int i);
/* Posts and waits for the reply interrupt (at most @ms); the result, or
 * HC_TIMEOUT. */
#define HC_TIMEOUT ((int64_t)0x7eadbeef)
int64_t fp_call(struct fake_peer *fp, unsigned int i, int ms);
int64_t fp_simple(struct fake_peer *fp, uint32_t call, uint32_t flags, uint32_t count);
uint64_t fp_window(struct fake_peer *fp);
void *fp_room(struct fake_peer *fp, uint64_t gpa);

#endif
