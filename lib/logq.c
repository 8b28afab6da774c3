// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The migration-queue reader: LOG_START gives a log fd whose read()
 * returns decoded queue entries; this file wraps it, folds the entries into
 * a dirty-extent set and remembers the markers seen.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/nvme_hmlm.h>

#include "internal.h"

#define LOG_BATCH	256

struct hmlm_log {
	struct hmlm_session *session;
	int fd;
	unsigned int markers;	/* HMLM_LOG_SEEN_* */
	uint8_t last_marker;	/* of the last record with one */
	uint64_t records;
	uint16_t cdqid;
	struct nvme_hmlm_log_rec batch[LOG_BATCH];
};

HMLM_EXPORT int hmlm_log_start(struct hmlm_session *session,
			       unsigned int entries, unsigned int flags,
			       struct hmlm_log **logp)
{
	struct nvme_hmlm_log_start k;
	struct hmlm_log *log;
	int ret;

	if (!session || !logp ||
	    (flags & ~(HMLM_LOG_NONBLOCK | HMLM_LOG_PRP_LIST)))
		return -EINVAL;
	*logp = NULL;
	if (!entries)
		entries = HMLM_LOG_DEFAULT_ENTRIES;
	if (entries < NVME_HMLM_LOG_MIN_ENTRIES ||
	    entries > NVME_HMLM_LOG_MAX_ENTRIES)
		return -EINVAL;
	log = calloc(1, sizeof(*log));
	if (!log)
		return -ENOMEM;
	memset(&k, 0, sizeof(k));
	k.size = sizeof(k);
	if (flags & HMLM_LOG_NONBLOCK)
		k.flags |= NVME_HMLM_LOG_NONBLOCK;
	if (flags & HMLM_LOG_PRP_LIST)
		k.flags |= NVME_HMLM_LOG_PRP_LIST;
	k.entries = entries;
	ret = hmlm_ioctl(session->fd, NVME_HMLM_LOG_START, &k,
			 &session->nvme_status);
	if (ret) {
		free(log);
		return ret;
	}
	log->session = session;
	log->fd = k.out_fd;
	log->cdqid = k.out_cdqid;
	*logp = log;
	return 0;
}

HMLM_EXPORT int hmlm_log_fd(const struct hmlm_log *log)
{
	return log ? log->fd : -EINVAL;
}

static void note_marker(struct hmlm_log *log, uint8_t marker)
{
	if (marker != NVME_HMLM_MARK_NONE)
		log->last_marker = marker;
	switch (marker) {
	case NVME_HMLM_MARK_FIRST:
		log->markers |= HMLM_LOG_SEEN_FIRST;
		break;
	case NVME_HMLM_MARK_STOPPED:
		log->markers |= HMLM_LOG_SEEN_STOPPED;
		break;
	case NVME_HMLM_MARK_SUSPENDED:
		log->markers |= HMLM_LOG_SEEN_SUSPENDED;
		break;
	case NVME_HMLM_MARK_FULL:
		log->markers |= HMLM_LOG_SEEN_FULL;
		break;
	}
}

/*
 * Up to @max raw records. Waits up to @timeout_ms (-1: forever) for the
 * first. 0: end of file; -EAGAIN: nothing within the timeout.
 */
static int read_raw(struct hmlm_log *log, struct nvme_hmlm_log_rec *recs,
		    unsigned int max, int timeout_ms)
{
	struct pollfd pfd = { .fd = log->fd, .events = POLLIN };
	ssize_t n;
	unsigned int i;
	int ret;

	if (log->markers & HMLM_LOG_SEEN_EOF)
		return 0;
	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	if (ret == 0)
		return -EAGAIN;
	if (pfd.revents & POLLNVAL)
		return -EBADF;
	if ((pfd.revents & (POLLERR)) && !(pfd.revents & POLLIN))
		return -ENODEV;
	for (;;) {
		n = read(log->fd, recs, (size_t)max * sizeof(*recs));
		if (n >= 0 || errno != EINTR)
			break;
	}
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (n == 0) {
		log->markers |= HMLM_LOG_SEEN_EOF;
		return 0;
	}
	if (n % sizeof(*recs))
		return -EPROTO;
	n /= sizeof(*recs);
	for (i = 0; i < n; i++)
		note_marker(log, recs[i].marker);
	log->records += (uint64_t)n;
	return (int)n;
}

