// SPDX-License-Identifier: GPL-2.0
/*
 * Our own monitor's hypercall port (include/labyrinth_abi.h), bound only
 * where ACPI describes it: the device LAB_HC_ACPI_HID, whose resources
 * are the port, the room window and the pressure line. It is never probed
 * for: on QEMU or a PC, port 0x500 may be anything.
 *
 * The whole window is one extent, mapped once, write-back, by memremap().
 * It is guest-physical memory outside the e820 RAM map (above RAM and the
 * 4 GiB hole), so memremap() maps it as ioremap_cache() does: rooms are
 * used as the RAM they are, cached, with atomics and string copies at RAM
 * speed. ioremap() would map them uncached (UC-): correct, but every load
 * and store a trip to memory, and no memory type Linux's own allocators
 * ever hand out. Mapping the window does not touch it: a room is backed
 * only while this guest holds it, the monitor gates every other page of
 * the window, and a touch there ends the VM (status 74).
 *
 * A call is one `outl` of the guest-physical address of this CPU's block
 * (below 4 GiB), interrupts off from filling the block to reading the
 * answer: the monitor has answered when the `out` returns.
 */
#include <linux/acpi.h>
#include <linux/gfp.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>

#include "maze.h"

struct port_block {
	struct lab_hc hc;
	u64 rooms[MAZE_MAGAZINE_ROOMS];
} __aligned(64);

struct maze_port {
	struct maze_extent ext;
	u16 io;
	int irq;
	struct port_block *blocks;	/* one per possible CPU, below 4 GiB */
	size_t blocks_size;
};

static long maze_port_call(struct maze_extent *ext, struct lab_hc *hc, u64 *gpas)
{
	struct maze_port *port = container_of(ext, struct maze_port, ext);
	u32 n = hc->count, k;
	struct port_block *b;
	unsigned long flags;
	long rc;

	if (READ_ONCE(ext->broken))
		return LAB_HC_ENOSYS;
	local_irq_save(flags);
	b = &port->blocks[smp_processor_id()];
	b->hc.call = hc->call;
	b->hc.flags = hc->flags;
	b->hc.count = n;
	b->hc.cached = hc->cached;
	b->hc.rooms_gpa = virt_to_phys(b->rooms);
	b->hc.result = LAB_HC_ENOSYS;
	if (lab_hc_has_list(hc->call) && !lab_hc_lists_out(hc->call))
		memcpy(b->rooms, gpas, n * sizeof(u64));
	lab_hc_trap(port->io, (u32)virt_to_phys(&b->hc));
	rc = READ_ONCE(b->hc.result);
	if (hc->call == LAB_HC_INFO && rc == LAB_HC_OK)
		hc->u.info = b->hc.u.info;
	for (k = 0; lab_hc_lists_out(hc->call) && rc > 0 && k < rc && k < n; k++)
		gpas[k] = b->rooms[k];
	local_irq_restore(flags);
	return rc;
}

static const struct maze_carrier port_carrier = {
	.call = maze_port_call,
	.max_rooms = MAZE_MAGAZINE_ROOMS,	/* a CPU's block */
};

static irqreturn_t on_pressure(int irq, void *data)
{
	struct maze_port *port = data;

	maze_pressure_heard(port->ext.maze);
	return IRQ_HANDLED;
}

static void maze_port_free(struct maze_port *port)
{
	if (port->ext.base)
		memunmap(port->ext.base);
	kvfree(port->ext.handed);
	if (port->blocks)
		free_pages_exact(port->blocks, port->blocks_size);
	kfree(port);
}

static void maze_port_reap(struct work_struct *w)
{
	struct maze_port *port = container_of(w, struct maze_port, ext.reap);

	maze_forget(port->ext.maze, &port->ext);
	maze_port_free(port);
}

/* INFO, asking for pressure on the line: what the monitor says must be
 * what it described. */
static int maze_port_info(struct device *dev, struct maze_port *port, const struct resource *win)
{
	struct lab_hc_info info = {};
	long rc = maze_extent_info(&port->ext, LAB_HC_INFO_PRESSURE_LINE, &info);

	if (rc != LAB_HC_OK || info.abi_version != LAB_HC_ABI_VERSION ||
	    info.room_size != LAB_ROOM_SIZE || info.window_base != win->start ||
	    info.window_size != resource_size(win) || !info.window_size) {
		dev_err(dev, "the monitor's INFO (%ld: ABI %u, window %llu bytes at 0x%llx) is not what it described (%pR)\n",
			rc, info.abi_version, info.window_size, info.window_base, win);
		return -ENODEV;
	}
	port->ext.reserve = info.rooms_reserved;
	port->ext.peer_id = info.guest_id;
	return 0;
}

