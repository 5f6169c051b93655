/* Pressure as an interrupt: a thread of the monitor polls the labyrinth's
 * pressure state (shared/pressure.c) and, when a new episode begins, sends
 * every vCPU an MSI with LAB_HC_PRESSURE_VECTOR, which the guest learned from INFO,
 * or, to a guest that asked for it in INFO (Linux), an edge on PRESSURE_IRQ,
 * the interrupt the ACPI description of the port names; its handler gives back the rooms its caches keep. Polling keeps this off
 * the claim path entirely; an episode is seen within one period. */
#ifndef VMM_PRESSURE_SIGNAL_H
#define VMM_PRESSURE_SIGNAL_H

#define PRESSURE_IRQ 10		/* the line, for a guest that asked for it */
#define PRESSURE_POLL_MS 5

struct vm;
struct port_guest;
struct labyrinth;

/* Watches `lab` for `guest` of `vm` until pressure_signal_stop. */
int pressure_signal_start(struct vm *vm, const struct port_guest *guest,
			  struct labyrinth *lab);
void pressure_signal_stop(void);

#endif
