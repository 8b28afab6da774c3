// SPDX-License-Identifier: GPL-2.0
/*
 * L2 workload of the nested bench: the VM whose assigned NVMe VF is live
 * migrated. It finds the NVMe function by a PCI config scan, brings it up
 * with a polled admin queue and one polled I/O queue pair, and then loops
 * forever over a range of LBAs: each pass reads every LBA and checks that
 * it holds what the previous pass wrote (so data written on the source is
 * checked on the target), writes the next generation, reads it back into
 * that LBA's own read buffer and checks it; at the end of the pass every
 * read buffer is checked once more as memory. Every completion's CID,
 * phase and status are checked.
 *
 * The read buffers and the completion queues are written by the controller
 * only (the CPU clears them once, at boot): a live migration brings what
 * the controller wrote there over to the target only if the dirty page
 * report names those pages (VFIO DMA logging, or all RAM counted dirty).
 * A page missed there fails the read-back or end-of-pass check, or a
 * completion never arrives, on the target.
 *
 * Serial (COM1) protocol read by the L1 scripts (selftests/nested/):
 *   L2-READY bdf=.. lbas=N lbasz=N run=ID  controller up, loop starting
 *   L2-PASS gen=G                          pass G verified
 *   L2-T N                                 N I/O commands completed
 *                                          (after every tick-th one)
 *   L2-FAIL <reason>                       stops here (halts)
 *
 * The L2-T lines are the workload's clock as L1 sees it: the guest's own
 * clocks (TSC, PIT, HPET, PM timer) follow QEMU's virtual clock, which
 * stands still while a migration has the VM stopped, so the workload cannot
 * time its own downtime. L1 stamps each serial line with its wall-clock
 * time as it arrives (selftests/nested/serts.c); the gap in the L2-T lines
 * across the switchover is the time the workload did no I/O. The tick is
 * L2_TICK commands, or tick=N on the multiboot command line (-append).
 *
 * No paging: addresses are guest-physical, which is what the device sees
 * through vfio. No interrupts are used (cli), so nothing but this loop runs.
 */
#include <stdint.h>
#include <stddef.h>

#define L2_LBAS		16	/* LBAs of the range the workload owns */
#define L2_BASE_LBA	4096	/* away from anything the L1 may look at */
#define QDEPTH		16
/*
 * I/O commands between two L2-T lines. A pass is 48 commands (16 LBAs:
 * read, write, read back); Documentation/testing.rst has the measured
 * rate of lines and what the lines cost.
 */
#define L2_TICK		16
/*
 * Polls give up after this many TSC ticks (TCG's TSC follows the host's:
 * about two minutes at 2-3 GHz), not a loop count: under nested TCG a
 * loop iteration costs anything from nanoseconds to milliseconds.
 */
#define POLL_TICKS	(300ULL * 1000 * 1000 * 1000)

/* ---- port I/O, serial ---- */

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

#define COM1 0x3f8

