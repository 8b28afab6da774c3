// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-hmlm: the User Data Migration Queue (a Controller Data Queue of
 * type 0) and its log fd.
 *
 * The queue is kernel memory the device writes LBA Migration Queue entries
 * (Type 0, 32 bytes) into; the host owns the head. Entries are found by
 * their phase tag. nvme-core does not pass One-Shot AENs to other modules,
 * so arrival is found by an adaptive polling timer (an hrtimer: 1 ms while
 * entries arrive, doubling to 64 ms when idle; poll() and an empty read()
 * make it fast again). read() decodes whole entries into
 * &struct nvme_hmlm_log_rec; the head is then handed back to the device
 * with Set Features FID 21h from a work item, so the reader never waits for
 * it and consecutive reads are folded into one command.
 *
 * Lifetime: the log file holds a session reference (so the binding stays),
 * and its fops hold the module. Commands go out under the session's @lock,
 * which orders them with SUSPEND (whose DUDMQ deletes the queue on the
 * device). The memory is freed only after the device was told to delete
 * the queue, or deleted it itself (DUDMQ, a controller reset of the MMC),
 * or the MMC is no longer live (the transport disabled it).
 */
#include <linux/anon_inodes.h>
#include <linux/dma-mapping.h>
#include <linux/file.h>
#include <linux/hrtimer.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/unaligned.h>
#include <linux/workqueue.h>

#include <uapi/linux/nvme_hmlm.h>

#include "hmlm.h"

#define HMLM_ENTRY_LEN		32
#define HMLM_POLL_MIN_NS	(1 * NSEC_PER_MSEC)
#define HMLM_POLL_MAX_NS	(64 * NSEC_PER_MSEC)
#define HMLM_READ_BATCH		64

static struct workqueue_struct *hmlm_wq;

/**
 * struct hmlm_log - a User Data Migration Queue and its log fd
 * @s: The session (a reference is held).
 * @ctrl: The session's MMC, for the DMA memory (the session holds it).
 * @cdqid: The queue's identifier.
 * @slots: Number of 32-byte slots.
 * @pc: The queue is one contiguous buffer (@ring), else @pages.
 * @ring: Contiguous queue memory.
 * @ring_dma: Its bus address.
 * @pages: Page addresses of a PRP list queue.
 * @pages_dma: Their bus addresses.
 * @npages: Number of @pages.
 * @prp: The PRP list page.
 * @prp_dma: Its bus address.
 * @lock: Protects @head, @phase, @seq, @ended, @gone.
 * @head: Next slot to read.
 * @phase: Phase tag expected at @head.
 * @seq: Records read so far.
 * @ended: A final marker was read: nothing more will come (end of file).
 * @gone: The device deleted the queue (SUSPEND with DUDMQ): no more head
 *	updates or delete commands.
 * @logging: Logging is on as far as the host knows; under the session's
 *	@lock.
 * @sent_head: Last head the device was told; only the head work uses it.
 * @head_work: Sends the head to the device.
 * @wq: Readers and pollers wait here.
 * @timer: The polling timer.
 * @timer_lock: Serializes re-arming @timer from hmlm_log_fast().
 * @interval: The timer's current period in ns (racy by design).
 * @was_ready: An entry was ready at the last tick (for the back-off).
 */
struct hmlm_log {
	struct hmlm_session	*s;
	struct nvme_ctrl	*ctrl;
	u16			cdqid;
	u32			slots;
	bool			pc;
	void			*ring;
	dma_addr_t		ring_dma;
	void			**pages;
	dma_addr_t		*pages_dma;
	u32			npages;
	__le64			*prp;
	dma_addr_t		prp_dma;
	/* protects the reader's position */
	struct mutex		lock;
	u32			head;
	u8			phase;
	u64			seq;
	bool			ended;
	bool			gone;
	bool			logging;
	u32			sent_head;
	struct work_struct	head_work;
	wait_queue_head_t	wq;
	struct hrtimer		timer;
	/* serializes re-arming @timer in hmlm_log_fast() */
	spinlock_t		timer_lock;
	u64			interval;
	bool			was_ready;
};

