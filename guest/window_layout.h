/* Limits of the room window mapping, shared by pagetables.S and window.c. */
#ifndef GUEST_WINDOW_LAYOUT_H
#define GUEST_WINDOW_LAYOUT_H

/* Page directories for the window: one per GiB, so a window of up to
 * 16 GiB (4 Mi rooms) is mapped; a larger one is mapped up to that. */
#define WINDOW_PDS 16

#endif
