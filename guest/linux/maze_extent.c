// SPDX-License-Identifier: GPL-2.0
/*
 * The PCI driver: one labyrinth ivshmem-doorbell device is one extent.
 * BAR0 holds the registers, BAR2 the extent (its first rooms the mailbox).
 * MSI-X vector 0 is the server's reply (calls spin, so it is only
 * acknowledged), vector 1, when the device has two, the extent's pressure.
 * Hot-unplug reaches remove() through ACPI PCI hotplug before the eject is
 * acknowledged, so the mailbox still answers there.
 */
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "maze.h"

static irqreturn_t on_reply(int irq, void *data)
{
	return IRQ_HANDLED;
}

static irqreturn_t on_pressure(int irq, void *data)
{
	struct maze_extent *ext = data;

	maze_pressure_heard(ext->maze);
	return IRQ_HANDLED;
}

static const char *refusal(u32 why)
{
	return why == LAB_IVSHMEM_NO_EXTENT ? "no free extent to lend"
					    : "no lease (see the server's log)";
}

/* Room 0, read before anything else of it: a labyrinth, and lent. */
static int check_header(struct pci_dev *pdev, struct lab_ivshmem_header *h, u64 size)
{
	if (h->magic != LAB_IVSHMEM_MAGIC || h->version != LAB_IVSHMEM_VERSION ||
	    h->slots != LAB_IVSHMEM_SLOTS) {
		dev_err(&pdev->dev, "not a labyrinth (magic 0x%llx version %u)\n", h->magic,
			h->version);
		return -ENODEV;
	}
	if (h->refused || h->size != size || h->mailbox_rooms != LAB_IVSHMEM_MAILBOX_ROOMS ||
	    (u64)h->rooms * LAB_ROOM_SIZE != size) {
		dev_err(&pdev->dev, "the server lent nothing: %s\n", refusal(h->refused));
		return -ENOSPC;
	}
	return 0;
}

static void reap(struct work_struct *w)
{
	struct maze_extent *ext = container_of(w, struct maze_extent, reap);

	maze_forget(ext->maze, ext);
	memunmap(ext->hdr);
	bitmap_free(ext->handed);
	kfree(ext);
}

static int map_extent(struct pci_dev *pdev, struct maze_extent *ext)
{
	int rc;

	ext->gpa = pci_resource_start(pdev, 2);
	ext->size = pci_resource_len(pdev, 2);
	if (ext->size < LAB_ROOM_SIZE || ext->size > LAB_IVSHMEM_MAX_SIZE)
		return -ENODEV;
	ext->hdr = memremap(ext->gpa, ext->size, MEMREMAP_WB);
	if (!ext->hdr)
		return -ENOMEM;
	ext->base = ext->hdr;
	rc = check_header(pdev, ext->hdr, ext->size);
	if (!rc) {
		ext->handed = bitmap_zalloc(ext->hdr->rooms, GFP_KERNEL);
		rc = ext->handed ? 0 : -ENOMEM;
	}
	if (rc)
		memunmap(ext->hdr);
	return rc;
}

static int request_vectors(struct pci_dev *pdev, struct maze_extent *ext)
{
	int n = pci_alloc_irq_vectors(pdev, 1, 2, PCI_IRQ_MSIX), rc;

	if (n < 0)
		return n;
	rc = request_irq(pci_irq_vector(pdev, 0), on_reply, 0, "labyrinth-reply", ext);
	if (!rc && n > 1) {
		rc = request_irq(pci_irq_vector(pdev, 1), on_pressure, 0, "labyrinth-pressure",
				 ext);
		if (rc)
			free_irq(pci_irq_vector(pdev, 0), ext);
	}
	if (rc)
		pci_free_irq_vectors(pdev);
	return rc;
}

static void free_vectors(struct pci_dev *pdev, struct maze_extent *ext)
{
	int k;

	for (k = 0; k < 2 && pci_irq_vector(pdev, k) >= 0; k++)
		free_irq(pci_irq_vector(pdev, k), ext);
	pci_free_irq_vectors(pdev);
}

