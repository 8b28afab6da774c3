// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-hmlm: the User Data Migration Queue (a Controller Data Queue of
 * type 0) and its log fd.
 *
 * The queue is kernel memory the device writes LBA Migration Queue entries
 * (Type 0, 32 bytes) into; the host owns the head. Entries are found by
 * their phase tag. Arrival is event-driven: every head update (Set
 * Features FID 21h) also arms the Tail Pointer Trigger at the slot after
 * the head, so the device raises a One-Shot "CDQ Tail Pointer" event
 * (nvme-core passes it to session.c) when the next entry is posted; a
 * reader that finds the queue empty and the trigger not armed arms it.
 * The trigger fires when the tail reaches TPT (NVMe 2.1 §8.1.6; §5.1.25's
 * wording differs by a slot, see the digest's §13): as a fallback for a
 * device that reads it the other way, a slow timer (HMLM_LOG_FALLBACK)
 * wakes waiting readers to look again.
 *
 * read() decodes whole entries into &struct nvme_hmlm_log_rec. The head
 * goes back to the device from a work item under the session's lock, so
 * it is ordered with SUSPEND (whose DUDMQ deletes the queue) and never
 * reaches a recycled CDQID.
 *
 * Memory: the queue's memory is freed only when the device provably
 * cannot write it any more: a Delete CDQ succeeded, a SUSPEND with DUDMQ
 * succeeded, or nvme-core said the MMC is disabled (session.c frees it
 * then, under an open log fd). Otherwise it becomes an orphan (session.c)
 * until its MMC is disabled.
 */
#include <linux/anon_inodes.h>
#include <linux/dma-mapping.h>
#include <linux/file.h>
#include <linux/moduleparam.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/timer.h>
#include <linux/uaccess.h>
#include <linux/unaligned.h>

#include <uapi/linux/nvme_hmlm.h>

#include "hmlm.h"

#define HMLM_ENTRY_LEN		32
#define HMLM_LOG_FALLBACK	(HZ / 4)
#define HMLM_READ_BATCH		8

/**
 * struct hmlm_cdq_mem - one DMA allocation given to the device
 * @node: Entry on the log's @mem, or on a free or orphan list.
 * @dev: The device it was allocated for.
 * @size: Bytes.
 * @cpu: Kernel address.
 * @dma: Bus address.
 */
struct hmlm_cdq_mem {
	struct list_head	node;
	struct device		*dev;
	size_t			size;
	void			*cpu;
	dma_addr_t		dma;
};

/**
 * struct hmlm_log - a User Data Migration Queue and its reader
 * @s: The session.
 * @ctrl: The session's MMC.
 * @cdqid: The queue's identifier, valid once @created.
 * @created: The Create command was sent: the queue may exist on the device.
 * @slots: Number of 32-byte slots.
 * @pc: The queue is one contiguous buffer (@ring), else @chunks.
 * @ring: Contiguous queue memory.
 * @chunks: PAGE_SIZE pieces of a PRP list queue; @nchunks of them.
 * @nchunks: Number of @chunks.
 * @mem_lock: Protects @mem and @mem_ok; a reader looks at entries under it.
 *	Nests inside hmlm_sessions_lock, so always taken with interrupts off.
 * @mem: The DMA allocations (&struct hmlm_cdq_mem).
 * @mem_ok: @mem is still attached: @ring / @chunks may be read.
 * @lock: Protects @head, @phase, @seq, @ended, @gone.
 * @head: Next slot to read.
 * @phase: Phase tag expected at @head.
 * @seq: Records read so far.
 * @ended: A final marker was read: nothing more will come (end of file).
 * @gone: The device deleted the queue (SUSPEND with DUDMQ).
 * @read_lock: Serialises readers, held across the copy to the reader.
 * @logging: Logging is on as far as the host knows; under the session's
 *	@lock.
 * @closing: The log is being closed: the head work sends nothing more.
 * @armed: The Tail Pointer Trigger is armed (cleared by its event).
 * @sent_head: Last head the device was told; under the session's @lock.
 * @head_work: Sends the head and arms the trigger.
 * @wq: Readers and pollers wait here.
 * @timer: The fallback timer.
 */
struct hmlm_log {
	struct hmlm_session	*s;
	struct nvme_ctrl	*ctrl;
	u16			cdqid;
	bool			created;
	u32			slots;
	bool			pc;
	void			*ring;
	void			**chunks;
	u32			nchunks;
	/* protects @mem, @mem_ok */
	spinlock_t		mem_lock;
	struct list_head	mem;
	bool			mem_ok;
	/* protects the reader's position */
	struct mutex		lock;
	u32			head;
	u8			phase;
	u64			seq;
	bool			ended;
	bool			gone;
	/* serialises readers */
	struct mutex		read_lock;
	bool			logging;
	bool			closing;
	bool			armed;
	u32			sent_head;
	struct work_struct	head_work;
	wait_queue_head_t	wq;
	struct timer_list	timer;
};

/*
 * Bytes of DMA memory given to devices and not freed yet, orphans
 * included: /sys/module/nvme_hmlm/parameters/dma_bytes, so tests (and
 * operators) can see that a disabled controller's memory was freed.
 */
static atomic_long_t hmlm_dma_bytes = ATOMIC_LONG_INIT(0);

/**
 * hmlm_dma_bytes_get() - read the dma_bytes parameter
 * @buf: The sysfs buffer.
 * @kp: The parameter.
 *
 * Context: Process context.
 * Return: the number of characters written.
 */
static int hmlm_dma_bytes_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&hmlm_dma_bytes));
}