static void putc_(char c)
{
	unsigned int i;

	for (i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		;
	outb(COM1, c);
}

static void puts_(const char *s)
{
	while (*s) {
		if (*s == '\n')
			putc_('\r');
		putc_(*s++);
	}
}

static void puthex(uint32_t v)
{
	static const char d[] = "0123456789abcdef";
	char b[11] = "0x";
	int i;

	for (i = 0; i < 8; i++)
		b[2 + i] = d[(v >> (28 - 4 * i)) & 0xf];
	b[10] = 0;
	puts_(b);
}

static void putdec(uint32_t v)
{
	char b[11];
	int i = 10;

	b[i] = 0;
	do {
		b[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	puts_(b + i);
}

static void __attribute__((noreturn)) fail(const char *what, uint32_t a, uint32_t b)
{
	puts_("L2-FAIL ");
	puts_(what);
	puts_(" ");
	puthex(a);
	puts_(" ");
	puthex(b);
	puts_("\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* ---- PCI configuration (mechanism #1) ---- */

static uint32_t pci_rd(uint32_t bdf, uint32_t off)
{
	outl(0xcf8, 0x80000000u | bdf << 8 | (off & 0xfc));
	return inl(0xcfc);
}

static void pci_wr(uint32_t bdf, uint32_t off, uint32_t v)
{
	outl(0xcf8, 0x80000000u | bdf << 8 | (off & 0xfc));
	outl(0xcfc, v);
}

/* ---- NVMe ---- */

struct sqe {
	uint32_t cdw0, nsid, rsvd2, rsvd3;
	uint32_t mptr_lo, mptr_hi;
	uint32_t prp1_lo, prp1_hi, prp2_lo, prp2_hi;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

struct cqe {
	uint32_t dw0, dw1;
	uint16_t sqhd, sqid;
	uint16_t cid, status;	/* status bit 0 is the phase tag */
};

_Static_assert(sizeof(struct sqe) == 64, "SQE size");
_Static_assert(sizeof(struct cqe) == 16, "CQE size");

struct queue {
	volatile struct sqe *sq;
	volatile struct cqe *cq;
	uint16_t qid, sq_tail, cq_head, phase, cid;
};

static uint8_t asq_mem[4096] __attribute__((aligned(4096)));
static uint8_t acq_mem[4096] __attribute__((aligned(4096)));
static uint8_t iosq_mem[4096] __attribute__((aligned(4096)));
static uint8_t iocq_mem[4096] __attribute__((aligned(4096)));
static uint8_t buf[4096] __attribute__((aligned(4096)));
/* One read-back buffer per LBA, written by the controller only. */
static uint8_t rbuf[L2_LBAS][4096] __attribute__((aligned(4096)));

static volatile uint8_t *bar;
static uint32_t dstrd;
static struct queue adminq, ioq;
static uint32_t io_done, tick = L2_TICK;

static uint32_t rd32(uint32_t off)
{
	return *(volatile uint32_t *)(bar + off);
}

static void wr32(uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(bar + off) = v;
}

static void doorbell(uint16_t qid, int cq, uint16_t v)
{
	wr32(0x1000 + (2 * qid + cq) * (4u << dstrd), v);
}

static void *memset_(void *p, int c, size_t n)
{
	uint8_t *d = p;

	while (n--)
		*d++ = c;
	return p;
}

/* Submits @c on @q and polls its completion; returns dw0, fails on error. */
static uint32_t run(struct queue *q, struct sqe *c, const char *what)
{
	volatile struct cqe *e;
	uint64_t t0;
	uint32_t st;
	uint16_t cid = ++q->cid;

	c->cdw0 = (c->cdw0 & 0xffff) | (uint32_t)cid << 16;
	q->sq[q->sq_tail] = *c;
	q->sq_tail = (q->sq_tail + 1) % QDEPTH;
	__asm__ volatile("" : : : "memory");
	doorbell(q->qid, 0, q->sq_tail);

	e = &q->cq[q->cq_head];
	t0 = rdtsc();
	while ((e->status & 1) != q->phase)
		if (rdtsc() - t0 > POLL_TICKS)
			fail(what, 0xffffffff, cid);
	__asm__ volatile("" : : : "memory");
	if (e->cid != cid)
		fail("cid-mismatch", e->cid, cid);
	if (e->sqid != q->qid)
		fail("sqid-mismatch", e->sqid, q->qid);
	st = e->status >> 1;
	q->cq_head++;
	if (q->cq_head == QDEPTH) {
		q->cq_head = 0;
		q->phase ^= 1;
	}
	doorbell(q->qid, 1, q->cq_head);
	if (st)
		fail(what, st, c->cdw0 & 0xff);
	return e->dw0;
}

static void wait_rdy(uint32_t want)
{
	uint64_t t0 = rdtsc();
	uint32_t csts;

	while (((csts = rd32(0x1c)) & 1) != want) {
		if (csts & 2)
			fail("csts-cfs", csts, want);
		if (rdtsc() - t0 > POLL_TICKS)
			fail("csts-rdy-timeout", csts, want);
	}
}

/* Data of @lba for generation @gen of run @run_id: every word checkable. */
static uint32_t pattern(uint32_t lba, uint32_t gen, uint32_t run_id, uint32_t i)
{
	uint32_t x = lba * 0x9e3779b1u ^ gen * 0x85ebca6bu ^ run_id ^ i * 0xc2b2ae35u;

	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	x ^= x >> 12;
	return x;
}

static void fill(uint32_t lba, uint32_t gen, uint32_t run_id, uint32_t words)
{
	uint32_t *w = (uint32_t *)buf, i;

	w[0] = 0x4b57324c;	/* "L2WK" */
	w[1] = lba;
	w[2] = gen;
	w[3] = run_id;
	for (i = 4; i < words; i++)
		w[i] = pattern(lba, gen, run_id, i);
}

/* Checks @b holds @lba's data of @gen; @mem: the end-of-pass memory check. */
static void check(const uint8_t *b, uint32_t lba, uint32_t gen, uint32_t run_id,
		  uint32_t words, int mem)
{
	const uint32_t *w = (const uint32_t *)b;
	uint32_t i;

	if (w[0] != 0x4b57324c || w[1] != lba || w[3] != run_id)
		fail(mem ? "memory-header lba/word1" : "verify-header lba/word1", lba, w[1]);
	if (w[2] != gen)
		fail(mem ? "memory-generation lba/found" : "verify-generation lba/found", lba, w[2]);
	for (i = 4; i < words; i++)
		if (w[i] != pattern(lba, gen, run_id, i))
			fail(mem ? "memory-data lba/word" : "verify-data lba/word", lba, i);
}

static void rw(uint8_t opc, uint32_t lba, uint8_t *b)
{
	struct sqe c;

	memset_(&c, 0, sizeof(c));
	c.cdw0 = opc;
	c.nsid = 1;
	c.prp1_lo = (uint32_t)(uintptr_t)b;
	c.cdw10 = lba;
	c.cdw11 = 0;
	c.cdw12 = 0;		/* one block */
	run(&ioq, &c, opc == 1 ? "write" : "read");
	if (++io_done % tick == 0) {
		puts_("L2-T ");
		putdec(io_done);
		puts_("\n");
	}
}

/*
 * tick=N (1..100000) from the multiboot command line, if the loader gave
 * one (QEMU: the kernel's file name, then -append's words).
 */
static void parse_cmdline(uint32_t mbi)
{
	const uint32_t *info = (const uint32_t *)(uintptr_t)mbi;
	const char *p;
	uint32_t v;

	if (!info || !(info[0] & 4))	/* flags: cmdline valid */
		return;
	for (p = (const char *)(uintptr_t)info[4]; *p; p++) {
		if (p[0] != 't' || p[1] != 'i' || p[2] != 'c' || p[3] != 'k' || p[4] != '=')
			continue;
		for (v = 0, p += 5; *p >= '0' && *p <= '9' && v < 1000000; p++)
			v = v * 10 + (*p - '0');
		if (v >= 1 && v <= 100000)
			tick = v;
		return;
	}
}

extern uint8_t __bss_start[], __bss_end[];

void l2_main(uint32_t magic, uint32_t mbi);

void l2_main(uint32_t magic, uint32_t mbi)
{
	uint32_t bdf, id, cls, bar0, bar1, cap_lo, cap_hi, mqes, flbas, lbads;
	uint32_t lbasz, words, nsze, gen, run_id, lba, i;
	struct sqe c;

	memset_(__bss_start, 0, __bss_end - __bss_start);
	outb(COM1 + 1, 0);	/* no UART interrupts */
	puts_("L2: nested bench workload\n");
	if (magic != 0x2BADB002)
		fail("multiboot-magic", magic, 0);
	parse_cmdline(mbi);

	for (bdf = 0; bdf < 8 * 256; bdf++) {
		id = pci_rd(bdf, 0);
		if ((id & 0xffff) == 0xffff)
			continue;
		cls = pci_rd(bdf, 8) >> 8;
		if (cls == 0x010802)
			break;
	}
	if (bdf == 8 * 256)
		fail("no-nvme-function", 0, 0);

	bar0 = pci_rd(bdf, 0x10);
	bar1 = (bar0 & 0x6) == 0x4 ? pci_rd(bdf, 0x14) : 0;
	if (bar1 || !(bar0 & ~0xfu))
		fail("bar0-unusable-in-32-bit", bar0, bar1);
	bar = (volatile uint8_t *)(uintptr_t)(bar0 & ~0xfu);
	pci_wr(bdf, 0x04, (pci_rd(bdf, 0x04) & 0xffff) | 0x6);	/* MSE, BME */

	cap_lo = rd32(0x0);
	cap_hi = rd32(0x4);
	mqes = cap_lo & 0xffff;
	dstrd = cap_hi & 0xf;
	if (mqes + 1 < QDEPTH)
		fail("mqes-too-small", mqes, QDEPTH);

	wr32(0x14, 0);		/* CC.EN = 0 */
	wait_rdy(0);
	adminq.sq = (volatile struct sqe *)asq_mem;
	adminq.cq = (volatile struct cqe *)acq_mem;
	adminq.phase = 1;
	wr32(0x24, (QDEPTH - 1) << 16 | (QDEPTH - 1));
	wr32(0x28, (uint32_t)(uintptr_t)asq_mem);
	wr32(0x2c, 0);
	wr32(0x30, (uint32_t)(uintptr_t)acq_mem);
	wr32(0x34, 0);
	wr32(0x14, 4 << 20 | 6 << 16 | 1);	/* IOCQES 4, IOSQES 6, MPS 0, EN */
	wait_rdy(1);

	/* Identify Namespace 1: size and LBA format. */
	memset_(&c, 0, sizeof(c));
	c.cdw0 = 0x06;
	c.nsid = 1;
	c.prp1_lo = (uint32_t)(uintptr_t)buf;
	c.cdw10 = 0;
	run(&adminq, &c, "identify-ns");
	nsze = *(uint32_t *)buf;
	flbas = buf[26] & 0xf;
	lbads = (*(uint32_t *)(buf + 128 + 4 * flbas) >> 16) & 0xff;
	if (lbads < 9 || lbads > 12)
		fail("lba-size", lbads, flbas);
	lbasz = 1u << lbads;
	words = lbasz / 4;
	if (nsze < L2_BASE_LBA + L2_LBAS)
		fail("namespace-too-small", nsze, L2_BASE_LBA + L2_LBAS);

	/* Set Features Number of Queues, then I/O CQ 1 and SQ 1, polled. */
	memset_(&c, 0, sizeof(c));
	c.cdw0 = 0x09;
	c.cdw10 = 0x07;
	c.cdw11 = 0;
	run(&adminq, &c, "set-features-nq");
	ioq.qid = 1;
	ioq.sq = (volatile struct sqe *)iosq_mem;
	ioq.cq = (volatile struct cqe *)iocq_mem;
	ioq.phase = 1;
	memset_(&c, 0, sizeof(c));
	c.cdw0 = 0x05;
	c.prp1_lo = (uint32_t)(uintptr_t)iocq_mem;
	c.cdw10 = (QDEPTH - 1) << 16 | 1;
	c.cdw11 = 1;		/* PC, no interrupts */
	run(&adminq, &c, "create-io-cq");
	memset_(&c, 0, sizeof(c));
	c.cdw0 = 0x01;
	c.prp1_lo = (uint32_t)(uintptr_t)iosq_mem;
	c.cdw10 = (QDEPTH - 1) << 16 | 1;
	c.cdw11 = 1 << 16 | 1;	/* CQID 1, PC */
	run(&adminq, &c, "create-io-sq");

	run_id = (uint32_t)rdtsc() | 1;
	puts_("L2-READY bdf=");
	puthex(bdf);
	puts_(" lbas=");
	putdec(L2_LBAS);
	puts_(" lbasz=");
	putdec(lbasz);
	puts_(" run=");
	puthex(run_id);
	puts_(" tick=");
	putdec(tick);
	puts_("\n");

	for (gen = 1;; gen++) {
		for (i = 0; i < L2_LBAS; i++) {
			lba = L2_BASE_LBA + i;
			if (gen > 1) {
				/* Cleared first: the data must come from the read. */
				memset_(buf, 0, lbasz);
				rw(0x02, lba, buf);
				check(buf, lba, gen - 1, run_id, words, 0);
			}
			fill(lba, gen, run_id, words);
			rw(0x01, lba, buf);
			/* rbuf[i] holds gen - 1 (or zeroes): the read must change it. */
			rw(0x02, lba, rbuf[i]);
			check(rbuf[i], lba, gen, run_id, words, 0);
		}
		for (i = 0; i < L2_LBAS; i++)
			check(rbuf[i], L2_BASE_LBA + i, gen, run_id, words, 1);
		puts_("L2-PASS gen=");
		putdec(gen);
		puts_("\n");
	}
}
