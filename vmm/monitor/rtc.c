/* Time is read from the host clock at each access, so it is always current
 * and never "updating" (register A's UIP bit stays clear): a guest's
 * read-twice-and-compare loop ends at once. No alarms, no periodic or update
 * interrupts; register C reads as "no interrupt pending". Registers keep
 * what the guest writes, except the time, which follows the host. */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "boot_layout.h"
#include "vm.h"
#include "rtc.h"

#define RTC_PORT_INDEX 0x70
#define RTC_PORT_DATA 0x71
#define RTC_INDEX_MASK 0x7f	/* bit 7 masks NMIs: nothing to mask here */

#define REG_SECONDS 0x00
#define REG_MINUTES 0x02
#define REG_HOURS 0x04
#define REG_WEEKDAY 0x06
#define REG_DAY 0x07
#define REG_MONTH 0x08
#define REG_YEAR 0x09
#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define REG_D 0x0d
#define REG_BASE_MEM_LO 0x15
#define REG_EXT_MEM_LO 0x17	/* and 0x30: KiB above 1 MiB, at most 0xffff */
#define REG_EXT_MEM2_LO 0x30
#define REG_CENTURY 0x32
#define REG_HIGH_MEM_LO 0x34	/* 64 KiB blocks above 16 MiB, at most 0xffff */
#define REG_NB_CPUS_M1 0x5f	/* CPUs - 1, where QEMU stores it for SeaBIOS */

#define REG_A_DEFAULT 0x26	/* 32.768 kHz base, 1024 Hz rate, UIP clear */
#define REG_B_24H 0x02
#define REG_B_BINARY 0x04
#define REG_D_VALID 0x80	/* RAM and time valid: the battery is fine */

static struct {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t ram[128];
} rtc = {.lock = PTHREAD_MUTEX_INITIALIZER};

static uint8_t encode(unsigned v)
{
	if (rtc.ram[REG_B] & REG_B_BINARY)
		return (uint8_t)v;
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static bool is_time_reg(uint8_t reg)
{
	return reg == REG_SECONDS || reg == REG_MINUTES || reg == REG_HOURS ||
	       (reg >= REG_WEEKDAY && reg <= REG_YEAR) || reg == REG_CENTURY;
}

/* Always the 24-hour form: a guest that asks for 12-hour mode still gets 0-23. */
static uint8_t read_time_locked(uint8_t reg)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	switch (reg) {
	case REG_SECONDS: return encode((unsigned)tm.tm_sec);
	case REG_MINUTES: return encode((unsigned)tm.tm_min);
	case REG_HOURS: return encode((unsigned)tm.tm_hour);
	case REG_WEEKDAY: return encode((unsigned)tm.tm_wday + 1);
	case REG_DAY: return encode((unsigned)tm.tm_mday);
	case REG_MONTH: return encode((unsigned)tm.tm_mon + 1);
	case REG_YEAR: return encode((unsigned)(tm.tm_year % 100));
	default: return encode((unsigned)(tm.tm_year / 100 + 19));	/* century */
	}
}

static void rtc_io(struct vcpu *cpu, uint16_t port, bool write, uint8_t *data,
		   unsigned size, void *opaque)
{
	(void)cpu, (void)opaque, (void)size;
	pthread_mutex_lock(&rtc.lock);
	if (port == RTC_PORT_INDEX) {
		if (write)
			rtc.index = data[0] & RTC_INDEX_MASK;
		else
			data[0] = 0xff;		/* the index register is write-only */
	} else if (write) {
		if (rtc.index != REG_C && rtc.index != REG_D)
			rtc.ram[rtc.index] = data[0];
	} else {
		data[0] = is_time_reg(rtc.index) ? read_time_locked(rtc.index)
						 : rtc.ram[rtc.index];
	}
	pthread_mutex_unlock(&rtc.lock);
}

static void put16(uint8_t reg, uint64_t v)
{
	if (v > 0xffff)
		v = 0xffff;
	rtc.ram[reg] = (uint8_t)v;
	rtc.ram[reg + 1] = (uint8_t)(v >> 8);
}

int rtc_init(struct vm *vm, uint64_t ram_size, unsigned cpus)
{
	(void)vm;
	memset(rtc.ram, 0, sizeof(rtc.ram));
	rtc.ram[REG_A] = REG_A_DEFAULT;
	rtc.ram[REG_B] = REG_B_24H;
	rtc.ram[REG_D] = REG_D_VALID;
	put16(REG_BASE_MEM_LO, LAYOUT_LEGACY_HOLE >> 10);
	put16(REG_EXT_MEM_LO, (ram_size - LAYOUT_BIOS_END) >> 10);
	put16(REG_EXT_MEM2_LO, (ram_size - LAYOUT_BIOS_END) >> 10);
	put16(REG_HIGH_MEM_LO, ram_size > (16u << 20) ? (ram_size - (16u << 20)) >> 16 : 0);
	rtc.ram[REG_NB_CPUS_M1] = (uint8_t)(cpus - 1);
	return pio_register(RTC_PORT_INDEX, 2, rtc_io, NULL);
}
