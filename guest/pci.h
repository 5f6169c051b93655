/* PCI configuration space through ports 0xcf8/0xcfc (mechanism #1), bus 0
 * only: QEMU's `pc` machine hot-plugs onto bus 0. No firmware is trusted
 * to have assigned anything: a hot-plugged device arrives with its BARs at
 * zero, so the driver places them itself (pci_bar_*). */
#ifndef GUEST_PCI_H
#define GUEST_PCI_H

#include "types.h"

#define PCI_VENDOR 0x00
#define PCI_COMMAND 0x04
#define PCI_CMD_MEMORY 0x2
#define PCI_CMD_MASTER 0x4
#define PCI_CMD_INTX_OFF 0x400
#define PCI_STATUS 0x06
#define PCI_STATUS_CAPS 0x10
#define PCI_BAR0 0x10
#define PCI_CAP_PTR 0x34
#define PCI_CAP_MSIX 0x11

u32 pci_read32(u32 slot, u32 off);
void pci_write32(u32 slot, u32 off, u32 v);
u16 pci_read16(u32 slot, u32 off);
void pci_write16(u32 slot, u32 off, u16 v);
/* The first slot (0..31, function 0) holding vendor:device, or -1. */
int pci_find(u16 vendor, u16 device);
/* The same from slot @from on: every such device, in slot order. */
int pci_find_from(u16 vendor, u16 device, u32 from);
/* Size of memory BAR @bar (probed with decode off), 0 if none or I/O. */
u64 pci_bar_size(u32 slot, u32 bar, bool *is64);
void pci_bar_set(u32 slot, u32 bar, u64 addr, bool is64);
/* Offset of capability @id in config space, 0 if absent. */
u32 pci_cap(u32 slot, u8 id);
/* Is [base, base + size) free of every other bus-0 device's memory BAR base? */
bool pci_range_unused(u32 self, u64 base, u64 size);

#endif