static const struct kernel_param_ops hmlm_dma_bytes_ops = {
	.get	= hmlm_dma_bytes_get,
};
module_param_cb(dma_bytes, &hmlm_dma_bytes_ops, NULL, 0444);
MODULE_PARM_DESC(dma_bytes, "DMA memory given to controllers, in bytes (read-only)");

/**
 * hmlm_cdq_mem_alloc() - allocate zeroed DMA memory for the device
 * @log: The log; the allocation joins its @mem.
 * @size: Bytes.
 * @gfp: Allocation flags.
 *
 * Context: Process context; sleeps.
 * Return: the allocation, or NULL.
 */
static struct hmlm_cdq_mem *hmlm_cdq_mem_alloc(struct hmlm_log *log,
					       size_t size, gfp_t gfp)
{
	struct hmlm_cdq_mem *m;

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return NULL;
	m->dev = log->ctrl->dev;
	m->size = size;
	m->cpu = dma_alloc_coherent(m->dev, size, &m->dma, gfp);
	if (!m->cpu) {
		kfree(m);
		return NULL;
	}
	memset(m->cpu, 0, size);
	atomic_long_add(size, &hmlm_dma_bytes);
	/* irqs off: nests in hmlm_sessions_lock, which the AEN path takes */
	spin_lock_irq(&log->mem_lock);
	list_add_tail(&m->node, &log->mem);
	spin_unlock_irq(&log->mem_lock);
	return m;
}

/**
 * hmlm_cdq_mem_free_list() - free DMA memory the device no longer owns
 * @freeq: &struct hmlm_cdq_mem entries; emptied.
 *
 * Context: Process context.
 */
void hmlm_cdq_mem_free_list(struct list_head *freeq)
{
	struct hmlm_cdq_mem *m, *tmp;

	list_for_each_entry_safe(m, tmp, freeq, node) {
		list_del(&m->node);
		dma_free_coherent(m->dev, m->size, m->cpu, m->dma);
		atomic_long_sub(m->size, &hmlm_dma_bytes);
		kfree(m);
	}
}

/**
 * hmlm_log_detach_mem() - take the queue memory away from the log
 * @log: The log.
 * @freeq: Where the memory goes.
 *
 * After this no reader touches the memory; the log reads -ENODEV if its
 * session is dead, and nothing otherwise.
 *
 * Context: Any context; takes and releases @log->mem_lock.
 */
void hmlm_log_detach_mem(struct hmlm_log *log, struct list_head *freeq)
{
	unsigned long flags;

	spin_lock_irqsave(&log->mem_lock, flags);
	log->mem_ok = false;
	list_splice_tail_init(&log->mem, freeq);
	spin_unlock_irqrestore(&log->mem_lock, flags);
}

/**
 * hmlm_log_cdqid() - the queue's identifier
 * @log: The log.
 *
 * Context: Any context.
 * Return: the CDQID, or 0xffff before the queue was created.
 */
u16 hmlm_log_cdqid(const struct hmlm_log *log)
{
	return READ_ONCE(log->created) ? log->cdqid : 0xffff;
}

/**
 * hmlm_log_entry() - address of a slot
 * @log: The log, @mem_lock held and @mem_ok.
 * @idx: Slot index.
 *
 * Context: Any context.
 * Return: the slot's entry.
 */
static struct nvme_lm_lbamqe0 *hmlm_log_entry(struct hmlm_log *log, u32 idx)
{
	size_t ofs = (size_t)idx * HMLM_ENTRY_LEN;

	if (log->pc)
		return log->ring + ofs;
	return log->chunks[ofs / PAGE_SIZE] + ofs % PAGE_SIZE;
}

/**
 * hmlm_log_ready() - is the entry at the head posted
 * @log: The log.
 *
 * Context: Process context; takes and releases @log->mem_lock.
 * Return: true if the device posted the entry at the head.
 */
static bool hmlm_log_ready(struct hmlm_log *log)
{
	bool ready = false;

	spin_lock_irq(&log->mem_lock);
	if (log->mem_ok)
		ready = (READ_ONCE(hmlm_log_entry(log, READ_ONCE(log->head))->lbamqa) &
			 NVME_LM_LBAMQA_CDQP) == READ_ONCE(log->phase);
	spin_unlock_irq(&log->mem_lock);
	return ready;
}

/**
 * hmlm_log_wake() - wake the log's readers
 * @log: The log.
 *
 * Context: Any context.
 */
void hmlm_log_wake(struct hmlm_log *log)
{
	wake_up_interruptible_poll(&log->wq, EPOLLIN | EPOLLERR | EPOLLHUP);
}

/**
 * hmlm_log_event() - a One-Shot event named this log's queue
 * @log: The log.
 * @aei: The Asynchronous Event Information (CDQ Tail Pointer or Full).
 *
 * Context: Atomic context (the completion interrupt).
 */
void hmlm_log_event(struct hmlm_log *log, u8 aei)
{
	if (aei == NVME_LM_AER_AEI_CDQ_TPT)
		WRITE_ONCE(log->armed, false);
	hmlm_log_wake(log);
}

/**
 * hmlm_log_queue_gone() - the device deleted the queue
 * @log: The log.
 *
 * Called when a SUSPEND with DUDMQ succeeded: the device posted the
 * "suspended" entry, then deleted the queue.
 *
 * Context: Process context; expects the session's @lock held.
 */
void hmlm_log_queue_gone(struct hmlm_log *log)
{
	mutex_lock(&log->lock);
	log->gone = true;
	log->logging = false;
	mutex_unlock(&log->lock);
	hmlm_log_wake(log);
}

