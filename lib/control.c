// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Session operations: capabilities of the session's MMC, Suspend, Resume,
 * Get and Set Controller State (with the format mapped between the source's
 * and the target's CNS 20h lists).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nvme_hmlm.h>

#include "internal.h"
#include "migrate_int.h"

HMLM_EXPORT int hmlm_session_caps(struct hmlm_session *session,
				  struct hmlm_caps *caps)
{
	struct hmlm_caps c;
	int ret;

	if (!session || !caps || caps->size < HMLM_CAPS_SIZE_VER0)
		return -EINVAL;
	ret = hmlm_caps_get(session, &c);
	if (!ret || ret == -EIO)
		hmlm_struct_out(caps, caps->size, &c, sizeof(c));
	return ret;
}

/* hmlm_session_caps() into the library's own struct hmlm_caps. */
int hmlm_caps_get(struct hmlm_session *session, struct hmlm_caps *caps)
{
	struct nvme_hmlm_get_caps k;
	int ret;

	memset(&k, 0, sizeof(k));
	k.size = sizeof(k);
	k.nvme_fd = session->mmc_fd;
	ret = hmlm_ioctl(session->fd, NVME_HMLM_GET_CAPS, &k,
			 &session->nvme_status);
	if (ret == -EMSGSIZE)	/* the secondary list is not wanted */
		ret = 0;
	if (ret == -EIO) {
		memset(caps, 0, sizeof(*caps));
		caps->size = sizeof(*caps);
		caps->nvme_status = session->nvme_status;
		return ret;
	}
	if (ret)
		return ret;
	hmlm_caps_from_kernel(caps, &k);
	return 0;
}

HMLM_EXPORT int hmlm_suspend(struct hmlm_session *session, unsigned int flags,
			     unsigned int timeout_ms)
{
	struct nvme_hmlm_suspend k;

	if (!session || (flags & ~(HMLM_SUSPEND_NOTIFY | HMLM_SUSPEND_DUDMQ |
				   HMLM_SUSPEND_KEEP)))
		return -EINVAL;
	if ((flags & HMLM_SUSPEND_NOTIFY) &&
	    (flags & (HMLM_SUSPEND_DUDMQ | HMLM_SUSPEND_KEEP)))
		return -EINVAL;	/* DUDMQ and KEEP need a Suspend */
	memset(&k, 0, sizeof(k));
	k.size = sizeof(k);
	if (flags & HMLM_SUSPEND_NOTIFY)
		k.flags |= NVME_HMLM_SUSPEND_NOTIFY;
	if (flags & HMLM_SUSPEND_DUDMQ)
		k.flags |= NVME_HMLM_SUSPEND_DUDMQ;
	if (flags & HMLM_SUSPEND_KEEP)
		k.flags |= NVME_HMLM_SUSPEND_KEEP;
	k.timeout_ms = timeout_ms;
	return hmlm_ioctl(session->fd, NVME_HMLM_SUSPEND, &k,
			  &session->nvme_status);
}

HMLM_EXPORT int hmlm_resume(struct hmlm_session *session)
{
	struct nvme_hmlm_resume k;

	if (!session)
		return -EINVAL;
	memset(&k, 0, sizeof(k));
	k.size = sizeof(k);
	return hmlm_ioctl(session->fd, NVME_HMLM_RESUME, &k,
			  &session->nvme_status);
}

/* CSVI of @version in @caps (1-based), 0 when it is not listed. */
int hmlm_csvi_of(const struct hmlm_caps *caps, uint16_t version)
{
	unsigned int i, n = caps->num_state_versions;

	if (n > HMLM_MAX_STATE_FORMATS)
		n = HMLM_MAX_STATE_FORMATS;
	for (i = 0; i < n; i++)
		if (caps->state_versions[i] == version)
			return (int)i + 1;
	return 0;
}

/* CSUUIDI of @uuid in @caps (1-based), 0 when it is not listed. */
int hmlm_csuuidi_of(const struct hmlm_caps *caps, const uint8_t *uuid)
{
	unsigned int i, n = caps->num_state_uuids;

	if (n > HMLM_MAX_STATE_FORMATS)
		n = HMLM_MAX_STATE_FORMATS;
	for (i = 0; i < n; i++)
		if (!memcmp(caps->state_uuids[i], uuid, 16))
			return (int)i + 1;
	return 0;
}

/* The highest version listed (its CSVI), 0 when none is. */
static int best_csvi(const struct hmlm_caps *caps)
{
	unsigned int i, n = caps->num_state_versions;
	int best = 0;

	if (n > HMLM_MAX_STATE_FORMATS)
		n = HMLM_MAX_STATE_FORMATS;
	for (i = 0; i < n; i++)
		if (!best || caps->state_versions[i] >
			     caps->state_versions[best - 1])
			best = (int)i + 1;
	return best;
}

HMLM_EXPORT int hmlm_state_fmt_common(const struct hmlm_caps *src,
				      const struct hmlm_caps *dst,
				      struct hmlm_state_fmt *fmt)
{
	unsigned int i, n;

	if (!src || !fmt)
		return -EINVAL;
	memset(fmt, 0, sizeof(*fmt));
	n = src->num_state_versions < HMLM_MAX_STATE_FORMATS ?
		src->num_state_versions : HMLM_MAX_STATE_FORMATS;
	for (i = 0; i < n; i++) {
		uint16_t v = src->state_versions[i];

		if (dst && !hmlm_csvi_of(dst, v))
			continue;
		if (!(fmt->flags & HMLM_STATE_NVME) || v > fmt->nvme_version) {
			fmt->flags |= HMLM_STATE_NVME;
			fmt->nvme_version = v;
		}
	}
	n = src->num_state_uuids < HMLM_MAX_STATE_FORMATS ?
		src->num_state_uuids : HMLM_MAX_STATE_FORMATS;
	for (i = 0; i < n; i++) {
		if (dst && !hmlm_csuuidi_of(dst, src->state_uuids[i]))
			continue;
		fmt->flags |= HMLM_STATE_VENDOR;
		memcpy(fmt->uuid, src->state_uuids[i], 16);
		break;
	}
	return fmt->flags ? 0 : -EOPNOTSUPP;
}

HMLM_EXPORT int hmlm_state_get(struct hmlm_session *session,
			       const struct hmlm_state_fmt *fmt,
			       struct hmlm_state *state)
{
	struct hmlm_caps caps;
	int ret;

	if (!session || !state)
		return -EINVAL;
	memset(state, 0, sizeof(*state));
	ret = hmlm_caps_get(session, &caps);
	if (ret)
		return ret;
	return hmlm_state_get_caps(session, &caps, fmt, 0, state);
}

/*
 * hmlm_state_get() with the session's capabilities already known (the
 * orchestrator reads them before the Suspend: no Identify in the downtime).
 */
int hmlm_state_get_caps(struct hmlm_session *session,
			const struct hmlm_caps *cp,
			const struct hmlm_state_fmt *fmt, uint32_t size_hint,
			struct hmlm_state *state)
{
	struct nvme_hmlm_get_state k;
	struct hmlm_caps caps = *cp;
	int csvi = 0, csuuidi = 0, ret = 0, tries;
	uint64_t known;
	void *buf = NULL;

	memset(state, 0, sizeof(*state));
	if (fmt) {
		if (fmt->flags & ~(HMLM_STATE_NVME | HMLM_STATE_VENDOR))
			return -EINVAL;
		if (fmt->flags & HMLM_STATE_NVME) {
			csvi = hmlm_csvi_of(&caps, fmt->nvme_version);
			if (!csvi)
				return -EOPNOTSUPP;
		}
		if (fmt->flags & HMLM_STATE_VENDOR) {
			csuuidi = hmlm_csuuidi_of(&caps, fmt->uuid);
			if (!csuuidi)
				return -EOPNOTSUPP;
		}
	} else {
		csvi = best_csvi(&caps);
		csuuidi = caps.num_state_uuids ? 1 : 0;
	}
	if (!csvi && !csuuidi)
		return -EOPNOTSUPP;

	/*
	 * With a size hint, the transfer straight away into a buffer that
	 * large (no size query); a larger state answers -EMSGSIZE with its
	 * size, and the transfer at that size follows.
	 */
	if (size_hint) {
		buf = malloc(size_hint);
		if (!buf)
			return -ENOMEM;
		memset(&k, 0, sizeof(k));
		k.size = sizeof(k);
		k.csvi = (uint8_t)csvi;
		k.csuuidi = (uint8_t)csuuidi;
		k.buf_uptr = (uintptr_t)buf;
		k.buf_len = size_hint;
		ret = hmlm_ioctl(session->fd, NVME_HMLM_GET_STATE, &k,
				 &session->nvme_status);
		if (!ret && k.out_len >= NVME_HMLM_STATE_HDR_LEN &&
		    k.out_len <= size_hint)
			goto done;
		if (ret && ret != -EMSGSIZE && ret != -EAGAIN)
			goto fail;
	}
	/*
	 * The transfer, sized by the last answer (an EMSGSIZE says the size
	 * too, else a size query asks); the size may change in between.
	 */
	known = ret == -EMSGSIZE ? k.out_len : 0;
	for (tries = 0; tries < 4; tries++) {
		if (!known) {
			memset(&k, 0, sizeof(k));
			k.size = sizeof(k);
			k.flags = NVME_HMLM_STATE_SIZE;
			k.csvi = (uint8_t)csvi;
			k.csuuidi = (uint8_t)csuuidi;
			ret = hmlm_ioctl(session->fd, NVME_HMLM_GET_STATE, &k,
					 &session->nvme_status);
			if (ret)
				goto fail;
			known = k.out_len;
		}
		if (known < NVME_HMLM_STATE_HDR_LEN ||
		    known > NVME_HMLM_STATE_MAX_LEN) {
			ret = -EPROTO;
			goto fail;
		}
		free(buf);
		buf = malloc(known);
		if (!buf) {
			ret = -ENOMEM;
			goto fail;
		}
		memset(&k, 0, sizeof(k));
		k.size = sizeof(k);
		k.csvi = (uint8_t)csvi;
		k.csuuidi = (uint8_t)csuuidi;
		k.buf_uptr = (uintptr_t)buf;
		k.buf_len = known;
		ret = hmlm_ioctl(session->fd, NVME_HMLM_GET_STATE, &k,
				 &session->nvme_status);
		if (ret == -EMSGSIZE)
			known = k.out_len;	/* it grew */
		else if (ret == -EAGAIN)
			known = 0;
		else
			break;
	}
	if (ret == -EMSGSIZE)
		ret = -EAGAIN;	/* the size kept changing */
	if (ret)
		goto fail;
done:
	state->data = buf;
	state->len = k.out_len;
	if (csvi) {
		state->flags |= HMLM_STATE_NVME;
		state->nvme_version = caps.state_versions[csvi - 1];
	}
	if (csuuidi) {
		state->flags |= HMLM_STATE_VENDOR;
		memcpy(state->uuid, caps.state_uuids[csuuidi - 1], 16);
	}
	if (k.out_flags & NVME_HMLM_STATE_OUT_CSUP)
		state->flags |= HMLM_STATE_CONSISTENT;
	return 0;
fail:
	free(buf);
	return ret;
}

#define EMPTY_NVME_PART	8	/* NVMe Controller State without queues */

static uint64_t get_le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* The state's NVMe part is 2 dwords: no I/O queue. */
static int nvme_part_empty(const void *data, uint64_t len)
{
	const uint8_t *p = data;

	if (len < NVME_HMLM_STATE_HDR_LEN + EMPTY_NVME_PART)
		return 0;
	return get_le(p + 16, 8) == EMPTY_NVME_PART / 4 && !get_le(p + 24, 8) &&
	       get_le(p + 32, 8) && !get_le(p + 50, 2) && !get_le(p + 52, 2);
}

HMLM_EXPORT int hmlm_state_set(struct hmlm_session *session,
			       const struct hmlm_state *state)
{
	struct hmlm_caps caps;
	int ret;

	if (!session || !state || !state->data ||
	    state->len < NVME_HMLM_STATE_HDR_LEN ||
	    state->len > NVME_HMLM_STATE_MAX_LEN)
		return -EINVAL;
	ret = hmlm_caps_get(session, &caps);
	if (ret)
		return ret;
	return hmlm_state_set_caps(session, &caps, state);
}

/* hmlm_state_set() with the session's capabilities already known. */
int hmlm_state_set_caps(struct hmlm_session *session,
			const struct hmlm_caps *cp,
			const struct hmlm_state *state)
{
	struct nvme_hmlm_set_state k;
	const struct hmlm_caps caps = *cp;
	int csvi = 0, csuuidi = 0, ret;
	uint8_t *buf = NULL;

	if (!state->data || state->len < NVME_HMLM_STATE_HDR_LEN ||
	    state->len > NVME_HMLM_STATE_MAX_LEN)
		return -EINVAL;
	if (state->flags & HMLM_STATE_NVME) {
		csvi = hmlm_csvi_of(&caps, state->nvme_version);
		if (!csvi)
			return -EOPNOTSUPP;
	}
	if (state->flags & HMLM_STATE_VENDOR) {
		csuuidi = hmlm_csuuidi_of(&caps, state->uuid);
		if (!csuuidi)
			return -EOPNOTSUPP;
	}
	if (!csvi && !csuuidi)
		return -EINVAL;
	memset(&k, 0, sizeof(k));
	k.size = sizeof(k);
	k.buf_uptr = (uintptr_t)state->data;
	k.buf_len = state->len;
	if (csvi && csuuidi && nvme_part_empty(state->data, state->len)) {
		/*
		 * No I/O queues: the NVMe part says nothing the vendor part
		 * does not, and a target that is not enabled cannot take
		 * queue state. Send the header and the vendor part alone.
		 */
		buf = malloc(state->len - EMPTY_NVME_PART);
		if (!buf)
			return -ENOMEM;
		memcpy(buf, state->data, NVME_HMLM_STATE_HDR_LEN);
		memset(buf + 16, 0, 16);	/* NVMECSS = 0 */
		memcpy(buf + NVME_HMLM_STATE_HDR_LEN,
		       (const uint8_t *)state->data + NVME_HMLM_STATE_HDR_LEN +
		       EMPTY_NVME_PART,
		       state->len - NVME_HMLM_STATE_HDR_LEN - EMPTY_NVME_PART);
		k.buf_uptr = (uintptr_t)buf;
		k.buf_len = state->len - EMPTY_NVME_PART;
		csvi = 0;
	}
	k.csvi = (uint8_t)csvi;
	k.csuuidi = (uint8_t)csuuidi;
	ret = hmlm_ioctl(session->fd, NVME_HMLM_SET_STATE, &k,
			 &session->nvme_status);
	free(buf);
	return ret;
}

HMLM_EXPORT void hmlm_state_free(struct hmlm_state *state)
{
	if (!state)
		return;
	free(state->data);
	state->data = NULL;
	state->len = 0;
}