HMLM_EXPORT int hmlm_log_read(struct hmlm_log *log, struct hmlm_log_rec *recs,
			      unsigned int max, int timeout_ms)
{
	unsigned int i;
	int n;

	if (!log || !recs || !max)
		return -EINVAL;
	if (max > LOG_BATCH)
		max = LOG_BATCH;
	n = read_raw(log, log->batch, max, timeout_ms);
	for (i = 0; n > 0 && i < (unsigned int)n; i++) {
		const struct nvme_hmlm_log_rec *k = &log->batch[i];

		recs[i].nsid = k->nsid;
		recs[i].kind = k->kind;
		recs[i].marker = k->marker;
		recs[i].flags = k->flags & NVME_HMLM_REC_DEALLOC ?
				HMLM_LOG_REC_DEALLOC : 0;
		recs[i].rsvd = 0;
		recs[i].slba = k->slba;
		recs[i].nlb = k->nlb;
		recs[i].seq = k->seq;
	}
	return n;
}

/* One record into @set; namespaces the set does not hold are ignored. */
static int fold(struct hmlm_extents *set, const struct nvme_hmlm_log_rec *r)
{
	int ret = 0;

	switch (r->kind) {
	case NVME_HMLM_REC_RANGE:
		if (!r->nlb)
			return 0;
		ret = hmlm_extents_add(set, r->nsid, r->slba, r->nlb);
		if (ret == -ERANGE)	/* past the end: be safe, take all */
			ret = hmlm_extents_mark_all(set, r->nsid);
		break;
	case NVME_HMLM_REC_NS:
		ret = hmlm_extents_mark_all(set, r->nsid);
		break;
	default:
		return 0;
	}
	return ret == -ENOENT ? 0 : ret;
}

HMLM_EXPORT int hmlm_log_collect(struct hmlm_log *log,
				 struct hmlm_extents *set, int timeout_ms)
{
	int total = 0, n, i, ret;

	if (!log || !set)
		return -EINVAL;
	for (;;) {
		n = read_raw(log, log->batch, LOG_BATCH, total ? 0 : timeout_ms);
		if (n == -EAGAIN)
			return total;	/* everything available was read */
		if (n < 0)
			return n;
		if (n == 0)
			return total;	/* end of file: hmlm_log_markers() */
		for (i = 0; i < n; i++) {
			ret = fold(set, &log->batch[i]);
			if (ret)
				return ret;
		}
		total += n;
	}
}

HMLM_EXPORT unsigned int hmlm_log_markers(const struct hmlm_log *log)
{
	return log ? log->markers : 0;
}

/* HMLM_LOG_MARK_* of the last record read that had a marker */
unsigned int hmlm_log_last_marker(const struct hmlm_log *log)
{
	return log->last_marker;
}

HMLM_EXPORT uint64_t hmlm_log_records(const struct hmlm_log *log)
{
	return log ? log->records : 0;
}

HMLM_EXPORT int hmlm_log_stop(struct hmlm_log *log)
{
	struct nvme_hmlm_log_stop k;

	if (!log)
		return -EINVAL;
	memset(&k, 0, sizeof(k));
	k.size = sizeof(k);
	return hmlm_ioctl(log->fd, NVME_HMLM_LOG_STOP, &k,
			  &log->session->nvme_status);
}

HMLM_EXPORT void hmlm_log_close(struct hmlm_log *log)
{
	if (!log)
		return;
	close(log->fd);
	free(log);
}