/**
 * hmlm_log_timer_fn() - the fallback timer
 * @t: The timer.
 *
 * Wakes waiting readers, which look at the queue again, in case a device
 * posts an entry without the event the trigger asked for.
 *
 * Context: Timer (softirq) context.
 */
static void hmlm_log_timer_fn(struct timer_list *t)
{
	struct hmlm_log *log = from_timer(log, t, timer);

	if (wq_has_sleeper(&log->wq))
		hmlm_log_wake(log);
	mod_timer(&log->timer, jiffies + HMLM_LOG_FALLBACK);
}

/**
 * hmlm_log_set_head() - Set Features FID 21h: the head, and arm the trigger
 * @log: The log.
 * @hp: The head slot.
 *
 * TPT is the slot after the head: the event fires when the entry at the
 * head is posted (the tail then moves to TPT).
 *
 * Context: Process context; expects the session's @lock held; sleeps.
 * Return: as hmlm_submit_admin().
 */
static int hmlm_log_set_head(struct hmlm_log *log, u32 hp)
{
	struct nvme_command c = { };

	lockdep_assert_held(&log->s->lock);
	c.features.opcode = nvme_admin_set_features;
	c.features.fid = cpu_to_le32(NVME_LM_FID_CDQ);
	c.features.dword11 = cpu_to_le32(NVME_LM_FEAT_CDQ_CDW11(log->cdqid, 1));
	c.common.cdw12 = cpu_to_le32(hp);
	c.common.cdw13 = cpu_to_le32((hp + 1) % log->slots);
	return hmlm_submit_admin(log->ctrl, &c, NULL, 0, NULL);
}

/**
 * hmlm_log_update_head() - tell the device the head, arm the trigger
 * @log: The log.
 *
 * Not while a Suspend is in flight: its DUDMQ may delete the queue, and
 * the CDQID may then be another session's.
 *
 * Context: Process context; expects the session's @lock held; sleeps.
 */
static void hmlm_log_update_head(struct hmlm_log *log)
{
	struct hmlm_session *s = log->s;
	bool gone;
	u32 hp;

	lockdep_assert_held(&s->lock);
	if (log->closing || hmlm_session_usable(s) ||
	    hmlm_settle_pending(s, false))
		return;
	mutex_lock(&log->lock);
	hp = log->head;
	gone = log->gone || log->ended;
	mutex_unlock(&log->lock);
	if (gone || (hp == log->sent_head && READ_ONCE(log->armed)))
		return;
	WRITE_ONCE(log->armed, true);
	if (hmlm_log_set_head(log, hp) == 0)
		log->sent_head = hp;
	else
		WRITE_ONCE(log->armed, false);
	/* An entry posted before the trigger was armed raises no event. */
	if (hmlm_log_ready(log))
		hmlm_log_wake(log);
}

/**
 * hmlm_log_head_work() - tell the device what was consumed
 * @work: The log's @head_work.
 *
 * Context: Process context (workqueue); takes and releases the session's
 *	@lock; sleeps on the command.
 */
static void hmlm_log_head_work(struct work_struct *work)
{
	struct hmlm_log *log = container_of(work, struct hmlm_log, head_work);

	mutex_lock(&log->s->lock);
	hmlm_log_update_head(log);
	mutex_unlock(&log->s->lock);
}

/**
 * hmlm_log_decode() - turn an entry into a record
 * @e: The entry.
 * @seq: Its sequence number.
 * @r: The record.
 *
 * Context: Any context.
 * Return: true if the entry ends the log when the queue stays: "stopped"
 *	or "full".
 */
static bool hmlm_log_decode(const struct nvme_lm_lbamqe0 *e, u64 seq,
			    struct nvme_hmlm_log_rec *r)
{
	u8 a = e->lbamqa, esa = NVME_LM_LBAMQA_ESA(a);

	memset(r, 0, sizeof(*r));
	r->seq = seq;
	r->marker = esa;
	switch (NVME_LM_LBAMQA_LBACIR(a)) {
	case NVME_LM_LBACIR_RANGE:
		r->kind = NVME_HMLM_REC_RANGE;
		r->nsid = le32_to_cpu(e->nsid);
		r->slba = le64_to_cpu(e->slba);
		r->nlb = (u64)le32_to_cpu(e->nlb) + 1;
		break;
	case NVME_LM_LBACIR_ALL:
		r->kind = NVME_HMLM_REC_NS;
		r->nsid = le32_to_cpu(e->nsid);
		break;
	default:
		r->kind = NVME_HMLM_REC_NONE;
		break;
	}
	if (a & NVME_LM_LBAMQA_DLBA)
		r->flags |= NVME_HMLM_REC_DEALLOC;
	return esa == NVME_LM_ESA_LAST_STOPPED || esa == NVME_LM_ESA_LAST_FULL;
}

/**
 * struct hmlm_log_pos - a reader's position
 * @head: Slot.
 * @phase: Phase tag expected there.
 * @seq: Sequence number of the record there.
 * @end: The last record collected ends the log.
 */
struct hmlm_log_pos {
	u32	head;
	u8	phase;
	u64	seq;
	bool	end;
};

/**
 * hmlm_log_collect() - decode the posted entries from a position
 * @log: The log.
 * @pos: The position; advanced over what was collected.
 * @gone: The queue was deleted by a Suspend with DUDMQ.
 * @recs: Where the records go.
 * @max: How many fit.
 *
 * Context: Process context; takes and releases @log->mem_lock.
 * Return: the number of records, or -ENODEV if the memory is gone.
 */