/**
 * hmlm_log_entry() - address of a slot
 * @log: The log.
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
	return log->pages[ofs / PAGE_SIZE] + ofs % PAGE_SIZE;
}

/**
 * hmlm_log_ready() - is the entry at the head posted
 * @log: The log.
 *
 * Lockless: the timer and poll() call it; read() calls it under @lock.
 *
 * Context: Any context.
 * Return: true if the device posted the entry at the head.
 */
static bool hmlm_log_ready(struct hmlm_log *log)
{
	struct nvme_lm_lbamqe0 *e = hmlm_log_entry(log, READ_ONCE(log->head));

	return (READ_ONCE(e->lbamqa) & NVME_LM_LBAMQA_CDQP) ==
		READ_ONCE(log->phase);
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
 * hmlm_log_timer_fn() - the polling timer
 * @t: The timer.
 *
 * Wakes readers when the head entry is posted; runs every millisecond
 * while entries arrive and backs off to HMLM_POLL_MAX_NS when idle.
 *
 * Context: Timer (softirq) context.
 * Return: HRTIMER_RESTART.
 */
static enum hrtimer_restart hmlm_log_timer_fn(struct hrtimer *t)
{
	struct hmlm_log *log = container_of(t, struct hmlm_log, timer);
	bool ready = hmlm_log_ready(log);
	u64 iv = READ_ONCE(log->interval);

	if (ready || READ_ONCE(log->s->dead))
		hmlm_log_wake(log);
	if (ready && !log->was_ready)
		iv = HMLM_POLL_MIN_NS;
	else
		iv = min_t(u64, iv * 2, HMLM_POLL_MAX_NS);
	log->was_ready = ready;
	WRITE_ONCE(log->interval, iv);
	hrtimer_forward_now(t, ns_to_ktime(iv));
	return HRTIMER_RESTART;
}

/**
 * hmlm_log_fast() - poll fast: someone is waiting
 * @log: The log.
 *
 * Context: Process context; takes and releases @log->timer_lock.
 */
static void hmlm_log_fast(struct hmlm_log *log)
{
	if (READ_ONCE(log->interval) <= HMLM_POLL_MIN_NS)
		return;
	WRITE_ONCE(log->interval, HMLM_POLL_MIN_NS);
	/*
	 * Re-arm only a timer that is not running its callback: the callback
	 * forwards the timer itself, and hrtimer_forward() on a timer that
	 * was started meanwhile is a bug. A running callback reads the new
	 * interval on its next expiry instead.
	 */
	spin_lock(&log->timer_lock);
	if (hrtimer_try_to_cancel(&log->timer) >= 0)
		hrtimer_start(&log->timer, ns_to_ktime(HMLM_POLL_MIN_NS),
			      HRTIMER_MODE_REL);
	spin_unlock(&log->timer_lock);
}

/**
 * hmlm_log_set_head() - Set Features FID 21h: the new head
 * @log: The log.
 * @hp: The head slot.
 *
 * Context: Process context; sleeps.
 * Return: as hmlm_submit_admin().
 */
static int hmlm_log_set_head(struct hmlm_log *log, u32 hp)
{
	struct nvme_command c = { };

	c.features.opcode = nvme_admin_set_features;
	c.features.fid = cpu_to_le32(NVME_LM_FID_CDQ);
	c.features.dword11 = cpu_to_le32(NVME_LM_FEAT_CDQ_CDW11(log->cdqid, 0));
	c.common.cdw12 = cpu_to_le32(hp);
	return hmlm_submit_admin(log->ctrl, &c, NULL, 0, NULL);
}

/**
 * hmlm_log_head_work() - tell the device what was consumed
 * @work: The log's @head_work.
 *
 * Context: Process context (workqueue); takes and releases @log->lock
 *	briefly; sleeps on the command without it.
 */
static void hmlm_log_head_work(struct work_struct *work)
{
	struct hmlm_log *log = container_of(work, struct hmlm_log, head_work);
	bool skip;
	u32 hp;

	mutex_lock(&log->lock);
	hp = log->head;
	skip = log->gone || READ_ONCE(log->s->dead);
	mutex_unlock(&log->lock);
	if (skip || hp == log->sent_head)
		return;
	if (hmlm_log_set_head(log, hp) == 0)
		log->sent_head = hp;
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
 * hmlm_log_read_batch() - read up to a batch of records
 * @log: The log, @lock held.
 * @ubuf: Where to copy them.
 * @max: How many fit.
 *
 * Records are committed (the head moves) only once they reached the user.
 *
 * Context: Process context; expects @log->lock held; may fault.
 * Return: number of records copied, or -EFAULT.
 */
static ssize_t hmlm_log_read_batch(struct hmlm_log *log, char __user *ubuf,
				   size_t max)
{
	struct nvme_hmlm_log_rec recs[8];
	u32 head = log->head, n = 0;
	u8 phase = log->phase;
	bool end = false;

	max = min_t(size_t, max, ARRAY_SIZE(recs));
	while (n < max && !end) {
		struct nvme_lm_lbamqe0 *e = hmlm_log_entry(log, head);
		struct nvme_lm_lbamqe0 ent;

		if ((READ_ONCE(e->lbamqa) & NVME_LM_LBAMQA_CDQP) != phase)
			break;
		dma_rmb();
		memcpy(&ent, e, sizeof(ent));
		end = hmlm_log_decode(&ent, log->seq + n, &recs[n]);
		if (NVME_LM_LBAMQA_ESA(ent.lbamqa) ==
		    NVME_LM_ESA_LAST_SUSPENDED && log->gone)
			end = true;
		n++;
		if (++head == log->slots) {
			head = 0;
			phase ^= 1;
		}
	}
	if (!n)
		return 0;
	if (copy_to_user(ubuf, recs, n * sizeof(recs[0])))
		return -EFAULT;
	WRITE_ONCE(log->head, head);
	WRITE_ONCE(log->phase, phase);
	log->seq += n;
	if (end)
		log->ended = true;
	return n;
}

/**
 * hmlm_log_fops_read() - read() of the log fd
 * @filp: The log file.
 * @ubuf: User buffer.
 * @count: Its size; only whole records are returned.
 * @ppos: Ignored (a stream).
 *
 * Context: Process context; may sleep interruptibly for records.
 * Return: bytes read (a multiple of the record size), 0 at end of file,
 *	-EINVAL for a buffer smaller than a record, -EAGAIN, -EINTR
 *	(-ERESTARTSYS), -ENODEV after a reset, -EFAULT.
 */
static ssize_t hmlm_log_fops_read(struct file *filp, char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct hmlm_log *log = filp->private_data;
	size_t max = count / sizeof(struct nvme_hmlm_log_rec), done = 0;
	ssize_t n;
	int ret;

	if (!max)
		return -EINVAL;
	for (;;) {
		if (READ_ONCE(log->s->dead))
			return done ? done * sizeof(struct nvme_hmlm_log_rec) : -ENODEV;
		mutex_lock(&log->lock);
		while (done < max && !log->ended) {
			n = hmlm_log_read_batch(log,
						ubuf + done * sizeof(struct nvme_hmlm_log_rec),
						max - done);
			if (n <= 0) {
				if (n < 0 && !done) {
					mutex_unlock(&log->lock);
					return n;
				}
				break;
			}
			done += n;
		}
		n = log->ended;
		mutex_unlock(&log->lock);
		if (done) {
			queue_work(hmlm_wq, &log->head_work);
			return done * sizeof(struct nvme_hmlm_log_rec);
		}
		if (n)
			return 0;
		if (filp->f_flags & O_NONBLOCK) {
			hmlm_log_fast(log);
			return -EAGAIN;
		}
		hmlm_log_fast(log);
		ret = wait_event_interruptible(log->wq, hmlm_log_ready(log) ||
					       READ_ONCE(log->ended) ||
					       READ_ONCE(log->s->dead));
		if (ret)
			return ret;
	}
}

/**
 * hmlm_log_fops_poll() - poll() of the log fd
 * @filp: The log file.
 * @pt: The poll table.
 *
 * Context: Process context.
 * Return: EPOLLIN | EPOLLRDNORM when a record or end of file is ready,
 *	EPOLLERR | EPOLLHUP after a reset.
 */
static __poll_t hmlm_log_fops_poll(struct file *filp, poll_table *pt)
{
	struct hmlm_log *log = filp->private_data;
	__poll_t mask = 0;

	poll_wait(filp, &log->wq, pt);
	if (READ_ONCE(log->s->dead))
		return EPOLLERR | EPOLLHUP;
	if (hmlm_log_ready(log) || READ_ONCE(log->ended))
		mask |= EPOLLIN | EPOLLRDNORM;
	else
		hmlm_log_fast(log);
	return mask;
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
	struct hmlm_log *log = filp->private_data;
	struct hmlm_session *s = log->s;
	struct nvme_hmlm_log_stop st;
	struct hmlm_ucmd ucmd = { .ubuffer = (void __user *)arg, .cmd = &st };
	int ret;

	if (cmd != NVME_HMLM_LOG_STOP)
		return -ENOTTY;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer);
	if (ret)
		return ret;
	if (ucmd.user_size < offsetofend(struct nvme_hmlm_log_stop, __reserved))
		return -EINVAL;
	ret = copy_struct_from_user(&st, sizeof(st), ucmd.ubuffer,
				    ucmd.user_size);
	if (ret)
		return ret;
	if (st.flags || st.__reserved)
		return -EINVAL;

	mutex_lock(&s->lock);
	ret = hmlm_session_usable(s);
	if (!ret)
		ret = hmlm_settle_pending(s, false);
	if (ret)
		goto out_unlock;
	if (log->gone || !log->logging)
		goto out_respond;
	ret = hmlm_track_send_log(log, NVME_LM_TSEND_LACT_STOP);
	if (ret == 0)
		log->logging = false;
out_respond:
	if (ret >= 0) {
		if (ret > 0)
			st.out_nvme_status = ret;
		if (hmlm_ucmd_respond(&ucmd, sizeof(st)))
			ret = -EFAULT;
	}
out_unlock:
	mutex_unlock(&s->lock);
	return ret;
}

/**
 * hmlm_log_free_mem() - free the queue memory
 * @log: The log.
 *
 * Context: Process context.
 */
static void hmlm_log_free_mem(struct hmlm_log *log)
{
	struct device *dev = log->ctrl->dev;
	u32 i;

	if (log->ring)
		dma_free_coherent(dev, (size_t)log->slots * HMLM_ENTRY_LEN,
				  log->ring, log->ring_dma);
	for (i = 0; log->pages && i < log->npages; i++)
		if (log->pages[i])
			dma_free_coherent(dev, PAGE_SIZE, log->pages[i],
					  log->pages_dma[i]);
	if (log->prp)
		dma_free_coherent(dev, PAGE_SIZE, log->prp, log->prp_dma);
	kfree(log->pages);
	kfree(log->pages_dma);
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

/**
 * hmlm_log_teardown() - stop logging, delete the queue, free it
 * @log: The log; its queue exists on the device unless @log->gone.
 *
 * If the device may still own the memory (a delete that did not complete
 * on a live controller), the memory is leaked rather than freed.
 *
 * Context: Process context; expects the session's @lock held; sleeps.
 */
static void hmlm_log_teardown(struct hmlm_log *log)
{
	struct hmlm_session *s = log->s;
	bool leak = false;
	int ret;

	hrtimer_cancel(&log->timer);
	cancel_work_sync(&log->head_work);
	hmlm_settle_pending(s, true);
	if (!log->gone && !hmlm_session_usable(s)) {
		if (log->logging)
			hmlm_track_send_log(log, NVME_LM_TSEND_LACT_STOP);
		ret = hmlm_cdq_delete(log);
		if (ret < 0 && !hmlm_session_usable(s))
			leak = true;
	}
	if (leak)
		pr_warn("nvme-hmlm: %s: CDQ %u not deleted, its memory is kept\n",
			dev_name(log->ctrl->device), log->cdqid);
	else
		hmlm_log_free_mem(log);
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
	struct hmlm_log *log = filp->private_data;
	struct hmlm_session *s = log->s;

	mutex_lock(&s->lock);
	hmlm_session_set_log(s, NULL);
	hmlm_log_teardown(log);
	mutex_unlock(&s->lock);
	mutex_destroy(&log->lock);
	kfree(log);
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
 * hmlm_log_alloc_prp() - queue memory of single pages and a PRP list
 * @log: The log; @slots is set.
 * @maxpc: Most PRP entries allowed (MCDQPC, or the page's capacity).
 * @mcmr: Most memory ranges allowed; 0 for no limit.
 * @forced: The caller asked for a PRP list (so a limit is -EINVAL).
 *
 * Context: Process context; sleeps.
 * Return: 0, -EINVAL or -ENOMEM.
 */
static int hmlm_log_alloc_prp(struct hmlm_log *log, u32 maxpc, u32 mcmr,
			      bool forced)
{
	struct device *dev = log->ctrl->dev;
	u32 i, ranges = 0;

	log->npages = DIV_ROUND_UP(log->slots * HMLM_ENTRY_LEN, PAGE_SIZE);
	if (log->npages > maxpc)
		return forced ? -EINVAL : -ENOMEM;
	log->pages = kcalloc(log->npages, sizeof(*log->pages), GFP_KERNEL);
	log->pages_dma = kcalloc(log->npages, sizeof(*log->pages_dma),
				 GFP_KERNEL);
	if (!log->pages || !log->pages_dma)
		return -ENOMEM;
	log->prp = dma_alloc_coherent(dev, PAGE_SIZE, &log->prp_dma, GFP_KERNEL);
	if (!log->prp)
		return -ENOMEM;
	for (i = 0; i < log->npages; i++) {
		log->pages[i] = dma_alloc_coherent(dev, PAGE_SIZE,
						   &log->pages_dma[i],
						   GFP_KERNEL);
		if (!log->pages[i])
			return -ENOMEM;
		memset(log->pages[i], 0, PAGE_SIZE);
		log->prp[i] = cpu_to_le64(log->pages_dma[i]);
		if (!i || log->pages_dma[i] != log->pages_dma[i - 1] + PAGE_SIZE)
			ranges++;
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
 *
 * Context: Process context; sleeps.
 * Return: 0, -EINVAL or -ENOMEM.
 */
static int hmlm_log_alloc(struct hmlm_log *log, const u8 *id, bool prp)
{
	struct nvme_lm_id_ctrl_hmlm h;
	size_t bytes = (size_t)log->slots * HMLM_ENTRY_LEN;
	u32 maxpc = PAGE_SIZE / sizeof(__le64);

	memcpy(&h, id + NVME_LM_ID_CTRL_HMLM_OFS, sizeof(h));
	if (le16_to_cpu(h.mcdqpc))
		maxpc = min_t(u32, maxpc, le16_to_cpu(h.mcdqpc));
	if (!prp) {
		log->ring = dma_alloc_coherent(log->ctrl->dev, bytes,
					       &log->ring_dma,
					       GFP_KERNEL | __GFP_NOWARN);
		if (log->ring) {
			memset(log->ring, 0, bytes);
			log->pc = true;
			return 0;
		}
	}
	return hmlm_log_alloc_prp(log, maxpc, le16_to_cpu(h.mcmr), prp);
}

/**
 * hmlm_cdq_create() - Controller Data Queue Create (User Data Migration)
 * @log: The log with its memory.
 *
 * Context: Process context; sleeps.
 * Return: as hmlm_submit_admin(); sets @log->cdqid on success.
 */
static int hmlm_cdq_create(struct hmlm_log *log)
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
	c.common.dptr.prp1 = cpu_to_le64(log->pc ? log->ring_dma : log->prp_dma);
	ret = hmlm_submit_admin(log->ctrl, &c, NULL, 0, &dw0);
	if (ret == 0)
		log->cdqid = NVME_LM_CDQ_DW0_CDQID(dw0);
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
 * hmlm_log_create() - set up the queue of a new log, start logging
 * @log: The log; @s, @ctrl, @slots are set.
 * @cmd: The ioctl argument (flags, output fields).
 *
 * Context: Process context; expects the session's @lock held; sleeps.
 * Return: 0, a positive NVMe status, or a negative errno; on failure
 *	nothing is left on the device and the memory is freed.
 */
static int hmlm_log_create(struct hmlm_log *log,
			   struct nvme_hmlm_log_start *cmd)
{
	u8 *id;
	int ret;

	id = kmalloc(NVME_LM_IDENTIFY_LEN, GFP_KERNEL);
	if (!id)
		return -ENOMEM;
	ret = hmlm_log_check_caps(log->s, id);
	if (ret)
		goto out_free_id;
	ret = hmlm_log_alloc(log, id, cmd->flags & NVME_HMLM_LOG_PRP_LIST);
	if (ret)
		goto out_free_mem;
	ret = hmlm_cdq_create(log);
	if (ret)
		goto out_free_mem;
	ret = hmlm_track_send_log(log, NVME_LM_TSEND_LACT_START);
	if (ret)
		goto out_delete;
	log->logging = true;
	cmd->out_cdqid = log->cdqid;
	cmd->out_pc = log->pc;
	kfree(id);
	return 0;

out_delete:
	if (hmlm_cdq_delete(log) < 0 && !hmlm_session_usable(log->s)) {
		/* The device may still own the memory: keep it. */
		goto out_free_id;
	}
out_free_mem:
	hmlm_log_free_mem(log);
out_free_id:
	kfree(id);
	return ret;
}

/**
 * hmlm_log_start() - ioctl(NVME_HMLM_LOG_START)
 * @s: The session.
 * @ucmd: The call; its argument is &struct nvme_hmlm_log_start.
 *
 * Context: Process context; takes and releases @s->lock; sleeps.
 * Return: 0, a positive NVMe status, or a negative errno.
 */
int hmlm_log_start(struct hmlm_session *s, struct hmlm_ucmd *ucmd)
{
	struct nvme_hmlm_log_start *cmd = ucmd->cmd;
	struct hmlm_log *log;
	struct file *file;
	int ret, fd;

	if (cmd->flags & ~NVME_HMLM_LOG_FLAGS || cmd->__reserved ||
	    cmd->__reserved2 || cmd->__reserved3)
		return -EINVAL;
	if (cmd->entries < NVME_HMLM_LOG_MIN_ENTRIES ||
	    cmd->entries > NVME_HMLM_LOG_MAX_ENTRIES)
		return -EINVAL;

	mutex_lock(&s->lock);
	ret = hmlm_session_usable(s);
	if (!ret)
		ret = hmlm_settle_pending(s, false);
	if (ret)
		goto out_unlock;
	if (s->log) {
		ret = -EBUSY;
		goto out_unlock;
	}
	log = kzalloc(sizeof(*log), GFP_KERNEL);
	if (!log) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	log->s = s;
	log->ctrl = s->ctrl;
	log->slots = cmd->entries;
	log->phase = 1;
	log->interval = HMLM_POLL_MIN_NS;
	mutex_init(&log->lock);
	init_waitqueue_head(&log->wq);
	INIT_WORK(&log->head_work, hmlm_log_head_work);
	spin_lock_init(&log->timer_lock);
	hrtimer_init(&log->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	log->timer.function = hmlm_log_timer_fn;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto out_free_log;
	}
	ret = hmlm_log_create(log, cmd);
	if (ret)
		goto out_put_fd;
	cmd->out_fd = fd;
	ret = hmlm_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret)
		goto out_teardown;
	file = anon_inode_getfile("[nvme-hmlm-log]", &hmlm_log_fops, log,
				  O_RDONLY | ((cmd->flags & NVME_HMLM_LOG_NONBLOCK) ?
					      O_NONBLOCK : 0));
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto out_teardown;
	}
	hmlm_session_get(s);
	hmlm_session_set_log(s, log);
	hrtimer_start(&log->timer, ns_to_ktime(HMLM_POLL_MIN_NS),
		      HRTIMER_MODE_REL);
	fd_install(fd, file);
	mutex_unlock(&s->lock);
	return 0;

out_teardown:
	hmlm_log_teardown(log);
out_put_fd:
	put_unused_fd(fd);
	if (ret > 0) {
		cmd->out_nvme_status = ret;
		if (hmlm_ucmd_respond(ucmd, sizeof(*cmd)))
			ret = -EFAULT;
	}
out_free_log:
	mutex_destroy(&log->lock);
	kfree(log);
out_unlock:
	mutex_unlock(&s->lock);
	return ret;
}

/**
 * hmlm_cdq_init() - module initialisation of the log machinery
 *
 * Context: Process context (module load).
 * Return: 0 or -ENOMEM.
 */
int hmlm_cdq_init(void)
{
	hmlm_wq = alloc_workqueue("nvme-hmlm", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	return hmlm_wq ? 0 : -ENOMEM;
}

/**
 * hmlm_cdq_exit() - module exit of the log machinery
 *
 * Context: Process context (module unload); no log is open.
 */
void hmlm_cdq_exit(void)
{
	destroy_workqueue(hmlm_wq);
}
