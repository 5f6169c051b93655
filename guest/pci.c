#include "pci.h"
#include "x86.h"

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA 0xcfc

static void select_reg(u32 slot, u32 off)
{
	outl(CONFIG_ADDRESS, 0x80000000u | (slot << 11) | (off & 0xfc));
}

/* Address and data are two port accesses: callers on several CPUs, or an
 * interrupt between the two, would mix them up, hence interrupts off. */
u32 pci_read32(u32 slot, u32 off)
{
	u64 irq = irq_save();
	u32 v;

	select_reg(slot, off);
	v = inl(CONFIG_DATA);
	irq_restore(irq);
	return v;
}

void pci_write32(u32 slot, u32 off, u32 v)
{
	u64 irq = irq_save();

	select_reg(slot, off);
	outl(CONFIG_DATA, v);
	irq_restore(irq);
}

u16 pci_read16(u32 slot, u32 off)
{
	return (u16)(pci_read32(slot, off & ~3u) >> ((off & 2) * 8));
}

void pci_write16(u32 slot, u32 off, u16 v)
{
	u32 shift = (off & 2) * 8, old = pci_read32(slot, off & ~3u);

	pci_write32(slot, off & ~3u, (old & ~(0xffffu << shift)) | ((u32)v << shift));
}

int pci_find_from(u16 vendor, u16 device, u32 from)
{
	u32 want = ((u32)device << 16) | vendor;

	for (u32 slot = from; slot < 32; slot++)
		if (pci_read32(slot, PCI_VENDOR) == want)
			return (int)slot;
	return -1;
}

int pci_find(u16 vendor, u16 device)
{
	return pci_find_from(vendor, device, 0);
}

u64 pci_bar_size(u32 slot, u32 bar, bool *is64)
{
	u32 off = PCI_BAR0 + bar * 4, lo = pci_read32(slot, off), hi = 0xffffffff;
	u64 mask;

	if (lo & 1)
		return 0;
	*is64 = (lo & 6) == 4;
	pci_write32(slot, off, 0xffffffff);
	mask = pci_read32(slot, off) & ~0xfull;
	pci_write32(slot, off, lo);
	if (*is64) {
		u32 old = pci_read32(slot, off + 4);
		pci_write32(slot, off + 4, 0xffffffff);
		hi = pci_read32(slot, off + 4);
		pci_write32(slot, off + 4, old);
	}
	mask |= (u64)hi << 32;
	return mask ? ~mask + 1 : 0;
}

void pci_bar_set(u32 slot, u32 bar, u64 addr, bool is64)
{
	u32 off = PCI_BAR0 + bar * 4;

	pci_write32(slot, off, (u32)addr);
	if (is64)
		pci_write32(slot, off + 4, (u32)(addr >> 32));
}

u32 pci_cap(u32 slot, u8 id)
{
	u32 off;

	if (!(pci_read16(slot, PCI_STATUS) & PCI_STATUS_CAPS))
		return 0;
	off = pci_read32(slot, PCI_CAP_PTR) & 0xfc;
	for (u32 n = 0; off && n < 48; n++) {
		u32 hdr = pci_read32(slot, off);
		if ((hdr & 0xff) == id)
			return off;
		off = (hdr >> 8) & 0xfc;
	}
	return 0;
}

bool pci_range_unused(u32 self, u64 base, u64 size)
{
	for (u32 slot = 0; slot < 32; slot++) {
		if (slot == self || (pci_read32(slot, PCI_VENDOR) & 0xffff) == 0xffff)
			continue;
		for (u32 bar = 0; bar < 6; bar++) {
			u32 lo = pci_read32(slot, PCI_BAR0 + bar * 4);
			u64 a = lo & ~0xfull;
			if (lo & 1)
				continue;
			if ((lo & 6) == 4 && bar < 5)
				a |= (u64)pci_read32(slot, PCI_BAR0 + ++bar * 4) << 32;
			if (a && a >= base && a < base + size)
				return false;
		}
	}
	return true;
}