static int hmlm_log_collect(struct hmlm_log *log, struct hmlm_log_pos *pos,
			    bool gone, struct nvme_hmlm_log_rec *recs, u32 max)
{
	u32 n = 0;

	spin_lock_irq(&log->mem_lock);
	if (!log->mem_ok) {
		spin_unlock_irq(&log->mem_lock);
		return -ENODEV;
	}
	while (n < max && !pos->end) {
		struct nvme_lm_lbamqe0 *e = hmlm_log_entry(log, pos->head);
		struct nvme_lm_lbamqe0 ent;

		if ((READ_ONCE(e->lbamqa) & NVME_LM_LBAMQA_CDQP) != pos->phase)
			break;
		dma_rmb();
		memcpy(&ent, e, sizeof(ent));
		pos->end = hmlm_log_decode(&ent, pos->seq, &recs[n]);
		if (NVME_LM_LBAMQA_ESA(ent.lbamqa) ==
		    NVME_LM_ESA_LAST_SUSPENDED && gone)
			pos->end = true;
		n++;
		pos->seq++;
		if (++pos->head == log->slots) {
			pos->head = 0;
			pos->phase ^= 1;
		}
	}
	spin_unlock_irq(&log->mem_lock);
	return n;
}

/**
 * hmlm_log_read() - read whole records
 * @log: The log.
 * @to: Where they go; its count is the room.
 * @nonblock: Do not wait for a record.
 *
 * Records are committed (the head moves) only once they reached @to; the
 * log's @lock is not held while copying, so a faulting reader buffer
 * blocks nothing but other readers.
 *
 * Context: Process context; may sleep interruptibly for records.
 * Return: bytes read (a multiple of the record size), 0 at end of file,
 *	-EINVAL for room smaller than a record, -EAGAIN, -ERESTARTSYS,
 *	-ENODEV once the MMC was disabled or reconfigured, -EFAULT.
 */
static ssize_t hmlm_log_read(struct hmlm_log *log, struct iov_iter *to,
			     bool nonblock)
{
	const size_t rsz = sizeof(struct nvme_hmlm_log_rec);
	struct nvme_hmlm_log_rec recs[HMLM_READ_BATCH];
	size_t max = iov_iter_count(to) / rsz, done = 0;
	struct hmlm_log_pos pos;
	ssize_t ret = 0;
	bool gone;
	int n;

	if (!max)
		return -EINVAL;
	if (mutex_lock_interruptible(&log->read_lock))
		return -ERESTARTSYS;
	for (;;) {
		if (READ_ONCE(log->s->dead)) {
			ret = -ENODEV;
			break;
		}
		mutex_lock(&log->lock);
		pos.head = log->head;
		pos.phase = log->phase;
		pos.seq = log->seq;
		pos.end = false;
		gone = log->gone;
		n = log->ended;
		mutex_unlock(&log->lock);
		if (n)
			break;
		n = hmlm_log_collect(log, &pos, gone, recs,
				     min_t(size_t, max - done, ARRAY_SIZE(recs)));
		if (n < 0) {
			ret = n;
			break;
		}
		if (n) {
			if (copy_to_iter(recs, n * rsz, to) != n * rsz) {
				ret = -EFAULT;
				break;
			}
			mutex_lock(&log->lock);
			log->head = pos.head;
			log->phase = pos.phase;
			log->seq = pos.seq;
			if (pos.end)
				log->ended = true;
			mutex_unlock(&log->lock);
			done += n;
			if (done < max && !pos.end)
				continue;
			break;
		}
		if (done)
			break;
		if (!READ_ONCE(log->armed))
			queue_work(hmlm_wq, &log->head_work);
		if (nonblock) {
			ret = -EAGAIN;
			break;
		}
		ret = wait_event_interruptible(log->wq, hmlm_log_ready(log) ||
					       READ_ONCE(log->ended) ||
					       READ_ONCE(log->s->dead));
		if (ret)
			break;
	}
	mutex_unlock(&log->read_lock);
	if (done) {
		queue_work(hmlm_wq, &log->head_work);
		return done * rsz;
	}
	return ret;
}

/**
 * hmlm_log_fops_read() - read() of the log fd
 * @filp: The log file.
 * @ubuf: User buffer.
 * @count: Its size; only whole records are returned.
 * @ppos: Ignored (a stream).
 *
 * Context: Process context; may sleep interruptibly for records.
 * Return: as hmlm_log_read().
 */
static ssize_t hmlm_log_fops_read(struct file *filp, char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct hmlm_session *s = filp->private_data;
	struct iov_iter to;
	int ret;

	ret = import_ubuf(ITER_DEST, ubuf, count, &to);
	if (ret)
		return ret;
	return hmlm_log_read(s->log, &to, filp->f_flags & O_NONBLOCK);
}

/**
 * hmlm_log_fops_poll() - poll() of the log fd
 * @filp: The log file.
 * @pt: The poll table.
 *
 * Context: Process context.
 * Return: EPOLLIN | EPOLLRDNORM when a record or end of file is ready,
 *	EPOLLERR | EPOLLHUP once the MMC was disabled or reconfigured.
 */
static __poll_t hmlm_log_fops_poll(struct file *filp, poll_table *pt)
{
	struct hmlm_session *s = filp->private_data;
	struct hmlm_log *log = s->log;

	poll_wait(filp, &log->wq, pt);
	if (READ_ONCE(s->dead))
		return EPOLLERR | EPOLLHUP;
	if (hmlm_log_ready(log) || READ_ONCE(log->ended))
		return EPOLLIN | EPOLLRDNORM;
	if (!READ_ONCE(log->armed))
		queue_work(hmlm_wq, &log->head_work);
	return 0;
}