static void extent_init(struct pci_dev *pdev, struct maze_extent *ext)
{
	struct lab_hc_info info;
	int k;

	ext->maze = &the_maze;
	ext->carrier = &maze_mailbox_carrier;
	ext->pdev = pdev;
	ext->rooms = ext->hdr->rooms;
	ext->mailbox_rooms = ext->hdr->mailbox_rooms;
	ext->server_id = ext->hdr->server_id;
	ext->first_room = ext->hdr->first_room;
	ext->peer_id = readl(ext->regs + LAB_IVSHMEM_REG_IVPOSITION);
	atomic_set(&ext->held, 1);
	INIT_WORK(&ext->reap, reap);
	for (k = 0; k < LAB_IVSHMEM_SLOTS; k++)
		raw_spin_lock_init(&ext->slot_lock[k]);
	WRITE_ONCE(ext->hdr->bar_base, ext->gpa);
	if (maze_extent_info(ext, 0, &info) == LAB_HC_OK)
		ext->reserve = info.rooms_reserved;
}

static int maze_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct maze_extent *ext;
	int rc;

	rc = pcim_enable_device(pdev);
	if (!rc)
		rc = pcim_iomap_regions(pdev, BIT(0), "labyrinth");
	if (rc)
		return rc;
	ext = kzalloc(sizeof(*ext), GFP_KERNEL);
	if (!ext)
		return -ENOMEM;
	ext->regs = pcim_iomap_table(pdev)[0];
	rc = map_extent(pdev, ext);
	if (rc) {
		kfree(ext);
		return rc;
	}
	pci_set_master(pdev);
	rc = request_vectors(pdev, ext);
	if (!rc) {
		extent_init(pdev, ext);
		rc = maze_add(ext->maze, ext);
		if (rc) {
			dev_err(&pdev->dev, "a maze has %u devices at most\n", MAZE_EXTENTS_MAX);
			free_vectors(pdev, ext);
		}
	}
	if (rc) {
		reap(&ext->reap);
		return rc;
	}
	pci_set_drvdata(pdev, ext);
	/* An ask the server published before our vector 1 was set up would
	 * ring for nobody: elastic RAM looks at the new header once. */
	maze_elastic_heard();
	dev_info(&pdev->dev, "labyrinth peer %u, extent %u: %llu MiB (rooms %u..%u), reserve %u\n",
		 ext->peer_id, ext->hdr->extent, ext->size >> 20, ext->first_room,
		 ext->first_room + ext->rooms - 1, ext->reserve);
	return 0;
}

/* The mailbox says the device is going first, for the server's log. */
static void maze_remove(struct pci_dev *pdev)
{
	struct maze_extent *ext = pci_get_drvdata(pdev);
	u32 handed = bitmap_weight(ext->handed, ext->rooms);

	WRITE_ONCE(ext->hdr->ejecting, 1);
	maze_retire(ext->maze, ext);
	free_vectors(pdev, ext);
	if (handed)
		dev_warn(&pdev->dev, "%u rooms are still their callers': the extent goes back whole, they drop when freed\n",
			 handed);
	dev_info(&pdev->dev, "labyrinth peer %u removed\n", ext->peer_id);
	maze_extent_put(ext, 1);
}

static const struct pci_device_id maze_ids[] = {
	{ PCI_DEVICE(LAB_IVSHMEM_VENDOR, LAB_IVSHMEM_DEVICE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, maze_ids);

static struct pci_driver maze_driver = {
	.name = "labyrinth",
	.id_table = maze_ids,
	.probe = maze_probe,
	.remove = maze_remove,
};

int maze_driver_register(void)
{
	return pci_register_driver(&maze_driver);
}

void maze_driver_unregister(void)
{
	pci_unregister_driver(&maze_driver);
}
