#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fake_peer.h"

#define BAR_BASE 0x100000000ull	/* where a guest would place BAR2 */

static int recv_msg(int sock, int64_t *msg, int *fd, int ms)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = msg, .iov_len = sizeof(*msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	struct cmsghdr *c;

	*fd = -1;
	if (poll(&pfd, 1, ms) != 1 || recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != sizeof(*msg))
		return -1;
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	return 0;
}

int fp_connect(struct fake_peer *fp, const char *path, int ms)
{
	return fp_connect_vectors(fp, path, ms, 1);
}

int fp_connect_vectors(struct fake_peer *fp, const char *path, int ms, int vectors)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t msg;
	int fd;
	struct stat st;

	memset(fp, 0, sizeof(*fp));
	fp->mem = fp->bell = fp->vec = fp->vec1 = -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fp->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (connect(fp->sock, (struct sockaddr *)&sa, sizeof(sa)))
		return fprintf(stderr, "fake peer: connect %s: %m\n", path), -1;
	if (recv_msg(fp->sock, &fp->version, &fd, ms) || fd != -1)
		return fprintf(stderr, "fake peer: no version\n"), -1;
	if (recv_msg(fp->sock, &fp->id, &fd, ms) || fd != -1)
		return fprintf(stderr, "fake peer: no id\n"), -1;
	/* Then, in any order: memory (-1), the server's vector, ours. */
	while (fp->mem < 0 || fp->bell < 0 || fp->vec < 0 || (vectors > 1 && fp->vec1 < 0)) {
		if (recv_msg(fp->sock, &msg, &fd, ms) || fd < 0)
			return fprintf(stderr, "fake peer: setup message missing\n"), -1;
		if (msg == -1)
			fp->mem = fd;
		else if (msg == fp->id && fp->vec < 0)
			fp->vec = fd;
		else if (msg == fp->id)
			fp->vec1 = fd;
		else
			fp->bell = fd;
	}
	if (fstat(fp->mem, &st))
		return -1;
	fp->size = st.st_size;
	fp->hdr = mmap(NULL, fp->size, PROT_READ | PROT_WRITE, MAP_SHARED, fp->mem, 0);
	if (fp->hdr == MAP_FAILED)
		return fp->hdr = NULL, -1;
	fp->hdr->bar_base = BAR_BASE;
	return 0;
}

void fp_close(struct fake_peer *fp)
{
	if (fp->hdr)
		munmap(fp->hdr, fp->size);
	fp->hdr = NULL;
	for (int *f = &fp->sock; f <= &fp->vec; f++)
		if (*f >= 0)
			close(*f), *f = -1;
	if (fp->vec1 >= 0)
		close(fp->vec1), fp->vec1 = -1;
}

struct lab_ivshmem_slot *fp_slot(struct fake_peer *fp, unsigned int i)
{
	return (struct lab_ivshmem_slot *)((char *)fp->hdr + LAB_IVSHMEM_SLOT_OFFSET +
					   i * LAB_IVSHMEM_SLOT_SIZE);
}

/* A refused peer's memory is one page: its slots are not in it (writing
 * there wrote whatever this process had mapped next, e.g. a labyrinth's
 * metadata). */
static bool slot_mapped(const struct fake_peer *fp, unsigned int i)
{
	return fp->size >= LAB_IVSHMEM_SLOT_OFFSET + (uint64_t)(i + 1) * LAB_IVSHMEM_SLOT_SIZE;
}

void fp_ring(struct fake_peer *fp, unsigned int i)
{
	uint64_t one = 1;

	if (slot_mapped(fp, i))
		__atomic_store_n(&fp_slot(fp, i)->seq, ++fp->seq[i], __ATOMIC_RELEASE);
	if (write(fp->bell, &one, sizeof(one)) != sizeof(one))
		perror("fake peer: doorbell");
}

int64_t fp_call(struct fake_peer *fp, unsigned int i, int ms)
{
	struct lab_ivshmem_slot *sl = fp_slot(fp, i);
	struct pollfd pfd = { .fd = fp->vec, .events = POLLIN };
	uint64_t n;

	fp_ring(fp, i);
	if (!slot_mapped(fp, i))	/* only the doorbell: is anything answered? */
		return poll(&pfd, 1, ms) == 1 ? 0 : HC_TIMEOUT;
	while (__atomic_load_n(&sl->done, __ATOMIC_ACQUIRE) != fp->seq[i]) {
		if (poll(&pfd, 1, ms) != 1)
			return HC_TIMEOUT;
		if (read(fp->vec, &n, sizeof(n)) < 0)
			return HC_TIMEOUT;
	}
	return sl->hc.result;
}

int64_t fp_simple(struct fake_peer *fp, uint32_t call, uint32_t flags, uint32_t count)
{
	struct lab_ivshmem_slot *sl = fp_slot(fp, 0);

	if (slot_mapped(fp, 0)) {
		memset(&sl->hc, 0, sizeof(sl->hc));
		sl->hc.call = call;
		sl->hc.flags = flags;
		sl->hc.count = count;
	}
	return fp_call(fp, 0, 2000);
}

uint64_t fp_window(struct fake_peer *fp __attribute__((unused)))
{
	return BAR_BASE;
}

void *fp_room(struct fake_peer *fp, uint64_t gpa)
{
	return (char *)fp->hdr + (gpa - BAR_BASE);
}