/**
 * hmlm_track_send_log() - Track Send, Log User Data Changes
 * @log: The log.
 * @lact: NVME_LM_TSEND_LACT_START or _STOP.
 *
 * Context: Process context; sleeps.
 * Return: as hmlm_submit_admin().
 */
static int hmlm_track_send_log(struct hmlm_log *log, u8 lact)
{
	struct nvme_command c = { };

	c.common.opcode = NVME_LM_OPC_TRACK_SEND;
	c.common.cdw10 = cpu_to_le32(NVME_LM_CDW10(NVME_LM_TSEND_SEL_LOG_USER_DATA,
						   lact));
	c.common.cdw11 = cpu_to_le32(log->cdqid);
	return hmlm_submit_admin(log->ctrl, &c, NULL, 0, NULL);
}

/**
 * hmlm_do_log_stop() - Track Send, Log User Data Changes, stop
 * @s: The session, entered (bound, settled).
 * @cmd: The argument.
 *
 * Context: Process context; expects @s->lock held; sleeps.
 * Return: 0, a positive NVMe status, or a negative errno.
 */
static int hmlm_do_log_stop(struct hmlm_session *s,
			    struct nvme_hmlm_log_stop *cmd)
{
	struct hmlm_log *log = s->log;
	int ret;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	cmd->out_nvme_status = 0;
	if (!log)
		return -EINVAL;
	if (log->gone || !log->logging)
		return 0;
	ret = hmlm_track_send_log(log, NVME_LM_TSEND_LACT_STOP);
	if (ret == 0)
		log->logging = false;
	if (ret > 0)
		cmd->out_nvme_status = ret;
	return ret;
}

/**
 * hmlm_log_fops_ioctl() - ioctl() of the log fd: NVME_HMLM_LOG_STOP
 * @filp: The log file.
 * @cmd: The ioctl number.
 * @arg: User pointer to &struct nvme_hmlm_log_stop.
 *
 * Context: Process context; takes and releases the session's @lock.
 * Return: 0, a positive NVMe status, or a negative errno.
 */
static long hmlm_log_fops_ioctl(struct file *filp, unsigned int cmd,
				unsigned long arg)
{
	struct hmlm_session *s = filp->private_data;
	void __user *uarg = (void __user *)arg;
	struct nvme_hmlm_log_stop st;
	u32 usize;
	int ret;

	if (cmd != NVME_HMLM_LOG_STOP)
		return -ENOTTY;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = get_user(usize, (u32 __user *)uarg);
	if (ret)
		return ret;
	if (usize < offsetofend(struct nvme_hmlm_log_stop, __reserved))
		return -EINVAL;
	ret = copy_struct_from_user(&st, sizeof(st), uarg, usize);
	if (ret)
		return ret;
	ret = nvme_hmlm_log_stop(s, &st);
	if (ret >= 0 && copy_to_user(uarg, &st, min_t(size_t, usize, sizeof(st))))
		ret = -EFAULT;
	return ret;
}

/**
 * hmlm_cdq_delete() - Controller Data Queue Delete
 * @log: The log.
 *
 * Context: Process context; sleeps.
 * Return: as hmlm_submit_admin().
 */
static int hmlm_cdq_delete(struct hmlm_log *log)
{
	struct nvme_command c = { };

	c.common.opcode = NVME_LM_OPC_CDQ;
	c.common.cdw10 = cpu_to_le32(NVME_LM_CDW10(NVME_LM_CDQ_SEL_DELETE, 0));
	c.common.cdw11 = cpu_to_le32(log->cdqid);
	return hmlm_submit_admin(log->ctrl, &c, NULL, 0, NULL);
}

static atomic_t hmlm_orphan_warned = ATOMIC_INIT(0);

/**
 * hmlm_log_release_mem() - give the queue memory back, or keep it owned
 * @log: The log, still attached to its session.
 * @deleted: The device provably deleted the queue (or never had it).
 *
 * With @deleted the memory is freed. Otherwise it becomes an orphan that
 * is freed when the MMC is disabled; if nvme-core already said so, the
 * memory was detached and freed then, and nothing is left here.
 *
 * Context: Process context; sleeps.
 */
static void hmlm_log_release_mem(struct hmlm_log *log, bool deleted)
{
	LIST_HEAD(mem);

	hmlm_log_detach_mem(log, &mem);
	if (list_empty(&mem))
		return;
	if (deleted) {
		hmlm_cdq_mem_free_list(&mem);
		return;
	}
	if (!atomic_xchg(&hmlm_orphan_warned, 1))
		dev_warn(log->ctrl->device,
			 "nvme-hmlm: CDQ %u not deleted: its memory is kept until the controller is disabled\n",
			 log->cdqid);
	hmlm_mem_orphan(log->ctrl, &mem);
}

/**
 * hmlm_log_teardown() - stop logging, delete the queue, release its memory
 * @log: The log, attached to its session.
 *
 * Commands are sent only if the MMC was not disabled: after an SR-IOV
 * change the queue (addressed by its CDQID, still ours) is deleted too.
 *
 * Context: Process context; expects the session's @lock held; sleeps.
 */
static void hmlm_log_teardown(struct hmlm_log *log)
{
	struct hmlm_session *s = log->s;
	bool deleted = !log->created || log->gone;

	hmlm_settle_pending(s, true);
	deleted |= log->gone;
	if (!deleted && !READ_ONCE(s->disabled) &&
	    !hmlm_ctrl_check_live(log->ctrl)) {
		if (log->logging)
			hmlm_track_send_log(log, NVME_LM_TSEND_LACT_STOP);
		deleted = hmlm_cdq_delete(log) == 0;
	}
	hmlm_log_release_mem(log, deleted);
}

