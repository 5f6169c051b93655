/* two_transports.c - see two_transports.h. */
#include <stdlib.h>

#include "two_transports.h"

static struct labyrinth *private_labyrinth(uint32_t rooms)
{
	struct lab_geometry geo = {.rooms = rooms, .corridors = 2, .reserve = 64};
	struct labyrinth *lab;

	return lab_create_private(&geo, &lab) < 0 ? NULL : lab;
}

int two_transports_init(struct two_transports *t)
{
	return two_transports_init_lent(t, TWO_ROOMS);
}

int two_transports_init_lent(struct two_transports *t, uint32_t mail_rooms)
{
	t->ram = calloc(1, TWO_RAM_SIZE);
	t->port_lab = private_labyrinth(TWO_ROOMS);
	if (!t->ram || !t->port_lab || doors_init(&t->doors, 4ull << 30, t->port_lab) ||
	    port_guest_init(&t->guest, t->ram, TWO_RAM_SIZE, &t->doors, t->port_lab, 2))
		return -1;
	t->mail_lab = private_labyrinth(mail_rooms);
	t->peer = peer_new(1, 1);
	if (!t->mail_lab || !t->peer || peer_lend(t->peer, t->mail_lab))
		return -1;
	t->peer->hdr->bar_base = 1ull << 32;
	return 0;
}

uint64_t *two_transports_mail_rooms(const struct two_transports *t)
{
	return ((struct lab_ivshmem_slot *)((char *)t->peer->hdr + LAB_IVSHMEM_SLOT_OFFSET))->rooms;
}
