/*-------------------------------------------------------------------------
 *
 * summary_timeline.c
 *	  The events of one customer: its row and its history replayed in time
 *	  order into signed counts of the summaries.
 *
 * src/summary_timeline.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "summary_capture.h"

/* ---- events ---- */

void
summary_add_event(EventBuf *ev, Timestamp b, char kind, const char *ch, const char *sg,
		  const char *d, int w)
{
	if (ev->n == ev->cap)
	{
		int			cap = ev->cap ? ev->cap * 2 : 16;

		if (ev->cap == 0)
		{
			ev->b = palloc(sizeof(Datum) * cap);
			ev->kind = palloc(sizeof(Datum) * cap);
			ev->ch = palloc(sizeof(Datum) * cap);
			ev->ch_null = palloc(sizeof(bool) * cap);
			ev->sg = palloc(sizeof(Datum) * cap);
			ev->d = palloc(sizeof(Datum) * cap);
			ev->d_null = palloc(sizeof(bool) * cap);
			ev->w = palloc(sizeof(Datum) * cap);
		}
		else
		{
			ev->b = repalloc(ev->b, sizeof(Datum) * cap);
			ev->kind = repalloc(ev->kind, sizeof(Datum) * cap);
			ev->ch = repalloc(ev->ch, sizeof(Datum) * cap);
			ev->ch_null = repalloc(ev->ch_null, sizeof(bool) * cap);
			ev->sg = repalloc(ev->sg, sizeof(Datum) * cap);
			ev->d = repalloc(ev->d, sizeof(Datum) * cap);
			ev->d_null = repalloc(ev->d_null, sizeof(bool) * cap);
			ev->w = repalloc(ev->w, sizeof(Datum) * cap);
		}
		ev->cap = cap;
	}
	ev->b[ev->n] = TimestampGetDatum(b);
	ev->kind[ev->n] = CharGetDatum(kind);
	ev->ch_null[ev->n] = (ch == NULL);
	ev->ch[ev->n] = ch ? CStringGetTextDatum(ch) : (Datum) 0;
	ev->sg[ev->n] = CStringGetTextDatum(sg);
	ev->d_null[ev->n] = (d == NULL);
	ev->d[ev->n] = d ? CStringGetTextDatum(d) : (Datum) 0;
	ev->w[ev->n] = Int32GetDatum(w);
	ev->n++;
}

/* text datums equal (both NULL, or same bytes) */
static bool
text_datum_eq(Datum a, bool anull, Datum b, bool bnull)
{
	if (anull || bnull)
		return anull && bnull;
	return VARSIZE_ANY_EXHDR(DatumGetPointer(a)) == VARSIZE_ANY_EXHDR(DatumGetPointer(b)) &&
		memcmp(VARDATA_ANY(DatumGetPointer(a)), VARDATA_ANY(DatumGetPointer(b)),
			   VARSIZE_ANY_EXHDR(DatumGetPointer(a))) == 0;
}

/*
 * Sum identical events and drop those that cancel out (an old and a new
 * contribution of the same row), as the GROUP BY ... HAVING of the SQL path.
 */
void
summary_merge_events(EventBuf *ev)
{
	int			out = 0;

	for (int i = 0; i < ev->n; i++)
	{
		int			j;

		for (j = 0; j < out; j++)
			if (ev->b[j] == ev->b[i] && ev->kind[j] == ev->kind[i] &&
				text_datum_eq(ev->ch[j], ev->ch_null[j], ev->ch[i], ev->ch_null[i]) &&
				text_datum_eq(ev->sg[j], false, ev->sg[i], false) &&
				text_datum_eq(ev->d[j], ev->d_null[j], ev->d[i], ev->d_null[i]))
				break;
		if (j < out)
			ev->w[j] = Int32GetDatum(DatumGetInt32(ev->w[j]) + DatumGetInt32(ev->w[i]));
		else
		{
			ev->b[out] = ev->b[i];
			ev->kind[out] = ev->kind[i];
			ev->ch[out] = ev->ch[i];
			ev->ch_null[out] = ev->ch_null[i];
			ev->sg[out] = ev->sg[i];
			ev->d[out] = ev->d[i];
			ev->d_null[out] = ev->d_null[i];
			ev->w[out] = ev->w[i];
			out++;
		}
	}
	ev->n = 0;
	for (int i = 0; i < out; i++)
		if (DatumGetInt32(ev->w[i]) != 0)
		{
			ev->b[ev->n] = ev->b[i];
			ev->kind[ev->n] = ev->kind[i];
			ev->ch[ev->n] = ev->ch[i];
			ev->ch_null[ev->n] = ev->ch_null[i];
			ev->sg[ev->n] = ev->sg[i];
			ev->d[ev->n] = ev->d[i];
			ev->d_null[ev->n] = ev->d_null[i];
			ev->w[ev->n] = ev->w[i];
			ev->n++;
		}
}

/* the points of a customer's timeline */
typedef struct Point
{
	Timestamp	at;
	int			ord;
	int64		seq;
	char		what;			/* N, L, m, r, s */
	const char *channel;
	const char *reason;
	const char *to_state;
} Point;