/**
 * hmlm_log_free() - free a log structure
 * @log: The log, detached from its session, its memory released.
 *
 * Context: Process context.
 */
static void hmlm_log_free(struct hmlm_log *log)
{
	mutex_destroy(&log->lock);
	mutex_destroy(&log->read_lock);
	kfree(log->chunks);
	kfree(log);
}

/**
 * hmlm_log_destroy() - end a log of a session
 * @s: The session, unlocked; its @log is set.
 *
 * Context: Process context; takes and releases @s->lock; sleeps.
 */
static void hmlm_log_destroy(struct hmlm_session *s)
{
	struct hmlm_log *log = s->log;

	WRITE_ONCE(log->closing, true);
	timer_shutdown_sync(&log->timer);
	/* the head work takes @s->lock */
	cancel_work_sync(&log->head_work);
	mutex_lock(&s->lock);
	hmlm_log_teardown(log);
	hmlm_session_set_log(s, NULL);
	mutex_unlock(&s->lock);
	hmlm_log_free(log);
}

/**
 * hmlm_log_fops_release() - close of the log fd
 * @inode: The anon inode.
 * @filp: The log file.
 *
 * Context: Process context; takes and releases the session's @lock.
 * Return: 0.
 */
static int hmlm_log_fops_release(struct inode *inode, struct file *filp)
{
	struct hmlm_session *s = filp->private_data;

	hmlm_log_destroy(s);
	hmlm_session_put(s);
	return 0;
}

static const struct file_operations hmlm_log_fops = {
	.owner		= THIS_MODULE,
	.read		= hmlm_log_fops_read,
	.poll		= hmlm_log_fops_poll,
	.unlocked_ioctl	= hmlm_log_fops_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.release	= hmlm_log_fops_release,
	.llseek		= noop_llseek,
};

/**
 * hmlm_log_alloc_prp() - queue memory of pages and a PRP list
 * @log: The log; @slots is set.
 * @maxpc: Most PRP entries allowed (MCDQPC, or the list page's capacity).
 * @mcmr: Most memory ranges allowed; 0 for no limit.
 * @forced: The caller asked for a PRP list (so a limit is -EINVAL).
 * @prp_dma: The PRP list's bus address.
 *
 * The PRP list names controller pages (NVME_CTRL_PAGE_SIZE, 4 KiB); the
 * memory comes in kernel pages, each of which holds one or more of them.
 *
 * Context: Process context; sleeps.
 * Return: 0, -EINVAL or -ENOMEM.
 */