static int maze_port_map(struct maze_port *port, const struct resource *win)
{
	struct maze_extent *ext = &port->ext;

	ext->gpa = win->start;
	ext->size = resource_size(win);
	ext->rooms = ext->size / LAB_ROOM_SIZE;
	ext->handed = kvcalloc(BITS_TO_LONGS(ext->rooms), sizeof(long), GFP_KERNEL);
	if (!ext->handed)
		return -ENOMEM;
	ext->base = memremap(ext->gpa, ext->size, MEMREMAP_WB);
	return ext->base ? 0 : -ENOMEM;
}

static int maze_port_probe(struct platform_device *pdev)
{
	struct resource *io = platform_get_resource(pdev, IORESOURCE_IO, 0);
	struct resource *win = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	int irq = platform_get_irq(pdev, 0), rc;
	struct maze_port *port;

	if (!io || resource_size(io) < LAB_HC_PORT_SIZE || !win || irq < 0) {
		dev_err(&pdev->dev, "the description names no port, room window or pressure line\n");
		return -ENODEV;
	}
	port = kzalloc(sizeof(*port), GFP_KERNEL);
	if (!port)
		return -ENOMEM;
	port->io = io->start;
	port->irq = irq;
	port->ext.maze = &the_maze;
	port->ext.carrier = &port_carrier;
	atomic_set(&port->ext.held, 1);
	INIT_WORK(&port->ext.reap, maze_port_reap);
	port->blocks_size = PAGE_ALIGN(nr_cpu_ids * sizeof(struct port_block));
	port->blocks = alloc_pages_exact(port->blocks_size, GFP_KERNEL | __GFP_DMA32 | __GFP_ZERO);
	rc = port->blocks ? maze_port_map(port, win) : -ENOMEM;
	if (!rc)
		rc = request_irq(irq, on_pressure, 0, "labyrinth-pressure", port);
	if (rc) {
		maze_port_free(port);
		return rc;
	}
	rc = maze_port_info(&pdev->dev, port, win);
	if (!rc) {
		rc = maze_add(port->ext.maze, &port->ext);
		if (rc)
			dev_err(&pdev->dev, "a maze has %u extents at most\n", MAZE_EXTENTS_MAX);
	}
	if (rc) {
		free_irq(irq, port);
		maze_port_free(port);
		return rc;
	}
	platform_set_drvdata(pdev, port);
	dev_info(&pdev->dev, "labyrinth guest %u, our monitor's port 0x%x: room window %llu MiB at 0x%llx (rooms 0..%u), reserve %u, pressure on IRQ %d\n",
		 port->ext.peer_id, port->io, port->ext.size >> 20, (u64)port->ext.gpa,
		 port->ext.rooms - 1, port->ext.reserve, irq);
	return 0;
}

/* Rooms still handed out stay this guest's until the VM ends: the monitor
 * frees what a guest holds when it stops. */
static int maze_port_remove(struct platform_device *pdev)
{
	struct maze_port *port = platform_get_drvdata(pdev);
	struct maze_extent *ext = &port->ext;
	u32 handed = bitmap_weight(ext->handed, ext->rooms);

	maze_retire(ext->maze, ext);
	free_irq(port->irq, port);
	if (handed)
		dev_warn(&pdev->dev, "%u rooms are still their callers': they stay held until the VM ends\n",
			 handed);
	if (atomic_dec_and_test(&ext->held))
		maze_port_reap(&ext->reap);	/* now: the module may be going */
	return 0;
}

static const struct acpi_device_id port_ids[] = {
	{ LAB_HC_ACPI_HID, 0 },
	{ }
};
MODULE_DEVICE_TABLE(acpi, port_ids);

static struct platform_driver port_driver = {
	.probe = maze_port_probe,
	.remove = maze_port_remove,
	.driver = {
		.name = "labyrinth-port",
		.acpi_match_table = port_ids,
	},
};

static bool port_registered;

int maze_port_register(void)
{
	int rc;

	if (!acpi_dev_present(LAB_HC_ACPI_HID, NULL, -1)) {
		pr_info("labyrinth: no hypercall port described (no ACPI device %s): not binding one\n",
			LAB_HC_ACPI_HID);
		return 0;
	}
	rc = platform_driver_register(&port_driver);
	port_registered = !rc;
	return rc;
}

void maze_port_unregister(void)
{
	if (port_registered)
		platform_driver_unregister(&port_driver);
	port_registered = false;
}