static int
point_cmp(const void *a, const void *b)
{
	const Point *x = a;
	const Point *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if (x->ord != y->ord)
		return x->ord < y->ord ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return 0;
}

static int
hist_cmp(const void *a, const void *b)
{
	const HistEntry *x = a;
	const HistEntry *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return 0;
}

/*
 * The events of one customer row with its history (possibly empty): the C
 * twin of churn._timeline in src/sql/500_summaries.sql.
 */
void
summary_timeline(EventBuf *ev, const CapRow *r, HistEntry *h, int nh, const Interval *width,
		 bool with_reason, int w)
{
	const char *cur_ch = r->ch;
	const char *cur_st = r->st;
	bool		started = false;
	bool		active = false;
	Timestamp	stay_start = 0;
	bool		have_react = false;
	Timestamp	last_react = 0;
	Point	   *pts;
	int			np = 0;

	if (!r->has_s)
		return;
	if (nh > 1)
		qsort(h, nh, sizeof(HistEntry), hist_cmp);
	for (int i = 0; i < nh; i++)
		if (h[i].kind == 'm')
		{
			cur_ch = h[i].from_channel;
			break;
		}
	for (int i = 0; i < nh; i++)
		if (h[i].kind == 's')
		{
			cur_st = h[i].from_state;
			break;
		}
	for (int i = 0; i < nh; i++)
		if (h[i].kind == 'r' && (!have_react || h[i].at > last_react))
		{
			have_react = true;
			last_react = h[i].at;
		}
	if (r->has_u && have_react && r->u < last_react)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("until value \"%s\" precedes the reactivation at \"%s\" of customer \"%s\"",
						DatumGetCString(DirectFunctionCall1(timestamp_out, TimestampGetDatum(r->u))),
						DatumGetCString(DirectFunctionCall1(timestamp_out, TimestampGetDatum(last_react))),
						r->key ? r->key : "NULL"),
				 errhint("A customer won back cannot have stopped before it came back; correct the row or set until to NULL.")));

	pts = palloc(sizeof(Point) * (2 * nh + 2));
	pts[np++] = (Point)
	{
		r->s, 0, 0, 'N', NULL, NULL, NULL
	};
	for (int i = 0; i < nh; i++)
	{
		if (h[i].kind == 'r')
			pts[np++] = (Point)
		{
			h[i].lost_at, 1, h[i].seq, 'L', NULL, h[i].reason, NULL
		};
		pts[np++] = (Point)
		{
			h[i].at, h[i].kind == 'm' ? 2 : h[i].kind == 'r' ? 3 : 4, h[i].seq,
				h[i].kind, h[i].channel, NULL, h[i].to_state
		};
	}
	if (r->has_u)
		pts[np++] = (Point)
	{
		r->u, 5, 0, 'L', NULL, r->rs, NULL
	};
	qsort(pts, np, sizeof(Point), point_cmp);

	for (int i = 0; i < np; i++)
	{
		Point	   *p = &pts[i];
		Timestamp	b = summary_bucket_floor(p->at, width);

		switch (p->what)
		{
			case 'N':
				started = true;
				active = true;
				stay_start = p->at;
				summary_add_event(ev, b, 'n', cur_ch, r->sg, NULL, w);
				if (cur_st)
					summary_add_event(ev, b, 's', NULL, "{}", cur_st, w);
				break;
			case 'L':
				if (active)
				{
					active = false;
					summary_add_event(ev, b, 'l', cur_ch, r->sg, NULL, w);
					if (summary_bucket_floor(stay_start, width) < b)
						summary_add_event(ev, b, 'f', cur_ch, r->sg, NULL, w);
					if (with_reason)
						summary_add_event(ev, b, 'c', cur_ch, "{}", p->reason, w);
				}
				break;
			case 'm':
				if (active && !summary_str_eq(cur_ch, p->channel))
				{
					summary_add_event(ev, b, 'o', cur_ch, r->sg, NULL, w);
					summary_add_event(ev, b, 'i', p->channel, r->sg, NULL, w);
					summary_add_event(ev, b, 'd', cur_ch, "{}", p->channel, w);
					stay_start = p->at;
				}
				cur_ch = p->channel;
				break;
			case 'r':
				if (started && !active)
				{
					active = true;
					stay_start = p->at;
					summary_add_event(ev, b, 'r', cur_ch, r->sg, NULL, w);
				}
				break;
			case 's':
				if (started && !summary_str_eq(cur_st, p->to_state))
				{
					if (cur_st)
						summary_add_event(ev, b, 'x', NULL, "{}", cur_st, w);
					if (p->to_state)
						summary_add_event(ev, b, 's', NULL, "{}", p->to_state, w);
					if (cur_st && p->to_state)
						summary_add_event(ev, b, 't', NULL, "{}", psprintf("%s>%s", cur_st, p->to_state), w);
				}
				cur_st = p->to_state;
				break;
		}
	}
}