static int hmlm_log_alloc_prp(struct hmlm_log *log, u32 maxpc, u32 mcmr,
			      bool forced, dma_addr_t *prp_dma)
{
	size_t bytes = (size_t)log->slots * HMLM_ENTRY_LEN;
	u32 nprp = DIV_ROUND_UP(bytes, NVME_CTRL_PAGE_SIZE);
	u32 per = PAGE_SIZE / NVME_CTRL_PAGE_SIZE, i, j, k = 0, ranges = 0;
	struct hmlm_cdq_mem *m;
	dma_addr_t prev = 0;
	__le64 *prp;

	if (nprp > maxpc)
		return forced ? -EINVAL : -ENOMEM;
	log->nchunks = DIV_ROUND_UP(bytes, PAGE_SIZE);
	log->chunks = kcalloc(log->nchunks, sizeof(*log->chunks), GFP_KERNEL);
	if (!log->chunks)
		return -ENOMEM;
	m = hmlm_cdq_mem_alloc(log, NVME_CTRL_PAGE_SIZE, GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	prp = m->cpu;
	*prp_dma = m->dma;
	for (i = 0; i < log->nchunks; i++) {
		m = hmlm_cdq_mem_alloc(log, PAGE_SIZE, GFP_KERNEL);
		if (!m)
			return -ENOMEM;
		log->chunks[i] = m->cpu;
		for (j = 0; j < per && k < nprp; j++, k++) {
			dma_addr_t a = m->dma + j * NVME_CTRL_PAGE_SIZE;

			prp[k] = cpu_to_le64(a);
			if (!k || a != prev + NVME_CTRL_PAGE_SIZE)
				ranges++;
			prev = a;
		}
	}
	if (mcmr && ranges > mcmr)
		return -ENOMEM;
	return 0;
}

/**
 * hmlm_log_alloc() - allocate and zero the queue memory
 * @log: The log; @slots is set.
 * @id: Identify Controller data of the MMC.
 * @prp: Use a PRP list even if contiguous memory is available.
 * @prp1: The bus address for the Create command's PRP1.
 *
 * Context: Process context; sleeps.
 * Return: 0, -EINVAL or -ENOMEM.
 */
static int hmlm_log_alloc(struct hmlm_log *log, const u8 *id, bool prp,
			  dma_addr_t *prp1)
{
	struct nvme_lm_id_ctrl_hmlm h;
	size_t bytes = (size_t)log->slots * HMLM_ENTRY_LEN;
	u32 maxpc = NVME_CTRL_PAGE_SIZE / sizeof(__le64);
	struct hmlm_cdq_mem *m;

	memcpy(&h, id + NVME_LM_ID_CTRL_HMLM_OFS, sizeof(h));
	if (le16_to_cpu(h.mcdqpc))
		maxpc = min_t(u32, maxpc, le16_to_cpu(h.mcdqpc));
	if (!prp) {
		m = hmlm_cdq_mem_alloc(log, bytes, GFP_KERNEL | __GFP_NOWARN);
		if (m) {
			log->ring = m->cpu;
			log->pc = true;
			*prp1 = m->dma;
			return 0;
		}
	}
	return hmlm_log_alloc_prp(log, maxpc, le16_to_cpu(h.mcmr), prp, prp1);
}

/**
 * hmlm_cdq_create() - Controller Data Queue Create (User Data Migration)
 * @log: The log with its memory.
 * @prp1: The queue's (PC) or PRP list's bus address.
 *
 * Context: Process context; sleeps.
 * Return: as hmlm_submit_admin(); sets @log->cdqid on success.
 */
static int hmlm_cdq_create(struct hmlm_log *log, dma_addr_t prp1)
{
	struct nvme_command c = { };
	u32 dw0 = 0;
	int ret;

	c.common.opcode = NVME_LM_OPC_CDQ;
	c.common.cdw10 = cpu_to_le32(NVME_LM_CDW10(NVME_LM_CDQ_SEL_CREATE,
						   NVME_LM_CDQ_QT_UDMQ));
	c.common.cdw11 = cpu_to_le32(NVME_LM_CDQ_CREATE_CDW11(log->s->cntlid,
							      log->pc));
	c.common.cdw12 = cpu_to_le32(log->slots * (HMLM_ENTRY_LEN / 4));
	c.common.dptr.prp1 = cpu_to_le64(prp1);
	ret = hmlm_submit_admin(log->ctrl, &c, NULL, 0, &dw0);
	if (ret == 0) {
		log->cdqid = NVME_LM_CDQ_DW0_CDQID(dw0);
		WRITE_ONCE(log->created, true);
	}
	return ret;
}

/**
 * hmlm_log_check_caps() - may this MMC log user data changes
 * @s: The session, locked and bound.
 * @id: Buffer of NVME_LM_IDENTIFY_LEN bytes; holds Identify Controller
 *	on success.
 *
 * Context: Process context; sleeps.
 * Return: 0, a positive NVMe status, -EOPNOTSUPP or another errno.
 */
static int hmlm_log_check_caps(struct hmlm_session *s, u8 *id)
{
	struct nvme_lm_id_ctrl_hmlm h;
	int ret;

	ret = hmlm_identify(s->ctrl, NVME_LM_CNS_CS_CTRL, NVME_LM_CSI_NVM, 0, id);
	if (ret)
		return ret;
	if (id[NVME_LM_ID_CTRL_NVM_LBAMQF_OFS] != NVME_LM_LBAMQF_TYPE0)
		return -EOPNOTSUPP;
	ret = hmlm_identify(s->ctrl, NVME_LM_CNS_CTRL, 0, 0, id);
	if (ret)
		return ret;
	memcpy(&h, id + NVME_LM_ID_CTRL_HMLM_OFS, sizeof(h));
	if (!(h.trattr & NVME_LM_TRATTR_TUDCS) || !le16_to_cpu(h.mcudmq))
		return -EOPNOTSUPP;
	return 0;
}

/**
 * hmlm_log_new() - a log structure, not yet attached
 * @s: The session.
 * @entries: Slots.
 *
 * Context: Process context.
 * Return: the log, or NULL.
 */
static struct hmlm_log *hmlm_log_new(struct hmlm_session *s, u32 entries)
{
	struct hmlm_log *log;

	log = kzalloc(sizeof(*log), GFP_KERNEL);
	if (!log)
		return NULL;
	log->s = s;
	log->ctrl = s->ctrl;
	log->slots = entries;
	log->phase = 1;
	log->sent_head = U32_MAX;
	spin_lock_init(&log->mem_lock);
	INIT_LIST_HEAD(&log->mem);
	log->mem_ok = true;
	mutex_init(&log->lock);
	mutex_init(&log->read_lock);
	init_waitqueue_head(&log->wq);
	INIT_WORK(&log->head_work, hmlm_log_head_work);
	timer_setup(&log->timer, hmlm_log_timer_fn, 0);
	return log;
}

/**
 * hmlm_do_log_start() - create the queue, start logging
 * @s: The session, entered (bound, settled).
 * @cmd: The argument; out_fd is set to -1.
 *
 * The log is attached to the session before the queue is created, so
 * nvme-core's disable events see its memory whatever happens to the
 * commands.
 *
 * Context: Process context; expects @s->lock held; sleeps.
 * Return: 0, a positive NVMe status, or a negative errno; on failure the
 *	session has no log and no queue memory the device may write is freed.
 */
int hmlm_do_log_start(struct hmlm_session *s, struct nvme_hmlm_log_start *cmd)
{
	struct hmlm_log *log;
	dma_addr_t prp1;
	u8 *id;
	int ret;

	if (cmd->flags & ~NVME_HMLM_LOG_FLAGS || cmd->__reserved ||
	    cmd->__reserved2 || cmd->__reserved3)
		return -EINVAL;
	if (cmd->entries < NVME_HMLM_LOG_MIN_ENTRIES ||
	    cmd->entries > NVME_HMLM_LOG_MAX_ENTRIES)
		return -EINVAL;
	cmd->out_fd = -1;
	cmd->out_cdqid = 0;
	cmd->out_pc = 0;
	cmd->out_nvme_status = 0;
	if (s->log)
		return -EBUSY;

	id = kzalloc(NVME_LM_IDENTIFY_LEN, GFP_KERNEL);
	log = hmlm_log_new(s, cmd->entries);
	if (!id || !log) {
		ret = -ENOMEM;
		goto out_free;
	}
	ret = hmlm_log_check_caps(s, id);
	if (ret)
		goto out_free;
	/* EBUSY: the controller's queue is the other session's */
	ret = hmlm_session_set_log(s, log);
	if (ret)
		goto out_free;
	ret = hmlm_log_alloc(log, id, cmd->flags & NVME_HMLM_LOG_PRP_LIST, &prp1);
	if (ret)
		goto out_release;
	ret = hmlm_cdq_create(log, prp1);
	/* An NVMe status: the device refused, no queue exists. */
	if (ret > 0)
		goto out_release;
	/* No completion: a queue may exist, its CDQID is unknown. */
	if (ret < 0)
		goto out_orphan;
	ret = hmlm_track_send_log(log, NVME_LM_TSEND_LACT_START);
	if (ret)
		goto out_teardown;
	log->logging = true;
	cmd->out_cdqid = log->cdqid;
	cmd->out_pc = log->pc;
	hmlm_log_update_head(log);
	mod_timer(&log->timer, jiffies + HMLM_LOG_FALLBACK);
	kfree(id);
	return 0;

out_teardown:
	hmlm_log_teardown(log);
	goto out_detach;
out_orphan:
	hmlm_log_release_mem(log, false);
	goto out_detach;
out_release:
	hmlm_log_release_mem(log, true);
out_detach:
	hmlm_session_set_log(s, NULL);
out_free:
	if (ret > 0)
		cmd->out_nvme_status = ret;
	if (log)
		hmlm_log_free(log);
	kfree(id);
	return ret;
}

/**
 * hmlm_log_start_fd() - LOG_START with a log fd (the ioctl)
 * @s: The session, entered (bound, settled).
 * @cmd: The argument; out_fd is the new fd.
 * @uarg: The caller's argument, where @cmd is copied back before the fd
 *	is installed.
 * @ulen: How many bytes of @cmd to copy back.
 *
 * The log fd holds a session reference; its private data is the session.
 *
 * Context: Process context; expects @s->lock held; sleeps.
 * Return: 0, a positive NVMe status (@cmd not copied back), or a negative
 *	errno.
 */
int hmlm_log_start_fd(struct hmlm_session *s, struct nvme_hmlm_log_start *cmd,
		      void __user *uarg, size_t ulen)
{
	struct hmlm_log *log;
	struct file *file;
	int fd, ret;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	ret = hmlm_do_log_start(s, cmd);
	if (ret)
		goto out_put_fd;
	cmd->out_fd = fd;
	if (copy_to_user(uarg, cmd, ulen)) {
		ret = -EFAULT;
		goto out_close;
	}
	file = anon_inode_getfile("[nvme-hmlm-log]", &hmlm_log_fops, s,
				  O_RDONLY | ((cmd->flags & NVME_HMLM_LOG_NONBLOCK) ?
					      O_NONBLOCK : 0));
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto out_close;
	}
	hmlm_session_get(s);
	fd_install(fd, file);
	return 0;

out_close:
	/* no reader ran: the head work was never queued, the lock is ours */
	log = s->log;
	WRITE_ONCE(log->closing, true);
	timer_shutdown_sync(&log->timer);
	hmlm_log_teardown(log);
	hmlm_session_set_log(s, NULL);
	hmlm_log_free(log);
out_put_fd:
	put_unused_fd(fd);
	return ret;
}

/**
 * nvme_hmlm_log_start() - create the migration queue, start logging
 * @s: The session.
 * @arg: The argument, as for ioctl(NVME_HMLM_LOG_START); out_fd is -1.
 *
 * Context: Process context; sleeps.
 * Return: 0, a positive NVMe status, or a negative errno.
 */
int nvme_hmlm_log_start(struct hmlm_session *s, struct nvme_hmlm_log_start *arg)
{
	const unsigned int flags = HMLM_OP_BOUND | HMLM_OP_SETTLE | HMLM_OP_DATA;
	int ret;

	ret = hmlm_enter(s, flags);
	if (!ret)
		ret = hmlm_do_log_start(s, arg);
	hmlm_leave(s, flags);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(nvme_hmlm_log_start, NVME_HMLM);

/**
 * nvme_hmlm_log_read() - read migration queue records
 * @s: The session.
 * @to: Where the records go.
 * @nonblock: Do not wait.
 *
 * Context: Process context; sleeps.
 * Return: as read() on the log fd; -EINVAL without a log.
 */
ssize_t nvme_hmlm_log_read(struct hmlm_session *s, struct iov_iter *to,
			   bool nonblock)
{
	if (!s->log)
		return -EINVAL;
	return hmlm_log_read(s->log, to, nonblock);
}
EXPORT_SYMBOL_NS_GPL(nvme_hmlm_log_read, NVME_HMLM);

/**
 * nvme_hmlm_log_stop() - stop logging user data changes
 * @s: The session.
 * @arg: The argument, as for ioctl(NVME_HMLM_LOG_STOP).
 *
 * Context: Process context; sleeps.
 * Return: 0, a positive NVMe status, or a negative errno.
 */
int nvme_hmlm_log_stop(struct hmlm_session *s, struct nvme_hmlm_log_stop *arg)
{
	const unsigned int flags = HMLM_OP_BOUND | HMLM_OP_SETTLE | HMLM_OP_DATA;
	int ret;

	ret = hmlm_enter(s, flags);
	if (!ret)
		ret = hmlm_do_log_stop(s, arg);
	hmlm_leave(s, flags);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(nvme_hmlm_log_stop, NVME_HMLM);

/**
 * nvme_hmlm_log_close() - end the session's log
 * @s: The session; nothing if it has no log.
 *
 * Context: Process context; sleeps.
 */
void nvme_hmlm_log_close(struct hmlm_session *s)
{
	if (s->log)
		hmlm_log_destroy(s);
}
EXPORT_SYMBOL_NS_GPL(nvme_hmlm_log_close, NVME_HMLM);
